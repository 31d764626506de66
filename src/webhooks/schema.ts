/**
 * The parts of Retell's payloads we rely on, validated at the door. Unknown fields pass through untouched
 * (Retell adds fields often); a wrong type on a field we use is a 400 naming that field.
 */
import { z } from 'zod';

const text = (max: number) => z.string().max(max);
const millis = z.number().finite().nonnegative();

const transcriptUtterance = z.looseObject({ role: z.string().max(40), content: z.string().max(200_000).optional() });

export const callAnalysisSchema = z.looseObject({
  call_summary: text(50_000).optional(),
  user_sentiment: text(40).optional(),
  call_successful: z.boolean().optional(),
  in_voicemail: z.boolean().optional(),
  custom_analysis_data: z.record(z.string(), z.unknown()).optional(),
});

export const retellCallSchema = z.looseObject({
  call_id: text(200).min(1, 'must not be empty'),
  agent_id: text(200).optional(),
  agent_version: z.number().int().optional(),
  call_type: text(40).optional(),
  call_status: text(40).optional(),
  direction: text(20).optional(),
  from_number: text(40).optional(),
  to_number: text(40).optional(),
  start_timestamp: millis.optional(),
  end_timestamp: millis.optional(),
  duration_ms: millis.optional(),
  transcript: text(8_000_000).optional(),
  transcript_object: z.array(transcriptUtterance).optional(),
  recording_url: text(4000).optional(),
  public_log_url: text(4000).optional(),
  disconnection_reason: text(100).optional(),
  call_analysis: callAnalysisSchema.optional(),
  retell_llm_dynamic_variables: z.record(z.string(), z.unknown()).optional(),
  metadata: z.unknown().optional(),
});
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
  }),
});

/** "call.from_number: expected string" for the first problem, so the caller can fix its payload. */
export function describeSchemaProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'The body does not match the expected shape.';
  const path = issue.path.map(String).join('.') || 'body';
  return `Field "${path}" ${issue.message.replace(/^Invalid input: /, '').toLowerCase()}.`;
}
