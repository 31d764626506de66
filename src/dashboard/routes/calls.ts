/** Calls: live (in progress + last hour), searchable history, and the call page with everything a call caused. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { clientFilter, currentUser, notFound, parseInput } from '../http.js';
import { appointmentView, callView, outboxView } from '../views.js';
import { loadMessages } from './messages.js';
import { loadCallInsight } from './caller-profile.js';

const OUTCOMES = ['booked', 'rescheduled', 'cancelled', 'info_only', 'callback_requested', 'opted_out', 'voicemail', 'abandoned'] as const;

const listQuery = z.object({
  client: z.string().optional(),
  q: z.string().trim().max(100).optional(),
  outcome: z.enum(OUTCOMES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.iso.datetime({ offset: true }).optional(),
});
const liveQuery = z.object({ client: z.string().optional() });
const idParam = z.object({ id: z.string().min(1).max(200) });

export function callRoutes(app: FastifyInstance, context: AppContext): void {
  const withCustomer = () =>
    context.db.selectFrom('calls').leftJoin('customers', 'customers.id', 'calls.customer_id').selectAll('calls').select('customers.name as customer_name');

  app.get('/v1/api/live-calls', async (request) => {
    const user = currentUser(request);
    const query = parseInput(liveQuery, request.query);
    const clientIds = clientFilter(user, query.client);
    const hourAgo = new Date(context.clock.now().getTime() - 60 * 60 * 1000);
    const active = await withCustomer()
      .where('calls.client_id', 'in', clientIds)
      .where('calls.status', 'in', ['ringing', 'in_progress'])
      .orderBy('calls.created_at', 'desc')
      .limit(100)
      .execute();
    const recent = await withCustomer()
      .where('calls.client_id', 'in', clientIds)
      .where('calls.status', 'in', ['ended', 'analyzed'])
      .where((eb) => eb(eb.fn.coalesce('calls.ended_at', 'calls.updated_at'), '>=', hourAgo))
      .orderBy('calls.updated_at', 'desc')
      .limit(100)
      .execute();
    const functions = active.length
      ? await context.db
          .selectFrom('function_invocations')
          .select(['call_id', 'name', 'status', 'created_at'])
          .where(
            'call_id',
            'in',
            active.map((call) => call.id),
          )
          .orderBy('id')
          .execute()
      : [];
    return {
      now: context.clock.now().toISOString(),
      active: active.map((call) => ({
        ...callView(call, { name: call.customer_name }),
        transcript: call.transcript,
        functions: functions.filter((fn) => fn.call_id === call.id).map((fn) => ({ name: fn.name, status: fn.status })),
      })),
      recent: recent.map((call) => callView(call, { name: call.customer_name })),
    };
  });

  app.get('/v1/api/calls', async (request) => {
    const user = currentUser(request);
    const query = parseInput(listQuery, request.query);
    let select = withCustomer().where('calls.client_id', 'in', clientFilter(user, query.client));
    if (query.outcome) select = select.where('calls.outcome', '=', query.outcome);
    if (query.before) select = select.where('calls.created_at', '<', new Date(query.before));
    if (query.q) {
      const like = `%${query.q.replace(/[%_\\]/g, (char) => `\\${char}`)}%`;
      select = select.where((eb) =>
        eb.or([
          eb('calls.id', '=', query.q!),
          eb('calls.from_number', 'ilike', like),
          eb('customers.name', 'ilike', like),
          eb('calls.summary', 'ilike', like),
          eb('calls.intent', 'ilike', like),
        ]),
      );
    }
    const rows = await select.orderBy('calls.created_at', 'desc').limit(query.limit).execute();
    return { calls: rows.map((call) => callView(call, { name: call.customer_name })) };
  });

  app.get('/v1/api/calls/:id', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(idParam, request.params);
    const call = await withCustomer().where('calls.id', '=', id).executeTakeFirst();
    if (!call || !user.clientIds.includes(call.client_id)) throw notFound('That call');
    const [functions, appointments, messageRows, crmRows, crmNotes, insight] = await Promise.all([
      context.db.selectFrom('function_invocations').selectAll().where('call_id', '=', id).orderBy('id').execute(),
      context.db.selectFrom('appointments').selectAll().where('call_id', '=', id).where('status', '!=', 'released').orderBy('id').execute(),
      context.db.selectFrom('outbox').selectAll().where('call_id', '=', id).where('kind', 'in', ['sms', 'email']).orderBy('run_at').execute(),
      context.db.selectFrom('outbox').selectAll().where('call_id', '=', id).where('kind', '=', 'crm_sync').orderBy('id').execute(),
      context.db.selectFrom('crm_notes').select(['purpose', 'lead_id', 'note_id', 'created_at']).where('call_id', '=', id).execute(),
      loadCallInsight(context.db, id),
    ]);
    // Messages about an appointment booked in this call are part of the call's story too.
    const appointmentIds = appointments.map((appointment) => appointment.id);
    const appointmentMessages = appointmentIds.length
      ? await context.db
          .selectFrom('outbox')
          .selectAll()
          .where('appointment_id', 'in', appointmentIds)
          .where('kind', 'in', ['sms', 'email'])
          .where('id', 'not in', messageRows.length ? messageRows.map((row) => row.id) : [0])
          .execute()
      : [];
    const messages = await loadMessages(
      context.db,
      [...messageRows, ...appointmentMessages].sort((a, b) => a.run_at.getTime() - b.run_at.getTime()),
    );
    return {
      call: {
        ...callView(call, { name: call.customer_name }),
        transcript: call.transcript,
        recordingUrl: call.recording_url,
        publicLogUrl: call.public_log_url,
        customAnalysis: call.custom_analysis,
        transcriptObject: call.transcript_object,
      },
      insight,
      functions: functions.map((fn) => ({
        name: fn.name,
        args: fn.args,
        result: fn.result,
        status: fn.status,
        at: fn.created_at.toISOString(),
        durationMs: fn.finished_at ? fn.finished_at.getTime() - fn.created_at.getTime() : null,
      })),
      appointments: appointments.map(appointmentView),
      messages,
      crm: {
        syncs: crmRows.map(outboxView),
        notes: crmNotes.map((note) => ({ purpose: note.purpose, leadId: note.lead_id, noteId: note.note_id, at: note.created_at.toISOString() })),
      },
    };
  });
}
