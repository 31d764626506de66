/**
 * HubSpot CRM contacts and notes through the official `@hubspot/api-client` (v14: `/crm/v3/objects/…`,
 * `/crm/v4/…` associations), pointed at the emulator through its `basePath`. Every failure becomes a VendorError
 * whose `retryable` tells the outbox to retry or give up; HubSpot's error bodies echo property values, so only the
 * category, status and a masked message travel on. The SDK is loaded by a client's first request, so a server whose
 * offices keep their leads elsewhere never loads it.
 */
import type { Client } from '@hubspot/api-client';
import type { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/models/Filter.js';
import type { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/notes/models/AssociationSpec.js';
import { VendorError } from '../../core/errors.js';
import { lazy } from '../../core/lazy.js';
import { maskText } from '../../log/mask.js';

const VENDOR = 'hubspot';
/** HubSpot's association type id for note → contact (SDK `AssociationTypes.noteToContact`). */
export const NOTE_TO_CONTACT = 202;

export type ContactProperties = Record<string, string | null>;

export interface HubSpotContact {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string | null;
}

export interface HubSpotNote {
  id: string;
  body: string;
}

export interface HubSpotCrmOptions {
  accessToken: string;
  /** Default https://api.hubapi.com; the emulator's URL in demo mode and tests. */
  basePath?: string;
  /** Per request (default 10 s): the SDK has no time-out of its own. */
  timeoutMs?: number;
}

/** Properties read with every contact: what matching and the status rules need. */
export const CONTACT_PROPERTIES = ['firstname', 'lastname', 'email', 'phone', 'mobilephone', 'hs_lead_status', 'createdate'];

interface SdkError {
  code: number;
  body: unknown;
  headers?: Record<string, string>;
}

function isSdkError(error: unknown): error is SdkError {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number' && 'body' in error;
}

function parseBody(body: unknown): Record<string, unknown> {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as Record<string, unknown>;
    } catch {
      return { message: body.slice(0, 200) };
    }
  }
  return (body ?? {}) as Record<string, unknown>;
}

/** HubSpot's 409 on a duplicate e-mail names the contact that exists: "Contact already exists. Existing ID: 12345". */
export function existingIdIn(error: unknown): string | undefined {
  if (!(error instanceof VendorError) || error.status !== 409) return undefined;
  const message = (error.response as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? /Existing ID:\s*(\d+)/.exec(message)?.[1] : undefined;
}

/** Turns what the SDK threw into a VendorError: 429 and 5xx retry, 401/403 need a person, other 4xx are permanent. */
export function hubSpotError(error: unknown, what: string): VendorError {
  if (error instanceof VendorError) return error;
  if (!isSdkError(error)) {
    return new VendorError({
      vendor: VENDOR,
      code: 'NETWORK',
      message: `Could not reach HubSpot for ${what} (${maskText(error instanceof Error ? error.message : String(error))}); will retry.`,
      retryable: true,
      ambiguous: true,
      cause: error,
    });
  }
  const status = error.code;
  const body = parseBody(error.body);
  const category = typeof body.category === 'string' ? body.category : typeof body.errorType === 'string' ? body.errorType : undefined;
  const code = status === 401 ? 'INVALID_AUTHENTICATION' : status === 429 ? 'RATE_LIMIT' : (category ?? `HTTP_${status}`);
  const retryable = status === 429 || status >= 500;
  const advice =
    status === 401
      ? 'HubSpot refused the access token; create a new private app token and store it for this office'
      : status === 403
        ? 'the HubSpot private app lacks the crm.objects.contacts.read/write scopes; add them and store the new token'
        : retryable
          ? 'will retry'
          : 'retrying will not help';
  const message = typeof body.message === 'string' ? body.message : '';
  return new VendorError({
    vendor: VENDOR,
    code,
    status,
    retryable,
    message: maskText(`HubSpot ${what} failed: ${status} ${code}${message ? ` (${message})` : ''}; ${advice}.`),
    // The shape only (category, status, the duplicate's id), never the property values an error may echo.
    response: { category, status: body.status, message: status === 409 ? message : undefined },
  });
}

interface HubSpotSdk {
  Client: typeof Client;
  FilterOperatorEnum: typeof FilterOperatorEnum;
  AssociationSpecAssociationCategoryEnum: typeof AssociationSpecAssociationCategoryEnum;
}

/** Loaded by a client's first request (or ahead of it, for an office that uses HubSpot: hubspot/module.ts). */
export const loadHubSpotSdk = lazy((): Promise<HubSpotSdk> =>
  Promise.all([
    import('@hubspot/api-client'),
    import('@hubspot/api-client/lib/codegen/crm/contacts/models/Filter.js'),
    import('@hubspot/api-client/lib/codegen/crm/objects/notes/models/AssociationSpec.js'),
  ]).then(([main, filter, association]) => ({
    Client: main.Client,
    FilterOperatorEnum: filter.FilterOperatorEnum,
    AssociationSpecAssociationCategoryEnum: association.AssociationSpecAssociationCategoryEnum,
  })),
);

export class HubSpotCrm {
  /** The SDK's client for this token (made on the first request) and the SDK's enums. */
  private readonly sdkOf = lazy(() =>
    loadHubSpotSdk().then((sdk): { client: Client } & HubSpotSdk => ({
      ...sdk,
      // No SDK retries: it would repeat a POST after a 5xx and make a second contact or note; the outbox retries.
      client: new sdk.Client({ accessToken: this.options.accessToken, basePath: this.options.basePath, numberOfApiCallRetries: 0 }),
    })),
  );
  private readonly timeoutMs: number;

  constructor(private readonly options: HubSpotCrmOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private async call<T>(what: string, run: (sdk: { client: Client } & HubSpotSdk) => Promise<T>): Promise<T> {
    const sdk = await this.sdkOf();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new VendorError({
              vendor: VENDOR,
              code: 'TIMEOUT',
              message: `HubSpot did not answer ${what} within ${this.timeoutMs} ms; will retry.`,
              retryable: true,
              ambiguous: true,
            }),
          ),
        this.timeoutMs,
      );
    });
    const running = run(sdk);
    running.catch(() => undefined);
    try {
      return await Promise.race([running, deadline]);
    } catch (error) {
      throw hubSpotError(error, what);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Contacts whose `property` holds one of `values` exactly (one filter group per property, OR-ed). */
  async searchContacts(properties: string[], values: string[], limit = 10): Promise<HubSpotContact[]> {
    const answer = await this.call('contact search', ({ client, FilterOperatorEnum }) =>
      client.crm.contacts.searchApi.doSearch({
        filterGroups: properties.map((propertyName) => ({
          filters: [
            values.length === 1
              ? { propertyName, operator: FilterOperatorEnum.Eq, value: values[0]! }
              : { propertyName, operator: FilterOperatorEnum.In, values },
          ],
        })),
        properties: CONTACT_PROPERTIES,
        sorts: [],
        limit,
        after: '0',
      }),
    );
    return answer.results.map(toContact);
  }

  async getContact(id: string): Promise<HubSpotContact | undefined> {
    try {
      return toContact(await this.call('contact read', ({ client }) => client.crm.contacts.basicApi.getById(id, CONTACT_PROPERTIES)));
    } catch (error) {
      if (error instanceof VendorError && error.status === 404) return undefined;
      throw error;
    }
  }

  async createContact(properties: ContactProperties): Promise<HubSpotContact> {
    return toContact(
      await this.call('contact create', ({ client }) => client.crm.contacts.basicApi.create({ properties: defined(properties), associations: [] })),
    );
  }

  async updateContact(id: string, properties: ContactProperties): Promise<HubSpotContact> {
    return toContact(await this.call('contact update', ({ client }) => client.crm.contacts.basicApi.update(id, { properties: strings(properties) })));
  }

  /** Create-or-update by e-mail (a unique property): safe to repeat after a lost answer. */
  async upsertContactByEmail(email: string, properties: ContactProperties): Promise<{ contact: HubSpotContact; created: boolean }> {
    const answer = await this.call('contact upsert', ({ client }) =>
      client.crm.contacts.batchApi.upsert({ inputs: [{ idProperty: 'email', id: email, properties: defined(properties) }] }),
    );
    const result = answer.results[0];
    if (!result) throw hubSpotError({ code: 500, body: { message: 'no result in the batch upsert answer' } }, 'contact upsert');
    return { contact: toContact(result), created: Boolean((result as { _new?: boolean })._new) };
  }

  /** A note on the contact's timeline, associated in the same request (type 202, note → contact). */
  async addNote(contactId: string, body: string, timestamp: Date): Promise<{ id: string }> {
    const note = await this.call('note create', ({ client, AssociationSpecAssociationCategoryEnum }) =>
      client.crm.objects.notes.basicApi.create({
        properties: { hs_timestamp: timestamp.toISOString(), hs_note_body: body },
        associations: [
          {
            to: { id: contactId },
            types: [{ associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined, associationTypeId: NOTE_TO_CONTACT }],
          },
        ],
      }),
    );
    return { id: note.id };
  }

  /** The contact's notes, read through its associations (consistent at once, unlike search) and a batch read. */
  async listNotes(contactId: string): Promise<HubSpotNote[]> {
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await this.call('note associations', ({ client }) =>
        client.crm.associations.v4.basicApi.getPage('contacts', contactId, 'notes', after, 500),
      );
      ids.push(...page.results.map((result) => String(result.toObjectId)));
      after = page.paging?.next?.after;
    } while (after);
    const notes: HubSpotNote[] = [];
    for (let start = 0; start < ids.length; start += 100) {
      const batch = ids.slice(start, start + 100);
      const answer = await this.call('note read', ({ client }) =>
        client.crm.objects.notes.batchApi.read({ inputs: batch.map((id) => ({ id })), properties: ['hs_note_body'], propertiesWithHistory: [] }),
      );
      notes.push(...answer.results.map((note) => ({ id: note.id, body: note.properties.hs_note_body ?? '' })));
    }
    return notes;
  }

  /** The cheapest authenticated read: one contact of the first page. */
  async probe(): Promise<void> {
    await this.call('connection check', ({ client }) => client.crm.contacts.basicApi.getPage(1));
  }
}

function toContact(record: { id: string; properties: Record<string, string | null>; createdAt?: Date | string }): HubSpotContact {
  const createdAt = record.properties.createdate ?? (record.createdAt ? new Date(record.createdAt).toISOString() : null);
  return { id: record.id, properties: record.properties, createdAt };
}

/** HubSpot takes every property value as a string; an empty string clears it. */
function strings(properties: ContactProperties): Record<string, string> {
  return Object.fromEntries(Object.entries(properties).map(([name, value]) => [name, value ?? '']));
}

/** On create, a cleared value is simply not sent. */
function defined(properties: ContactProperties): Record<string, string> {
  return Object.fromEntries(Object.entries(properties).filter((entry): entry is [string, string] => entry[1] !== null));
}
