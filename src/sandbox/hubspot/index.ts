/**
 * A local HubSpot for tests and demo mode: CRM v3 contacts (create, read, update, batch upsert by e-mail, search
 * with OR-ed filter groups of AND-ed filters and an index that lags behind writes), notes associated to a contact
 * (type 202), v4 association pages, and HubSpot's error bodies (`{status:"error", message, correlationId,
 * category}`; 409 "Existing ID: …" on a duplicate e-mail; 429 with `policyName`). A private app's static Bearer
 * token is the credential. Faults come from the emulator frame, plus `dropNextAnswer` (the write happens, the
 * answer is lost) and `revokeToken` (the app was removed).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { Emulator } from '../emulator.js';

const CRM = '/crm/v3/objects';

/** Contact properties every portal has; an office's own (propertyMap) are added with `customProperties`. */
const STANDARD_CONTACT_PROPERTIES = [
  'firstname',
  'lastname',
  'email',
  'phone',
  'mobilephone',
  'company',
  'hs_lead_status',
  'lifecyclestage',
  'createdate',
  'lastmodifieddate',
  'hs_object_id',
];
const READ_ONLY = new Set(['createdate', 'lastmodifieddate', 'hs_object_id']);
/** The stock options of hs_lead_status. */
export const HUBSPOT_LEAD_STATUSES = ['NEW', 'OPEN', 'IN_PROGRESS', 'OPEN_DEAL', 'UNQUALIFIED', 'ATTEMPTED_TO_CONTACT', 'CONNECTED', 'BAD_TIMING'];
const DEFAULT_READ = ['firstname', 'lastname', 'email', 'createdate', 'lastmodifieddate', 'hs_object_id'];

export const RATE_LIMIT_BODY = {
  status: 'error',
  message: 'You have reached your ten_secondly_rolling limit.',
  errorType: 'RATE_LIMIT',
  correlationId: '00000000-0000-4000-8000-000000000429',
  policyName: 'TEN_SECONDLY_ROLLING',
};
export const INTERNAL_ERROR_BODY = {
  status: 'error',
  message: 'internal error',
  correlationId: '00000000-0000-4000-8000-000000000500',
  category: 'INTERNAL_ERROR',
};

export interface HubSpotEmulatorOptions {
  /** The private app token(s) accepted as `Authorization: Bearer …`. */
  accessTokens: string[];
  clock?: Clock;
  /** Contacts are found by search only this long (by the clock) after their last write (default 0). */
  searchLagMs?: number;
  /** Contact properties the portal has beyond the standard ones. */
  customProperties?: string[];
  port?: number;
}

interface StoredRecord {
  id: string;
  properties: Record<string, string>;
  createdMs: number;
  updatedMs: number;
}

interface StoredNote extends StoredRecord {
  contactIds: string[];
}

export interface EmulatedContact {
  id: string;
  properties: Record<string, string>;
}

export interface EmulatedNote {
  id: string;
  contactIds: string[];
  body: string;
  timestamp: string;
}

type Filter = { propertyName?: string; operator?: string; value?: unknown; values?: unknown[] };

function errorBody(category: string, message: string, extra: Record<string, unknown> = {}) {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

export class HubSpotEmulator {
  readonly contacts = new Map<string, StoredRecord>();
  readonly noteRecords = new Map<string, StoredNote>();
  readonly tokens: Set<string>;
  searchLagMs: number;
  readonly properties: Set<string>;
  private sequence = 1000;
  private dropNext = new Set<'contact' | 'note'>();

  constructor(
    readonly emulator: Emulator,
    private readonly clock: Clock,
    options: HubSpotEmulatorOptions,
  ) {
    this.tokens = new Set(options.accessTokens);
    this.searchLagMs = options.searchLagMs ?? 0;
    this.properties = new Set([...STANDARD_CONTACT_PROPERTIES, ...(options.customProperties ?? [])]);
  }

  get url(): string {
    return this.emulator.url;
  }

  /** Contact properties an office created in its portal (as an admin would under Settings > Properties). */
  ensureProperties(names: string[]): void {
    for (const name of names) this.properties.add(name);
  }

  /** The app was uninstalled or the token rotated: every call answers 401 until a token is accepted again. */
  revokeToken(): void {
    this.tokens.clear();
  }

  acceptToken(token: string): void {
    this.tokens.add(token);
  }

  /** The next contact (or note) create is carried out, then the connection is cut before the answer. */
  dropNextAnswer(what: 'contact' | 'note'): void {
    this.dropNext.add(what);
  }

  rateLimit(times = 1): void {
    this.emulator.faults.failNext(times, 429, RATE_LIMIT_BODY, { match: '/crm/' });
  }

  down(times = 1): void {
    this.emulator.faults.failNext(times, 500, INTERNAL_ERROR_BODY, { match: '/crm/' });
  }

  /** A contact a person typed in HubSpot (not searchable until the index catches up, like any write). */
  addContactByHand(properties: Record<string, string>): string {
    return this.store(properties).id;
  }

  deleteContact(id: string): boolean {
    return this.contacts.delete(id);
  }

  contactList(): EmulatedContact[] {
    return [...this.contacts.values()].map((record) => ({ id: record.id, properties: { ...record.properties } }));
  }

  notes(contactId?: string): EmulatedNote[] {
    return [...this.noteRecords.values()]
      .filter((note) => contactId === undefined || note.contactIds.includes(contactId))
      .map((note) => ({
        id: note.id,
        contactIds: [...note.contactIds],
        body: note.properties.hs_note_body ?? '',
        timestamp: note.properties.hs_timestamp ?? '',
      }));
  }

  reset(): void {
    this.contacts.clear();
    this.noteRecords.clear();
    this.dropNext.clear();
    this.searchLagMs = 0;
    this.emulator.reset();
  }

  async close(): Promise<void> {
    await this.emulator.close();
  }

  // ---------------------------------------------------------------------------------------------------

  private now(): number {
    return this.clock.now().getTime();
  }

  private nextId(): string {
    this.sequence += 1;
    return String(this.sequence);
  }

  private store(properties: Record<string, string>): StoredRecord {
    const now = this.now();
    const id = this.nextId();
    const record: StoredRecord = { id, properties: { ...properties }, createdMs: now, updatedMs: now };
    this.contacts.set(id, record);
    return record;
  }

  private view(record: StoredRecord, wanted: string[] | undefined) {
    const names = wanted && wanted.length > 0 ? wanted : DEFAULT_READ;
    const all: Record<string, string> = {
      ...record.properties,
      createdate: new Date(record.createdMs).toISOString(),
      lastmodifieddate: new Date(record.updatedMs).toISOString(),
      hs_object_id: record.id,
    };
    const properties: Record<string, string | null> = {};
    for (const name of names) properties[name] = all[name] ?? null;
    return {
      id: record.id,
      properties,
      createdAt: new Date(record.createdMs).toISOString(),
      updatedAt: new Date(record.updatedMs).toISOString(),
      archived: false,
    };
  }

  /** 400 VALIDATION_ERROR for unknown properties, bad e-mails and hs_lead_status values outside its options. */
  private invalid(properties: Record<string, unknown>): Record<string, unknown> | undefined {
    const errors: Array<{ message: string; code: string; context?: Record<string, string[]> }> = [];
    for (const [name, value] of Object.entries(properties)) {
      if (!this.properties.has(name))
        errors.push({ message: `Property "${name}" does not exist`, code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: [name] } });
      else if (READ_ONLY.has(name))
        errors.push({ message: `"${name}" is a read only property; its value cannot be set.`, code: 'READ_ONLY_VALUE', context: { propertyName: [name] } });
      else if (typeof value !== 'string') errors.push({ message: `${name} must be a string`, code: 'INVALID_TYPE', context: { propertyName: [name] } });
      else if (name === 'email' && value !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value))
        errors.push({ message: 'Email address is invalid', code: 'INVALID_EMAIL', context: { propertyName: [name] } });
      else if (name === 'hs_lead_status' && value !== '' && !HUBSPOT_LEAD_STATUSES.includes(value))
        errors.push({ message: `${value} was not one of the allowed options`, code: 'INVALID_OPTION', context: { propertyName: [name] } });
    }
    if (errors.length === 0) return undefined;
    return errorBody(
      'VALIDATION_ERROR',
      `Property values were not valid: ${JSON.stringify(errors.map((error) => ({ isValid: false, message: error.message, error: error.code, name: error.context?.propertyName?.[0] })))}`,
      { errors },
    );
  }

  private byEmail(email: string, exceptId?: string): StoredRecord | undefined {
    const wanted = email.toLowerCase();
    return [...this.contacts.values()].find((record) => record.id !== exceptId && record.properties.email?.toLowerCase() === wanted);
  }

  private searchable(record: StoredRecord): boolean {
    return this.now() - record.updatedMs >= this.searchLagMs;
  }

  private matches(record: StoredRecord, filter: Filter): boolean {
    const name = String(filter.propertyName ?? '');
    const actual = name === 'hs_object_id' ? record.id : record.properties[name];
    const caseless = (value: unknown) => (name === 'email' ? String(value).toLowerCase() : String(value));
    switch (filter.operator) {
      case 'EQ':
        return actual !== undefined && caseless(actual) === caseless(filter.value);
      case 'NEQ':
        return actual === undefined || caseless(actual) !== caseless(filter.value);
      case 'IN':
        return actual !== undefined && (filter.values ?? []).some((value) => caseless(actual) === caseless(value));
      case 'HAS_PROPERTY':
        return actual !== undefined && actual !== '';
      case 'NOT_HAS_PROPERTY':
        return actual === undefined || actual === '';
      default:
        return false;
    }
  }

  /** Cuts the connection after the handler committed, when a drop was asked for this kind of create. */
  private maybeDrop(request: FastifyRequest, what: 'contact' | 'note'): void {
    if (!this.dropNext.delete(what)) return;
    (request as FastifyRequest & { hangMs?: number }).hangMs = 20;
  }

  register(app: Emulator['app']): void {
    app.addHook('preHandler', async (request, reply) => {
      if (!request.url.startsWith('/crm/')) return;
      const header = request.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      if (!this.tokens.has(token)) {
        return reply
          .code(401)
          .send(
            errorBody(
              'INVALID_AUTHENTICATION',
              'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
            ),
          );
      }
    });

    const notFound = (reply: FastifyReply, id: string) =>
      reply.code(404).send(errorBody('OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.', { context: { id: [id] } }));
    const propertiesOf = (body: unknown) => (body as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
    const wantedOf = (query: unknown) => {
      const value = (query as { properties?: string | string[] }).properties;
      return value === undefined ? undefined : (Array.isArray(value) ? value : value.split(',')).filter(Boolean);
    };

    app.post(`${CRM}/contacts`, async (request, reply) => {
      const properties = propertiesOf(request.body);
      const bad = this.invalid(properties);
      if (bad) return reply.code(400).send(bad);
      const email = typeof properties.email === 'string' ? properties.email : undefined;
      const existing = email ? this.byEmail(email) : undefined;
      if (existing) return reply.code(409).send(errorBody('CONFLICT', `Contact already exists. Existing ID: ${existing.id}`));
      const record = this.store(properties as Record<string, string>);
      this.maybeDrop(request, 'contact');
      return reply.code(201).send(this.view(record, Object.keys(properties)));
    });

    app.get(`${CRM}/contacts`, async (request) => {
      const limit = Math.min(Number((request.query as { limit?: string }).limit ?? 10) || 10, 100);
      return { results: [...this.contacts.values()].slice(0, limit).map((record) => this.view(record, wantedOf(request.query))) };
    });

    app.get(`${CRM}/contacts/:id`, async (request, reply) => {
      const { id } = request.params as { id: string };
      const query = request.query as { idProperty?: string };
      const record = query.idProperty === 'email' ? this.byEmail(id) : this.contacts.get(id);
      if (!record) return notFound(reply, id);
      return this.view(record, wantedOf(request.query));
    });

    app.patch(`${CRM}/contacts/:id`, async (request, reply) => {
      const { id } = request.params as { id: string };
      const query = request.query as { idProperty?: string };
      const record = query.idProperty === 'email' ? this.byEmail(id) : this.contacts.get(id);
      if (!record) return notFound(reply, id);
      const properties = propertiesOf(request.body);
      const bad = this.invalid(properties);
      if (bad) return reply.code(400).send(bad);
      if (typeof properties.email === 'string' && properties.email && this.byEmail(properties.email, record.id)) {
        return reply.code(409).send(errorBody('CONFLICT', `Contact already exists. Existing ID: ${this.byEmail(properties.email, record.id)!.id}`));
      }
      Object.assign(record.properties, properties);
      record.updatedMs = this.now();
      return this.view(record, Object.keys(properties));
    });

    app.post(`${CRM}/contacts/batch/upsert`, async (request, reply) => {
      const inputs = ((request.body as { inputs?: unknown[] } | undefined)?.inputs ?? []) as Array<{
        idProperty?: string;
        id?: string;
        properties?: Record<string, unknown>;
      }>;
      if (inputs.length === 0 || inputs.length > 100) return reply.code(400).send(errorBody('VALIDATION_ERROR', 'inputs must hold 1 to 100 records'));
      const startedAt = new Date(this.now()).toISOString();
      const results = [];
      for (const input of inputs) {
        if (input.idProperty !== 'email' || typeof input.id !== 'string') {
          return reply
            .code(400)
            .send(errorBody('VALIDATION_ERROR', `${input.idProperty ?? 'idProperty'} is not a unique property; upsert needs one (e.g. email)`));
        }
        const properties = input.properties ?? {};
        const bad = this.invalid(properties);
        if (bad) return reply.code(400).send(bad);
        const existing = this.byEmail(input.id);
        if (existing) {
          Object.assign(existing.properties, properties);
          existing.updatedMs = this.now();
          results.push({ ...this.view(existing, Object.keys(properties)), new: false });
        } else {
          const record = this.store({ ...(properties as Record<string, string>), email: input.id });
          results.push({ ...this.view(record, Object.keys(properties)), new: true });
        }
      }
      this.maybeDrop(request, 'contact');
      return { status: 'COMPLETE', results, startedAt, completedAt: new Date(this.now()).toISOString() };
    });

    app.post(`${CRM}/contacts/search`, async (request, reply) => {
      const body = (request.body ?? {}) as { filterGroups?: Array<{ filters?: Filter[] }>; properties?: string[]; limit?: number; after?: string };
      const groups = body.filterGroups ?? [];
      const filterCount = groups.reduce((sum, group) => sum + (group.filters?.length ?? 0), 0);
      if (groups.length > 5 || groups.some((group) => (group.filters?.length ?? 0) > 6) || filterCount > 18) {
        return reply.code(400).send(errorBody('VALIDATION_ERROR', 'Too many filters: at most 5 filterGroups of 6 filters, 18 in all.'));
      }
      if (JSON.stringify(request.body ?? {}).length > 3000)
        return reply.code(400).send(errorBody('VALIDATION_ERROR', 'The request body is over 3,000 characters.'));
      const limit = Math.min(body.limit ?? 10, 200);
      const offset = Number(body.after ?? 0) || 0;
      const found = [...this.contacts.values()]
        .filter((record) => this.searchable(record))
        .filter((record) => groups.length === 0 || groups.some((group) => (group.filters ?? []).every((filter) => this.matches(record, filter))))
        .sort((a, b) => Number(a.id) - Number(b.id));
      const page = found.slice(offset, offset + limit);
      return {
        total: found.length,
        results: page.map((record) => this.view(record, body.properties)),
        ...(offset + limit < found.length ? { paging: { next: { after: String(offset + limit) } } } : {}),
      };
    });

    app.post(`${CRM}/notes`, async (request, reply) => {
      const body = (request.body ?? {}) as {
        properties?: Record<string, unknown>;
        associations?: Array<{ to?: { id?: string }; types?: Array<{ associationCategory?: string; associationTypeId?: number }> }>;
      };
      const properties = body.properties ?? {};
      if (typeof properties.hs_timestamp !== 'string' || properties.hs_timestamp === '') {
        return reply.code(400).send(
          errorBody('VALIDATION_ERROR', 'Property values were not valid: hs_timestamp is required', {
            errors: [{ message: 'hs_timestamp is required', code: 'REQUIRED_PROPERTY' }],
          }),
        );
      }
      if (typeof properties.hs_note_body === 'string' && properties.hs_note_body.length > 65_536) {
        return reply.code(400).send(errorBody('VALIDATION_ERROR', 'hs_note_body is longer than 65,536 characters'));
      }
      const contactIds: string[] = [];
      for (const association of body.associations ?? []) {
        const id = String(association.to?.id ?? '');
        const type = association.types?.[0];
        if (type?.associationCategory !== 'HUBSPOT_DEFINED' || type.associationTypeId !== 202) {
          return reply
            .code(400)
            .send(
              errorBody(
                'VALIDATION_ERROR',
                `association type ${type?.associationCategory}/${type?.associationTypeId} is not note→contact (HUBSPOT_DEFINED/202)`,
              ),
            );
        }
        if (!this.contacts.has(id))
          return reply.code(400).send(errorBody('VALIDATION_ERROR', `One or more associations are invalid: contact ${id} does not exist`));
        contactIds.push(id);
      }
      const now = this.now();
      const note: StoredNote = { id: this.nextId(), properties: properties as Record<string, string>, createdMs: now, updatedMs: now, contactIds };
      this.noteRecords.set(note.id, note);
      this.maybeDrop(request, 'note');
      return reply.code(201).send(this.view(note, Object.keys(properties)));
    });

    app.post(`${CRM}/notes/batch/read`, async (request) => {
      const body = (request.body ?? {}) as { inputs?: Array<{ id?: string }>; properties?: string[] };
      const results = (body.inputs ?? [])
        .map((input) => this.noteRecords.get(String(input.id)))
        .filter((note): note is StoredNote => note !== undefined)
        .map((note) => this.view(note, body.properties));
      const now = new Date(this.now()).toISOString();
      return { status: 'COMPLETE', results, startedAt: now, completedAt: now };
    });

    app.get('/crm/v4/objects/contacts/:id/associations/notes', async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!this.contacts.has(id)) return notFound(reply, id);
      const query = request.query as { after?: string; limit?: string };
      const limit = Math.min(Number(query.limit ?? 500) || 500, 500);
      const offset = Number(query.after ?? 0) || 0;
      const all = this.notes(id);
      return {
        results: all.slice(offset, offset + limit).map((note) => ({
          toObjectId: Number(note.id),
          associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 201, label: null }],
        })),
        ...(offset + limit < all.length ? { paging: { next: { after: String(offset + limit), link: null } } } : {}),
      };
    });
  }
}

export async function startHubSpotEmulator(options: HubSpotEmulatorOptions): Promise<HubSpotEmulator> {
  let vendor: HubSpotEmulator | undefined;
  const emulator = await Emulator.start({
    name: 'hubspot',
    port: options.port,
    routes: (app, frame) => {
      vendor = new HubSpotEmulator(frame, options.clock ?? systemClock, options);
      vendor.register(app);
    },
  });
  if (!vendor) throw new Error('hubspot emulator: routes were not registered');
  void emulator;
  return vendor;
}
