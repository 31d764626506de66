/**
 * Zoho CRM API v8 as the emulator plays it (base `/crm/v8`): Leads insert/update/upsert/get/search and Notes,
 * with per-record results, configurable mandatory fields, an optional unique-phone check, search index lag,
 * and a per-org API credit counter over a rolling 24 hours (by the clock).
 *
 * Choices where Zoho is unconfirmed: all-success answers 201 (insert, notes) or 200 (update, upsert), mixed 202,
 * all-failed 400; GET of an unknown lead id answers 204; exhausted credits answer 400 LIMIT_EXCEEDED; phone
 * search and phone duplicate checks ignore formatting characters (spaces, dashes, dots, parentheses) but not
 * a country code, so `+14155550102` and `4155550102` are different values, as stored text would be.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { authenticate, hasScope } from './accounts.js';
import type { LeadRecord, NoteRecord, ZohoState } from './state.js';

const MAX_RECORDS = 100;
const MAX_PER_PAGE = 200;
const TEXT_FIELDS = [
  'First_Name',
  'Last_Name',
  'Company',
  'Lead_Source',
  'Lead_Status',
  'Description',
  'Salutation',
  'Designation',
  'Website',
  'Street',
  'City',
  'State',
  'Zip_Code',
  'Country',
];
const PHONE_FIELDS = ['Phone', 'Mobile', 'Fax'];
const EMAIL_FIELDS = ['Email', 'Secondary_Email'];
const SYSTEM_FIELDS = ['id', 'Created_Time', 'Modified_Time', 'Created_By', 'Modified_By', 'Owner'];

export interface CrmErrorBody {
  code: string;
  details: Record<string, unknown>;
  message: string;
  status: 'error';
}

export function crmErrorBody(code: string, message: string, details: Record<string, unknown> = {}): CrmErrorBody {
  return { code, details, message, status: 'error' };
}

export const INVALID_TOKEN_BODY = crmErrorBody('INVALID_TOKEN', 'invalid oauth token');
export const TOO_MANY_REQUESTS_BODY = crmErrorBody('TOO_MANY_REQUESTS', 'too many requests');
export const INTERNAL_ERROR_BODY = crmErrorBody('INTERNAL_ERROR', 'Internal Server Error');

/** What tests see of a lead: its fields plus the system fields Zoho adds. */
export type EmulatedLead = Record<string, unknown> & { id: string };

export interface EmulatedNote {
  id: string;
  leadId: string;
  Note_Title: string | undefined;
  Note_Content: string;
  Created_Time: string;
}

type RecordResult = Record<string, unknown> & { status: 'success' | 'error' };

function normalizePhone(value: unknown): string {
  return typeof value === 'string' ? value.replace(/[\s().-]/g, '') : String(value ?? '');
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function crmTime(state: ZohoState, ms: number): string {
  return DateTime.fromMillis(ms, { zone: state.crmTimezone }).toISO({ suppressMilliseconds: true }) ?? '';
}

function userRef(state: ZohoState) {
  return { name: state.user.displayName, id: state.user.zuid, email: state.user.email };
}

export function leadView(state: ZohoState, lead: LeadRecord): EmulatedLead {
  return {
    ...lead.fields,
    id: lead.id,
    Owner: userRef(state),
    Created_By: userRef(state),
    Modified_By: userRef(state),
    Created_Time: crmTime(state, lead.createdMs),
    Modified_Time: crmTime(state, lead.modifiedMs),
  };
}

export function noteView(state: ZohoState, note: NoteRecord): Record<string, unknown> {
  const lead = state.leads.get(note.parentId);
  const name = [lead?.fields.First_Name, lead?.fields.Last_Name].filter((part) => typeof part === 'string').join(' ');
  return {
    id: note.id,
    Note_Title: note.title ?? null,
    Note_Content: note.content,
    Parent_Id: { module: { api_name: note.parentModule }, id: note.parentId, name },
    Owner: userRef(state),
    Created_By: userRef(state),
    Created_Time: crmTime(state, note.createdMs),
    Modified_Time: crmTime(state, note.createdMs),
  };
}

function success(
  state: ZohoState,
  message: string,
  record: { id: string; createdMs: number; modifiedMs: number },
  extra: Record<string, unknown> = {},
): RecordResult {
  return {
    code: 'SUCCESS',
    ...extra,
    details: {
      Modified_Time: crmTime(state, record.modifiedMs),
      Modified_By: userRef(state),
      Created_Time: crmTime(state, record.createdMs),
      id: record.id,
      Created_By: userRef(state),
    },
    message,
    status: 'success',
  };
}

function failure(code: string, message: string, details: Record<string, unknown>): RecordResult {
  return { code, details, message, status: 'error' };
}

/** Field checks shared by insert and update; `required` lists the mandatory fields that must be present. */
function validateFields(state: ZohoState, fields: Record<string, unknown>, required: string[]): RecordResult | undefined {
  if (state.mandatoryMissingNext !== undefined) {
    const field = state.mandatoryMissingNext;
    state.mandatoryMissingNext = undefined;
    return failure('MANDATORY_NOT_FOUND', 'required field not found', { api_name: field });
  }
  for (const field of required) {
    if (isBlank(fields[field])) return failure('MANDATORY_NOT_FOUND', 'required field not found', { api_name: field });
  }
  for (const [field, value] of Object.entries(fields)) {
    if (value === null) continue;
    const invalid = (expected: string) => failure('INVALID_DATA', 'invalid data', { api_name: field, expected_data_type: expected });
    if (TEXT_FIELDS.includes(field) && typeof value !== 'string') return invalid('text');
    if (PHONE_FIELDS.includes(field) && (typeof value !== 'string' || value.length > 30)) return invalid('phone');
    if (EMAIL_FIELDS.includes(field) && (typeof value !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value))) return invalid('email');
  }
  return undefined;
}

function findDuplicate(state: ZohoState, field: string, value: unknown, exceptId?: string): LeadRecord | undefined {
  if (isBlank(value)) return undefined;
  for (const lead of state.leads.values()) {
    if (lead.id === exceptId) continue;
    const existing = lead.fields[field];
    if (isBlank(existing)) continue;
    if (
      PHONE_FIELDS.includes(field)
        ? normalizePhone(existing) === normalizePhone(value)
        : EMAIL_FIELDS.includes(field)
          ? String(existing).toLowerCase() === String(value).toLowerCase()
          : existing === value
    ) {
      return lead;
    }
  }
  return undefined;
}

function userFields(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !SYSTEM_FIELDS.includes(key)));
}

function storeLead(state: ZohoState, fields: Record<string, unknown>): LeadRecord {
  const now = state.nowMs();
  const lead: LeadRecord = {
    id: state.newCrmId(),
    fields,
    createdMs: now,
    modifiedMs: now,
    createdAtSearch: state.searchCount,
    searchLag: state.searchLag,
  };
  state.leads.set(lead.id, lead);
  return lead;
}

function insertLead(state: ZohoState, record: Record<string, unknown>): RecordResult {
  const fields = userFields(record);
  const invalid = validateFields(state, fields, ['Last_Name', ...state.requiredLeadFields]);
  if (invalid) return invalid;
  if (state.duplicateNext) {
    // Plays a parallel writer that created the same lead a moment earlier (the race index lag makes likely).
    const forced = state.duplicateNext;
    state.duplicateNext = undefined;
    const existing = forced.existingId ?? findDuplicate(state, 'Phone', fields.Phone)?.id ?? storeLead(state, fields).id;
    return failure('DUPLICATE_DATA', 'duplicate data', { api_name: 'Phone', id: existing });
  }
  if (state.uniquePhone) {
    const duplicate = findDuplicate(state, 'Phone', fields.Phone);
    if (duplicate) return failure('DUPLICATE_DATA', 'duplicate data', { api_name: 'Phone', id: duplicate.id });
  }
  return success(state, 'record added', storeLead(state, fields));
}

function updateLead(state: ZohoState, lead: LeadRecord, record: Record<string, unknown>, extra: Record<string, unknown> = {}): RecordResult {
  const fields = userFields(record);
  const mandatory = ['Last_Name', ...state.requiredLeadFields].filter((field) => field in fields);
  const invalid = validateFields(state, fields, mandatory);
  if (invalid) return invalid;
  if (state.uniquePhone && 'Phone' in fields) {
    const duplicate = findDuplicate(state, 'Phone', fields.Phone, lead.id);
    if (duplicate) return failure('DUPLICATE_DATA', 'duplicate data', { api_name: 'Phone', id: duplicate.id });
  }
  Object.assign(lead.fields, fields);
  lead.modifiedMs = state.nowMs();
  return success(state, 'record updated', lead, extra);
}

function sendBatch(reply: FastifyReply, results: RecordResult[], allSuccessStatus: number): FastifyReply {
  const succeeded = results.filter((result) => result.status === 'success').length;
  const status = succeeded === results.length ? allSuccessStatus : succeeded === 0 ? 400 : 202;
  return reply.code(status).send({ data: results });
}

/** Reads `{ data: [ … ] }`; answers the top-level error itself and returns undefined when the body is unusable. */
function readRecords(request: FastifyRequest, reply: FastifyReply): Record<string, unknown>[] | undefined {
  let body: unknown = request.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      reply.code(400).send(crmErrorBody('INVALID_DATA', 'the body is not valid JSON', {}));
      return undefined;
    }
  }
  const data = body && typeof body === 'object' ? (body as Record<string, unknown>).data : undefined;
  if (data === undefined) {
    reply.code(400).send(crmErrorBody('REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param: 'data' }));
    return undefined;
  }
  if (!Array.isArray(data) || data.length === 0 || data.some((item) => !item || typeof item !== 'object' || Array.isArray(item))) {
    reply.code(400).send(crmErrorBody('INVALID_DATA', 'invalid data', { api_name: 'data', expected_data_type: 'jsonarray' }));
    return undefined;
  }
  if (data.length > MAX_RECORDS) {
    reply.code(400).send(crmErrorBody('LIMIT_EXCEEDED', 'the number of records exceeds the maximum limit', { limit: MAX_RECORDS }));
    return undefined;
  }
  return data as Record<string, unknown>[];
}

type Criteria = { kind: 'condition'; field: string; operator: string; value: string } | { kind: 'group'; join: 'and' | 'or'; parts: Criteria[] };

/** Parses `(Field:op:value)`, nested with `and` / `or`; `\` escapes `(`, `)`, `,` and `:` in values. */
export function parseCriteria(text: string): Criteria {
  let index = 0;
  const fail = (reason: string): never => {
    throw new CriteriaError(reason);
  };
  const expect = (char: string) => {
    if (text[index] !== char) fail(`expected "${char}" at position ${index}`);
    index += 1;
  };
  const parseTerm = (): Criteria => {
    expect('(');
    if (text[index] === '(') {
      const inner = parseGroup();
      expect(')');
      return inner;
    }
    const parts: string[] = [];
    let current = '';
    while (index < text.length && text[index] !== ')') {
      const char = text[index] ?? '';
      if (char === '\\' && index + 1 < text.length) {
        current += text[index + 1] ?? '';
        index += 2;
        continue;
      }
      if (char === ':' && parts.length < 2) {
        parts.push(current);
        current = '';
      } else current += char;
      index += 1;
    }
    parts.push(current);
    expect(')');
    const [field, operator, value] = parts;
    if (!field || !operator || value === undefined) fail('a condition reads (Field:operator:value)');
    return { kind: 'condition', field: field ?? '', operator: (operator ?? '').toLowerCase(), value: value ?? '' };
  };
  const parseGroup = (): Criteria => {
    const parts = [parseTerm()];
    let join: 'and' | 'or' | undefined;
    for (;;) {
      const rest = text.slice(index).toLowerCase();
      const next = rest.startsWith('and') ? 'and' : rest.startsWith('or') ? 'or' : undefined;
      if (!next) break;
      if (join && join !== next) fail('mixing and/or needs parentheses');
      join = next;
      index += next.length;
      parts.push(parseTerm());
    }
    return parts.length === 1 && parts[0] ? parts[0] : { kind: 'group', join: join ?? 'and', parts };
  };
  const criteria = parseGroup();
  if (index !== text.length) fail(`unexpected text at position ${index}`);
  return criteria;
}

class CriteriaError extends Error {}

function matchesCriteria(fields: Record<string, unknown>, criteria: Criteria): boolean {
  if (criteria.kind === 'group') {
    return criteria.join === 'and'
      ? criteria.parts.every((part) => matchesCriteria(fields, part))
      : criteria.parts.some((part) => matchesCriteria(fields, part));
  }
  const raw = fields[criteria.field];
  if (raw === undefined || raw === null) return criteria.operator === 'not_equal';
  const normalize = (value: unknown) => (PHONE_FIELDS.includes(criteria.field) ? normalizePhone(value) : String(value).toLowerCase());
  const actual = normalize(raw);
  switch (criteria.operator) {
    case 'equals':
      return actual === normalize(criteria.value);
    case 'not_equal':
      return actual !== normalize(criteria.value);
    case 'starts_with':
      return actual.startsWith(normalize(criteria.value));
    case 'in':
      return criteria.value.split(',').some((value) => actual === normalize(value));
    default:
      throw new CriteriaError(`unsupported operator ${criteria.operator}`);
  }
}

const OPERATORS = ['equals', 'not_equal', 'starts_with', 'in'];

function checkOperators(criteria: Criteria): void {
  if (criteria.kind === 'group') criteria.parts.forEach(checkOperators);
  else if (!OPERATORS.includes(criteria.operator)) throw new CriteriaError(`unsupported operator ${criteria.operator}`);
}

function searchable(state: ZohoState, lead: LeadRecord): boolean {
  if (state.searchCount - lead.createdAtSearch <= lead.searchLag) return false;
  return state.nowMs() - lead.createdMs >= state.searchLagMs;
}

function searchPredicate(query: Record<string, unknown>): ((fields: Record<string, unknown>) => boolean) | CrmErrorBody {
  const text = (name: string) => (typeof query[name] === 'string' && query[name] !== '' ? query[name] : undefined);
  const criteriaText = text('criteria');
  if (criteriaText !== undefined) {
    try {
      const criteria = parseCriteria(criteriaText);
      checkOperators(criteria);
      return (fields) => matchesCriteria(fields, criteria);
    } catch (error) {
      if (!(error instanceof CriteriaError)) throw error;
      return crmErrorBody('INVALID_QUERY', 'invalid query formed', { reason: error.message });
    }
  }
  const email = text('email')?.toLowerCase();
  if (email !== undefined) return (fields) => EMAIL_FIELDS.some((field) => String(fields[field] ?? '').toLowerCase() === email);
  const phone = text('phone');
  if (phone !== undefined) {
    return (fields) => PHONE_FIELDS.some((field) => !isBlank(fields[field]) && normalizePhone(fields[field]) === normalizePhone(phone));
  }
  const word = text('word')?.toLowerCase();
  if (word !== undefined) {
    return (fields) => Object.values(fields).some((value) => typeof value === 'string' && value.toLowerCase().includes(word));
  }
  return crmErrorBody('REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param: 'criteria' });
}

function addNote(state: ZohoState, parentId: string, record: Record<string, unknown>): RecordResult {
  if (isBlank(record.Note_Content)) return failure('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'Note_Content' });
  if (typeof record.Note_Content !== 'string') return failure('INVALID_DATA', 'invalid data', { api_name: 'Note_Content', expected_data_type: 'textarea' });
  if (record.Note_Title !== undefined && record.Note_Title !== null && typeof record.Note_Title !== 'string') {
    return failure('INVALID_DATA', 'invalid data', { api_name: 'Note_Title', expected_data_type: 'text' });
  }
  const now = state.nowMs();
  const note: NoteRecord = {
    id: state.newCrmId(),
    parentModule: 'Leads',
    parentId,
    title: typeof record.Note_Title === 'string' ? record.Note_Title : undefined,
    content: record.Note_Content,
    createdMs: now,
  };
  state.notes.set(note.id, note);
  return success(state, 'record added', { id: note.id, createdMs: now, modifiedMs: now });
}

/** v8 wants `Parent_Id: { module: { api_name: "Leads" }, id }`; the older string form is refused. */
function noteParent(state: ZohoState, record: Record<string, unknown>): string | RecordResult {
  const parent = record.Parent_Id;
  if (isBlank(parent)) return failure('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'Parent_Id' });
  if (typeof parent !== 'object' || Array.isArray(parent)) {
    return failure('INVALID_DATA', 'invalid data', { api_name: 'Parent_Id', expected_data_type: 'jsonobject' });
  }
  const { module, id } = parent as { module?: { api_name?: unknown }; id?: unknown };
  if (module?.api_name !== 'Leads') {
    return failure('INVALID_MODULE', 'the module name given seems to be invalid', { api_name: 'Parent_Id.module' });
  }
  if (typeof id !== 'string' || !state.leads.has(id)) {
    return failure('INVALID_DATA', 'the id given seems to be invalid', { api_name: 'Parent_Id.id' });
  }
  return id;
}

function page(query: Record<string, unknown>, items: Record<string, unknown>[]) {
  const perPage = Math.min(MAX_PER_PAGE, Math.max(1, Number(query.per_page) || MAX_PER_PAGE));
  const pageNumber = Math.max(1, Number(query.page) || 1);
  const data = items.slice((pageNumber - 1) * perPage, pageNumber * perPage);
  return {
    data,
    info: {
      per_page: perPage,
      count: data.length,
      page: pageNumber,
      more_records: items.length > pageNumber * perPage,
    },
  };
}

export function registerCrmRoutes(app: FastifyInstance, state: ZohoState): void {
  app.register(
    async (crm) => {
      crm.addHook('preHandler', async (request, reply) => {
        const auth = authenticate(state, request);
        if (!auth.ok && auth.reason === 'missing') {
          return reply.code(401).send(crmErrorBody('AUTHENTICATION_FAILURE', 'Authentication failed'));
        }
        if (!auth.ok) return reply.code(401).send(INVALID_TOKEN_BODY);
        if (!hasScope(auth.token, 'crm')) {
          return reply.code(401).send(crmErrorBody('OAUTH_SCOPE_MISMATCH', 'invalid oauth scope to access this URL'));
        }
        if (state.creditLimit !== undefined && state.creditsUsed() >= state.creditLimit) {
          return reply.code(400).send(crmErrorBody('LIMIT_EXCEEDED', 'the API credits for the last 24 hours are used up'));
        }
        state.creditUses.push(state.nowMs());
      });
      crm.setNotFoundHandler((request, reply) => {
        const module = (request.url.split('?')[0] ?? '').split('/')[3] ?? '';
        if (!['Leads', 'Notes'].includes(module)) {
          return reply.code(400).send(crmErrorBody('INVALID_MODULE', 'the module name given seems to be invalid', { resource_path_index: 0 }));
        }
        return reply.code(404).send(crmErrorBody('INVALID_URL_PATTERN', 'Please check if the URL trying to access is a correct one'));
      });
      crm.setErrorHandler((error, _request, reply) => {
        const status = (error as { statusCode?: number }).statusCode ?? 500;
        if (status >= 500) return reply.code(500).send(INTERNAL_ERROR_BODY);
        return reply.code(400).send(crmErrorBody('INVALID_DATA', (error as Error).message));
      });

      crm.post('/Leads', async (request, reply) => {
        const records = readRecords(request, reply);
        if (!records) return reply;
        return sendBatch(
          reply,
          records.map((record) => insertLead(state, record)),
          201,
        );
      });

      crm.put('/Leads', async (request, reply) => {
        const records = readRecords(request, reply);
        if (!records) return reply;
        const results = records.map((record) => {
          if (isBlank(record.id)) return failure('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'id' });
          const lead = state.leads.get(String(record.id));
          if (!lead) return failure('INVALID_DATA', 'the id given seems to be invalid', { api_name: 'id' });
          return updateLead(state, lead, record);
        });
        return sendBatch(reply, results, 200);
      });

      crm.post('/Leads/upsert', async (request, reply) => {
        const records = readRecords(request, reply);
        if (!records) return reply;
        const body = request.body as Record<string, unknown>;
        const checkFields = Array.isArray(body.duplicate_check_fields)
          ? body.duplicate_check_fields.filter((field): field is string => typeof field === 'string')
          : ['Email'];
        // Upsert looks records up in the database, not the search index, so index lag does not apply.
        const results = records.map((record) => {
          for (const field of checkFields) {
            const existing = findDuplicate(state, field, record[field]);
            if (existing) return updateLead(state, existing, record, { duplicate_field: field, action: 'update' });
          }
          const inserted = insertLead(state, record);
          return inserted.status === 'success' ? { ...inserted, duplicate_field: null, action: 'insert' } : inserted;
        });
        return sendBatch(reply, results, 200);
      });

      crm.get('/Leads/search', async (request, reply) => {
        state.searchCount += 1;
        const query = request.query as Record<string, unknown>;
        const predicate = searchPredicate(query);
        if (typeof predicate !== 'function') return reply.code(400).send(predicate);
        const found = [...state.leads.values()].filter((lead) => searchable(state, lead) && predicate(lead.fields)).map((lead) => leadView(state, lead));
        // Zoho answers "nothing found" with 204 and an empty body, not an empty list.
        if (found.length === 0) return reply.code(204).send();
        return page(query, found);
      });

      type LeadParams = { Params: { id: string } };
      crm.get<LeadParams>('/Leads/:id', async (request, reply) => {
        const lead = state.leads.get(request.params.id);
        if (!lead) return reply.code(204).send();
        return { data: [leadView(state, lead)] };
      });

      crm.put<LeadParams>('/Leads/:id', async (request, reply) => {
        const records = readRecords(request, reply);
        if (!records) return reply;
        const lead = state.leads.get(request.params.id);
        const results = records.map((record) =>
          lead ? updateLead(state, lead, record) : failure('INVALID_DATA', 'the id given seems to be invalid', { api_name: 'id' }),
        );
        return sendBatch(reply, results, 200);
      });

      crm.post<LeadParams>('/Leads/:id/Notes', async (request, reply) => {
        if (!state.leads.has(request.params.id)) {
          return reply.code(400).send(crmErrorBody('INVALID_DATA', 'the related id given seems to be invalid', { resource_path_index: 1 }));
        }
        const records = readRecords(request, reply);
        if (!records) return reply;
        return sendBatch(
          reply,
          records.map((record) => addNote(state, request.params.id, record)),
          201,
        );
      });

      crm.get<LeadParams>('/Leads/:id/Notes', async (request, reply) => {
        if (!state.leads.has(request.params.id)) {
          return reply.code(400).send(crmErrorBody('INVALID_DATA', 'the related id given seems to be invalid', { resource_path_index: 1 }));
        }
        const notes = [...state.notes.values()].filter((note) => note.parentId === request.params.id).map((note) => noteView(state, note));
        if (notes.length === 0) return reply.code(204).send();
        return page(request.query as Record<string, unknown>, notes);
      });

      crm.post('/Notes', async (request, reply) => {
        const records = readRecords(request, reply);
        if (!records) return reply;
        const results = records.map((record) => {
          const parent = noteParent(state, record);
          return typeof parent === 'string' ? addNote(state, parent, record) : parent;
        });
        return sendBatch(reply, results, 201);
      });
    },
    { prefix: '/crm/v8' },
  );
}
