/**
 * Vendor trouble never kills the call: a booking function runs against its own deadline (a little inside the
 * router's budget), and when the calendar is slow, down or disconnected the agent gets an honest spoken
 * fallback, staff get a callback task, and an alert says what failed. The deadline answers the fallback only after
 * closing the call's commit gate (`core/commit-gate.ts`), so the work cannot commit behind the caller's back.
 */
import type { AppContext } from '../app-context.js';
import type { CommitGate } from '../core/commit-gate.js';
import { errorMessage } from '../core/errors.js';
import type { FunctionCall, FunctionResult } from '../functions/types.js';
import { maskText } from '../log/mask.js';
import { CalendarUnavailable } from './calendar-port.js';
import { lateEventNoteFor } from './late-event.js';
import { en } from '../i18n/phrases/en.js';
import { phrasesFor } from '../i18n/phrases/index.js';

/** The English fallback (every language's is in its phrase table). */
export const CALENDAR_FALLBACK_MESSAGE = en.functions.calendarFallback;

export interface FallbackInput {
  context: AppContext;
  clientId: string;
  call: FunctionCall;
  /** The router's signal (aborted when its budget is spent). */
  signal: AbortSignal;
  /** The router's commit gate: the work enters it before committing, the deadline closes it before the fallback. */
  gate: CommitGate;
  budgetMs: number;
  /** What the caller wanted, for the callback task ("book an individual tax return on …"). */
  wanted: string;
  callerName?: string;
  phone?: string;
  functionName: string;
  /** The appointment the work held, if it got that far: the callback task is tied to it (see `settleLateEvent`). */
  appointmentId?: () => number | undefined;
}

class DeadlineReached extends Error {
  constructor(ms: number) {
    super(`no answer from the calendar within ${ms} ms`);
    this.name = 'DeadlineReached';
  }
}

/** Our deadline: leave the router room to send our answer before its own budget fires. */
export function deadlineMs(budgetMs: number): number {
  return Math.max(250, budgetMs - Math.min(500, Math.floor(budgetMs / 4)));
}

/**
 * At the deadline the gate decides. A commit let through before it: that outcome is the answer, however long it
 * takes (the router bounds the wait). Otherwise the gate is closed, so nothing the work does can commit any more,
 * and `settle`, when given, runs before the fallback is answered: it may answer instead (the work's effect was
 * complete already, e.g. booked by an earlier request of the call), and it cleans up what the work left (a hold).
 * It also runs when a commit that was let through failed, where the database alone knows the outcome.
 */
export async function withCalendarFallback(
  input: FallbackInput,
  work: (signal: AbortSignal) => Promise<FunctionResult>,
  settle?: () => Promise<FunctionResult | undefined>,
): Promise<FunctionResult> {
  const controller = new AbortController();
  const abort = () => controller.abort(input.signal.reason);
  input.signal.addEventListener('abort', abort, { once: true });
  const ms = deadlineMs(input.budgetMs);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineReached(ms)), ms);
  });
  const running = work(controller.signal);
  const settleOrFallback = async (error: unknown) => {
    const settled = settle
      ? await settle().catch((settleError: unknown) => {
          input.context.logger.error({ err: settleError }, 'Could not settle abandoned calendar work');
          return undefined;
        })
      : undefined;
    return settled ?? fallback(input, error);
  };
  try {
    return await Promise.race([running, deadline]);
  } catch (error) {
    if (!input.gate.close()) {
      try {
        return await running;
      } catch (commitError) {
        return await settleOrFallback(commitError);
      }
    }
    controller.abort(error);
    // The abandoned work may still fail later; that is already covered by this fallback.
    running.catch(() => undefined);
    return await settleOrFallback(error);
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener('abort', abort);
  }
}

async function fallback(input: FallbackInput, error: unknown): Promise<FunctionResult> {
  const { context, clientId, call } = input;
  const why = error instanceof DeadlineReached ? 'timeout' : error instanceof CalendarUnavailable ? error.code : ((error as { code?: string }).code ?? 'error');
  let taskId: number | undefined;
  try {
    const phone = input.phone ?? call.fromNumber;
    const customer = phone
      ? await context.db.selectFrom('customers').select(['id', 'name']).where('client_id', '=', clientId).where('phone', '=', phone).executeTakeFirst()
      : undefined;
    const now = context.clock.now();
    const appointmentId = input.appointmentId?.();
    const task = await context.db.transaction().execute(async (trx) => {
      // Under the appointment's row lock, as a late calendar answer settles it: that comes either before (and its
      // outcome is noted here) or after (and it finds this task to note).
      const appointment =
        appointmentId === undefined
          ? undefined
          : await trx
              .selectFrom('appointments')
              .selectAll()
              .where('id', '=', appointmentId)
              .where('client_id', '=', clientId)
              .forNoKeyUpdate()
              .executeTakeFirst();
      const note = appointment ? lateEventNoteFor(appointment, context.clients.get(clientId)!.config) : null;
      return trx
        .insertInto('callback_tasks')
        .values({
          client_id: clientId,
          call_id: call.callId,
          customer_id: customer?.id ?? null,
          phone: phone ?? null,
          name: input.callerName ?? customer?.name ?? null,
          reason: `Wanted to ${input.wanted}, but the calendar could not be reached (${why}). Please call back to finish.`,
          preferred_time: null,
          appointment_id: appointment?.id ?? null,
          note,
          noted_at: note ? now : null,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
    });
    taskId = task.id;
    await context.bus.publish({ type: 'callback.created', clientId, data: { id: task.id, callId: call.callId } });
  } catch (taskError) {
    context.logger.error({ err: taskError, clientId }, 'Could not create a callback task after a calendar failure');
  }
  await context.alerts.raise({
    clientId,
    source: 'booking.calendar',
    fingerprint: `booking.calendar:${why}:${clientId}`,
    severity: error instanceof CalendarUnavailable ? 'critical' : 'error',
    callId: call.callId,
    message: maskText(
      `${input.functionName} could not reach the calendar during a call (${errorMessage(error)}). The caller was offered a callback${taskId ? ` (task ${taskId})` : ''}.`,
    ),
    details: { function: input.functionName, reason: why },
  });
  return {
    ok: false,
    fallback: true,
    message: phrasesFor(input.call.language).functions.calendarFallback,
    ...(taskId ? { callback_task_id: String(taskId) } : {}),
  };
}
