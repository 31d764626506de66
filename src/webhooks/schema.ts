/**
 * The parts of Retell's payloads we rely on, validated at the door. Unknown fields pass through untouched
 * (Retell adds fields often); a wrong type on a field we use is a 400 naming that field.
 */
import { z } from 'zod';

const text = (max: number) => z.string().max(max);

/** 2000-01-01 and 2100-01-01 (UTC): a call's moments are between them, and PostgreSQL stores every one. */
export const EARLIEST_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
export const LATEST_TIMESTAMP_MS = Date.UTC(2100, 0, 1);
/** A week: longer than any call, and within the `integer` column the duration is stored in. */
export const MAX_CALL_DURATION_MS = 7 * 24 * 3600 * 1000;
const INT32_MAX = 2_147_483_647;

// Integers in range, so an accepted event can always be stored: 1e308 or a negative time would fail in the worker.
const timestamp = z
  .number()
  .int('must be whole milliseconds since 1970')
  .min(EARLIEST_TIMESTAMP_MS, 'must be milliseconds since 1970, after 2000')
  .max(LATEST_TIMESTAMP_MS, 'must be milliseconds since 1970, before 2100');
const duration = z.number().int('must be whole milliseconds').nonnegative().max(MAX_CALL_DURATION_MS, 'must be at most a week');

/**
 * One utterance, checked without being copied: a looseObject schema copies every utterance (and a call_analyzed
 * holds the whole call's) on the webhook's hot path, where the copy is thrown away after the stored payload is built.
 */
type TranscriptUtteranceShape = { role: string; content?: string; [key: string]: unknown };
const transcriptUtterance = z.custom<TranscriptUtteranceShape>(
  (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    const { role, content } = value as Record<string, unknown>;
    return typeof role === 'string' && role.length <= 40 && (content === undefined || (typeof content === 'string' && content.length <= 200_000));
  },
  { message: 'must be an utterance: an object with a "role" text (at most 40 characters) and an optional "content" text' },
);

export const callAnalysisSchema = z.looseObject({
  call_summary: text(50_000).optional(),
  user_sentiment: text(40).optional(),
  call_successful: z.boolean().optional(),
  in_voicemail: z.boolean().optional(),
  custom_analysis_data: z.record(z.string(), z.unknown()).optional(),
});

export const retellCallSchema = z
  .looseObject({
    call_id: text(200).min(1, 'must not be empty'),
    agent_id: text(200).optional(),
    agent_version: z.number().int().nonnegative().max(INT32_MAX).optional(),
    call_type: text(40).optional(),
    call_status: text(40).optional(),
    direction: text(20).optional(),
    from_number: text(40).optional(),
    to_number: text(40).optional(),
    start_timestamp: timestamp.optional(),
    end_timestamp: timestamp.optional(),
    duration_ms: duration.optional(),
    transcript: text(8_000_000).optional(),
    transcript_object: z.array(transcriptUtterance).optional(),
    recording_url: text(4000).optional(),
    public_log_url: text(4000).optional(),
    disconnection_reason: text(100).optional(),
    call_analysis: callAnalysisSchema.optional(),
    retell_llm_dynamic_variables: z.record(z.string(), z.unknown()).optional(),
    metadata: z.unknown().optional(),
  })
  .refine(
    // The stored duration is end - start when the event does not say.
    (call) => call.start_timestamp === undefined || call.end_timestamp === undefined || call.end_timestamp - call.start_timestamp <= MAX_CALL_DURATION_MS,
    { message: 'must be at most a week after start_timestamp', path: ['end_timestamp'] },
  );
export type RetellCall = z.infer<typeof retellCallSchema>;

export const callEventSchema = z.object({
  event: text(100).min(1, 'must name the event'),
  call: retellCallSchema,
});

/** Only `event` is checked first, so an unknown event type (maybe with an unknown body shape) is still accepted. */
export const eventNameSchema = z.looseObject({ event: text(100).min(1, 'must name the event') });

export const inboundSchema = z.object({
  event: z.literal('call_inbound').optional(),
  call_inbound: z.looseObject({
    agent_id: text(200).optional(),
    agent_version: z.number().int().optional(),
    from_number: text(40),
    to_number: text(40).optional(),
    call_id: text(200).optional(),
  }),
});

export const functionRequestSchema = z.looseObject({
  name: text(64).optional(),
  args: z.unknown().optional(),
  call: z.looseObject({
    call_id: text(200).min(1, 'must not be empty'),
    agent_id: text(200).optional(),
    from_number: text(40).optional(),
    to_number: text(40).optional(),
    direction: text(20).optional(),
    /** Read for the caller's language only (`customers/language.ts`); never stored from here. */
    transcript: text(8_000_000).optional(),
  }),
});

/** "call.from_number: expected string" for the first problem, so the caller can fix its payload. */
export function describeSchemaProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'The body does not match the expected shape.';
  const path = issue.path.map(String).join('.') || 'body';
  return `Field "${path}" ${issue.message.replace(/^Invalid input: /, '').toLowerCase()}.`;
}
