/** Caller memory: search, edit (audited), consent per channel with history, staff opt-out / opt-in. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isLanguage, LANGUAGES } from '../../i18n/phrases/index.js';
import type { AppContext } from '../../app-context.js';
import type { CustomerRow } from '../../db/tables/calls.js';
import { consentHistory, setConsent } from '../../customers/consent.js';
import { updateCustomer, type CustomerFields } from '../../customers/store.js';
import { CUSTOMER_CHANGED } from '../../customers/call-language-memo.js';
import { writeAudit } from '../audit.js';
import { HttpProblem, clientFilter, currentUser, notFound, numericIdParam, parseInput } from '../http.js';
import { callView, customerView } from '../views.js';
import { loadMessages } from './messages.js';
import { profileView } from './caller-profile.js';

const listQuery = z.object({
  client: z.string().optional(),
  q: z.string().trim().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const editBody = z
  .object({
    name: z.string().trim().max(200).nullable(),
    email: z
      .string()
      .trim()
      .max(320)
      .refine((value) => value === '' || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value), 'is not an e-mail address')
      .nullable(),
    notes: z.string().max(5000).nullable(),
    /** A language Switchboard speaks ("es"), or empty for "the office's default". */
    preferredLanguage: z
      .string()
      .trim()
      .max(20)
      .refine((value) => value === '' || isLanguage(value), `must be one of ${LANGUAGES.join(', ')} (or empty for the office's language)`)
      .nullable(),
  })
  .partial();
const consentBody = z.object({
  channel: z.enum(['sms', 'email']),
  purpose: z.enum(['marketing', 'transactional', 'all']).default('all'),
  status: z.enum(['opted_out', 'opted_in']),
});

type Consents = Record<'sms' | 'email', { address: string | null; marketing: string; transactional: string }>;

export function customerRoutes(app: FastifyInstance, context: AppContext): void {
  async function findCustomer(id: number, clientIds: string[]): Promise<CustomerRow> {
    const row = await context.db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !clientIds.includes(row.client_id)) throw notFound('That customer');
    return row;
  }

  async function consentsOf(customer: CustomerRow): Promise<Consents> {
    const addresses = [customer.phone, customer.email?.toLowerCase()].filter((value): value is string => Boolean(value));
    const rows = await context.db
      .selectFrom('consents')
      .select(['channel', 'address', 'purpose', 'status'])
      .where('client_id', '=', customer.client_id)
      .where('address', 'in', addresses)
      .execute();
    const statusOf = (channel: 'sms' | 'email', address: string | null, purpose: string) =>
      rows.find((row) => row.channel === channel && row.address === address && row.purpose === purpose)?.status ?? 'not_asked';
    const email = customer.email?.toLowerCase() ?? null;
    return {
      sms: {
        address: customer.phone,
        marketing: statusOf('sms', customer.phone, 'marketing'),
        transactional: statusOf('sms', customer.phone, 'transactional'),
      },
      email: { address: email, marketing: statusOf('email', email, 'marketing'), transactional: statusOf('email', email, 'transactional') },
    };
  }

  app.get('/v1/api/customers', async (request) => {
    const user = currentUser(request);
    const query = parseInput(listQuery, request.query);
    let select = context.db.selectFrom('customers').selectAll().where('client_id', 'in', clientFilter(user, query.client));
    if (query.q) {
      const like = `%${query.q.replace(/[%_\\]/g, (char) => `\\${char}`)}%`;
      select = select.where((eb) => eb.or([eb('phone', 'ilike', like), eb('name', 'ilike', like), eb('email', 'ilike', like)]));
    }
    const rows = await select
      .orderBy('last_call_at', (ob) => ob.desc().nullsLast())
      .orderBy('id', 'desc')
      .limit(query.limit)
      .execute();
    return { customers: rows.map(customerView) };
  });

  app.get('/v1/api/customers/:id', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const customer = await findCustomer(id, user.clientIds);
    const [calls, messageRows, smsHistory, emailHistory, profile] = await Promise.all([
      context.db.selectFrom('calls').selectAll().where('customer_id', '=', id).orderBy('created_at', 'desc').limit(20).execute(),
      context.db
        .selectFrom('outbox')
        .selectAll()
        .where('customer_id', '=', id)
        .where('kind', 'in', ['sms', 'email'])
        .orderBy('run_at', 'desc')
        .limit(50)
        .execute(),
      consentHistory(context.db, customer.client_id, customer.phone),
      customer.email ? consentHistory(context.db, customer.client_id, customer.email) : Promise.resolve([]),
      context.db.selectFrom('caller_profiles').selectAll().where('customer_id', '=', id).executeTakeFirst(),
    ]);
    return {
      customer: customerView(customer),
      consents: await consentsOf(customer),
      consentHistory: [...smsHistory, ...emailHistory]
        .sort((a, b) => a.changed_at.getTime() - b.changed_at.getTime())
        .map((row) => ({
          channel: row.channel,
          purpose: row.purpose,
          status: row.status,
          source: row.source,
          actor: row.actor,
          at: row.changed_at.toISOString(),
        })),
      calls: calls.map((call) => callView(call, customer)),
      messages: await loadMessages(context.db, messageRows),
      profile: profileView(profile),
    };
  });

  app.patch('/v1/api/customers/:id', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const input = parseInput(editBody, request.body);
    const customer = await findCustomer(id, user.clientIds);
    const fields: CustomerFields = {};
    if (input.name !== undefined) fields.name = input.name || null;
    if (input.email !== undefined) fields.email = input.email ? input.email.toLowerCase() : null;
    if (input.notes !== undefined) fields.notes = input.notes || null;
    if (input.preferredLanguage !== undefined && (input.preferredLanguage || null) !== customer.preferred_language) {
      // Staff chose it: a language guessed from a later call does not overwrite it (customers/language.ts).
      fields.preferred_language = input.preferredLanguage || null;
      fields.preferred_language_source = input.preferredLanguage ? 'staff' : null;
    }
    if (Object.keys(fields).length === 0) throw new HttpProblem(400, 'invalid_request', 'Nothing to change.');
    const updated = await context.db.transaction().execute(async (trx) => {
      const row = await updateCustomer(trx, context.clock, id, fields);
      const before = Object.fromEntries(Object.keys(fields).map((key) => [key, customer[key as keyof CustomerFields]]));
      await writeAudit(trx, context.clock, {
        actor: user.email,
        clientId: customer.client_id,
        action: 'customer.edit',
        target: `customer:${id}`,
        before,
        after: fields,
      });
      await context.bus.publish({ type: CUSTOMER_CHANGED, clientId: customer.client_id, data: { id } }, trx);
      return row;
    });
    // Other instances forget on the event; this one at once (a call's next function request may come first).
    if (fields.preferred_language !== undefined) context.callLanguages.forgetCustomer(customer.client_id, id);
    return { customer: customerView(updated) };
  });

  app.post('/v1/api/customers/:id/consent', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const input = parseInput(consentBody, request.body);
    const customer = await findCustomer(id, user.clientIds);
    const address = input.channel === 'sms' ? customer.phone : customer.email;
    if (!address) throw new HttpProblem(400, 'no_address', 'This customer has no e-mail address on file; add one first.');
    const before = await consentsOf(customer);
    const result = await context.db.transaction().execute(async (trx) => {
      const change = await setConsent(trx, context, {
        clientId: customer.client_id,
        channel: input.channel,
        address,
        purpose: input.purpose,
        status: input.status,
        source: 'staff',
        actor: user.email,
      });
      await writeAudit(trx, context.clock, {
        actor: user.email,
        clientId: customer.client_id,
        action: input.status === 'opted_out' ? 'consent.opt_out' : 'consent.opt_in',
        target: `customer:${id}`,
        before: before[input.channel],
        after: { channel: input.channel, purpose: input.purpose, status: input.status, cancelledMessages: change.cancelledOutboxIds },
      });
      if (change.cancelledOutboxIds.length > 0) {
        await context.bus.publish({ type: 'outbox.changed', clientId: customer.client_id, data: { ids: change.cancelledOutboxIds } }, trx);
      }
      return change;
    });
    return { consents: await consentsOf(customer), cancelledMessages: result.cancelledOutboxIds.length };
  });
}
