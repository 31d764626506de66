/**
 * Zoho CRM API v8 client (Leads and Notes) on the connection's `api_domain`. It reads Zoho's envelope
 * (a per-record `code`/`status` inside a 200, 201, 202 or 400) and turns every failure into a VendorError whose
 * `retryable` tells the outbox to retry or give up. Token handling is the caller's: `access()` hands out the
 * current token, `invalidate()` is called once after INVALID_TOKEN so the next `access()` refreshes.
 */
import { phoneForms } from '../../core/phone-forms.js';
import { VendorError } from '../../core/errors.js';
import { maskText } from '../../log/mask.js';

const VENDOR = 'zoho_crm';

export interface CrmAccess {
  accessToken: string;
  /** e.g. https://www.zohoapis.com; the API lives under `/crm/v8`. */
  apiDomain: string;
}

export interface ZohoCrmClientOptions {
  access(): Promise<CrmAccess>;
  invalidate(accessToken: string): Promise<void>;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type LeadFields = Record<string, unknown>;
export type LeadRecord = LeadFields & { id: string };

export interface WriteResult {
  id: string;
  /** insert or update (upsert), or `duplicate` when an insert met DUPLICATE_DATA and the existing id is used. */
  action: 'insert' | 'update' | 'duplicate';
}

export interface NoteInput {
  title: string;
  content: string;
}

export interface NoteRecord {
  id: string;
  Note_Title: string | null;
  Note_Content: string;
}

export type LeadSearch = { phone: string } | { email: string } | { criteria: string } | { word: string };

/** Error codes a retry can fix (rate limits, credits that come back over the rolling day, Zoho's own outages). */
const RETRYABLE_CODES = new Set(['LIMIT_EXCEEDED', 'TOO_MANY_REQUESTS', 'INTERNAL_ERROR', 'INVALID_TOKEN']);

interface ZohoAnswer {
  status: number;
  body: unknown;
}

interface RecordOutcome {
  code: string;
  status: string;
  message: string;
  details: Record<string, unknown>;
  [key: string]: unknown;
}

export class ZohoCrmClient {
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ZohoCrmClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? fetch;
  }

  /** Leads matching a search; Zoho's "nothing found" (204, empty body) is an empty list. */
  async searchLeads(search: LeadSearch, options: { perPage?: number } = {}): Promise<LeadRecord[]> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(search)) params.set(key, value);
    params.set('per_page', String(options.perPage ?? 10));
    const answer = await this.request('GET', `/Leads/search?${params.toString()}`);
    return readList(answer) as LeadRecord[];
  }

  /**
   * Leads whose Phone or Mobile holds this number in any of its common written forms. Zoho stores phones as
   * typed, so `+14155550102`, `4155550102` and `(415) 555-0102` are different values; one criteria search
   * asks for all of them (one API credit).
   */
  async searchLeadsByPhone(phoneE164: string): Promise<LeadRecord[]> {
    const forms = phoneForms(phoneE164);
    const conditions = forms.flatMap((form) => [`(Phone:equals:${escapeCriteria(form)})`, `(Mobile:equals:${escapeCriteria(form)})`]);
    return this.searchLeads({ criteria: conditions.length === 1 ? conditions[0]! : `(${conditions.join('or')})` });
  }

  async getLead(id: string): Promise<LeadRecord | undefined> {
    const answer = await this.request('GET', `/Leads/${encodeURIComponent(id)}`);
    return readList(answer)[0] as LeadRecord | undefined;
  }

  /** Creates a lead; a DUPLICATE_DATA answer means it already exists, so its id is returned as found. */
  async insertLead(fields: LeadFields, options: { trigger?: string[] } = {}): Promise<WriteResult> {
    const answer = await this.request('POST', '/Leads', { data: [fields], trigger: options.trigger ?? [] });
    return writeResult(answer, 'insert');
  }

  async updateLead(id: string, fields: LeadFields, options: { trigger?: string[] } = {}): Promise<WriteResult> {
    const answer = await this.request('PUT', `/Leads/${encodeURIComponent(id)}`, {
      data: [{ ...fields, id }],
      trigger: options.trigger ?? [],
    });
    return writeResult(answer, 'update');
  }

  /**
   * Insert-or-update by Zoho's own duplicate check, which reads the database rather than the search index:
   * the safe way to create when a lead made a moment ago may not be searchable yet.
   */
  async upsertLead(fields: LeadFields, duplicateCheckFields: string[], options: { trigger?: string[] } = {}): Promise<WriteResult> {
    const answer = await this.request('POST', '/Leads/upsert', {
      data: [fields],
      duplicate_check_fields: duplicateCheckFields,
      trigger: options.trigger ?? [],
    });
    return writeResult(answer, 'insert');
  }

  /** A note on a lead, in v8's `Parent_Id: { module: { api_name }, id }` form. */
  async addNote(leadId: string, note: NoteInput): Promise<{ id: string }> {
    const answer = await this.request('POST', '/Notes', {
      data: [
        {
          Note_Title: note.title,
          Note_Content: note.content,
          Parent_Id: { module: { api_name: 'Leads' }, id: leadId },
        },
      ],
    });
    const { id } = writeResult(answer, 'insert');
    return { id };
  }

  async listNotes(leadId: string): Promise<NoteRecord[]> {
    const answer = await this.request('GET', `/Leads/${encodeURIComponent(leadId)}/Notes?per_page=200`);
    return readList(answer) as unknown as NoteRecord[];
  }

  /** One request with the current token; after INVALID_TOKEN the token is invalidated and the request sent once more. */
  private async request(method: string, path: string, body?: unknown): Promise<ZohoAnswer> {
    const first = await this.send(method, path, body);
    if (errorCode(first) !== 'INVALID_TOKEN') return check(first, method, path);
    const second = await this.send(method, path, body, first.accessToken);
    return check(second, method, path);
  }

  private async send(method: string, path: string, body: unknown, staleToken?: string): Promise<ZohoAnswer & { accessToken: string }> {
    if (staleToken !== undefined) await this.options.invalidate(staleToken);
    const access = await this.options.access();
    const url = `${access.apiDomain.replace(/\/+$/, '')}/crm/v8${path}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, {
        method,
        headers: {
          authorization: `Zoho-oauthtoken ${access.accessToken}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new VendorError({
        vendor: VENDOR,
        code: timedOut ? 'TIMEOUT' : 'NETWORK',
        message: timedOut
          ? `Zoho CRM did not answer ${method} ${pathOnly(path)} within ${this.timeoutMs} ms; will retry.`
          : `Could not reach Zoho CRM for ${method} ${pathOnly(path)} (${(error as Error).message}); will retry.`,
        retryable: true,
        cause: error,
      });
    }
    let parsed: unknown = undefined;
    // 204 (nothing found) has an empty body: never JSON-parse it.
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { code: response.status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_RESPONSE', message: text.slice(0, 200) };
      }
    }
    return { status: response.status, body: parsed, accessToken: access.accessToken };
  }
}

/** The code of a top-level error body, or of the only record of a data envelope. */
function errorCode(answer: ZohoAnswer): string | undefined {
  const body = answer.body as Record<string, unknown> | undefined;
  if (body && typeof body.code === 'string' && body.status === 'error') return body.code;
  if (answer.status === 401 && body && typeof body.code === 'string') return body.code;
  return undefined;
}

/** Throws for a failed request as a whole (HTTP status or top-level error body); per-record errors are read later. */
function check(answer: ZohoAnswer, method: string, path: string): ZohoAnswer {
  const body = (answer.body ?? {}) as Record<string, unknown>;
  const topLevel = typeof body.code === 'string' && !Array.isArray(body.data);
  if (answer.status < 300 && !topLevel) return answer;
  if (!topLevel && Array.isArray(body.data) && answer.status < 500 && answer.status !== 429) return answer;
  const code =
    typeof body.code === 'string' ? body.code : answer.status === 429 ? 'TOO_MANY_REQUESTS' : answer.status >= 500 ? 'INTERNAL_ERROR' : `HTTP_${answer.status}`;
  throw vendorError(code, answer.status, describe(body), `${method} ${pathOnly(path)}`, body);
}

function vendorError(code: string, status: number | undefined, detail: string, where: string, response: unknown) {
  const retryable = RETRYABLE_CODES.has(code) || status === 429 || (status !== undefined && status >= 500);
  const advice: Record<string, string> = {
    INVALID_TOKEN: 'the access token was refused twice; the connection will be refreshed on the next try',
    AUTHENTICATION_FAILURE: 'Zoho refused the credentials; reconnect Zoho (switchboard zoho connect)',
    OAUTH_SCOPE_MISMATCH: 'the Zoho connection lacks the ZohoCRM.modules scope; reconnect Zoho with CRM access',
    LIMIT_EXCEEDED: 'the Zoho CRM API limit is used up; will retry',
    TOO_MANY_REQUESTS: 'Zoho CRM is rate limiting; will retry',
    INTERNAL_ERROR: 'Zoho CRM had an internal error; will retry',
    MANDATORY_NOT_FOUND: 'a field Zoho requires is missing; check the Leads layout and zoho.crm settings',
    INVALID_DATA: 'Zoho refused a field value; check zoho.crm.fieldMap against the Leads layout',
  };
  return new VendorError({
    vendor: VENDOR,
    code,
    status,
    retryable,
    message: maskText(
      `Zoho CRM ${where} failed: ${code}${detail ? ` (${detail})` : ''}; ${advice[code] ?? (retryable ? 'will retry' : 'retrying will not help')}.`,
    ),
    response: maskResponse(response),
  });
}

/** Only the shape of an error travels into outbox rows: codes and field names, never record values. */
function maskResponse(response: unknown): unknown {
  const pick = (item: unknown) => {
    const record = (item ?? {}) as Record<string, unknown>;
    const details = (record.details ?? {}) as Record<string, unknown>;
    return {
      code: record.code,
      status: record.status,
      details: { api_name: details.api_name, expected_data_type: details.expected_data_type },
    };
  };
  const body = (response ?? {}) as Record<string, unknown>;
  return Array.isArray(body.data) ? { data: body.data.map(pick) } : pick(body);
}

function describe(record: Record<string, unknown>): string {
  const details = (record.details ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof record.message === 'string') parts.push(record.message);
  if (typeof details.api_name === 'string') parts.push(`field ${details.api_name}`);
  if (typeof details.expected_data_type === 'string') parts.push(`expected ${details.expected_data_type}`);
  return parts.join(', ');
}

function readList(answer: ZohoAnswer): Record<string, unknown>[] {
  if (answer.status === 204 || answer.body === undefined) return [];
  const data = (answer.body as Record<string, unknown>).data;
  return Array.isArray(data) ? (data as Record<string, unknown>[]) : [];
}

/** Reads the single record's outcome; DUPLICATE_DATA with an existing id counts as found. */
function writeResult(answer: ZohoAnswer, defaultAction: 'insert' | 'update'): WriteResult {
  const record = readList(answer)[0] as RecordOutcome | undefined;
  if (!record) throw vendorError('INVALID_RESPONSE', answer.status, 'no record in the answer', 'write', answer.body);
  const details = record.details ?? {};
  if (record.status === 'success' && typeof details.id === 'string') {
    const action = record.action === 'update' || record.action === 'insert' ? record.action : defaultAction;
    return { id: details.id, action };
  }
  if (record.code === 'DUPLICATE_DATA' && typeof details.id === 'string') return { id: details.id, action: 'duplicate' };
  throw vendorError(record.code ?? 'UNKNOWN', answer.status, describe(record), 'write', answer.body);
}

function pathOnly(path: string): string {
  return path.split('?')[0] ?? path;
}

/** Zoho criteria values escape `(`, `)`, `,` and `:` (and the escape character itself) with a backslash. */
export function escapeCriteria(value: string): string {
  return value.replace(/[\\(),:]/g, (char) => `\\${char}`);
}

/** The ways a number is commonly typed into a CRM (shared with every CRM's lookup). */
export { phoneForms } from '../../core/phone-forms.js';
