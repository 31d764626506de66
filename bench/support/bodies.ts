/**
 * Signed Retell webhook requests for the ingest benchmark, built before the load starts so the load generator
 * only writes bytes. Every request is a distinct event (the project's idempotency would otherwise answer repeats
 * as duplicates without storing them), yet the large parts are shared: each event kind is a JSON template whose
 * only varying fields are the call id and the caller's number, so a request is a small header buffer (with its own
 * signature and length) plus the shared template pieces and two short strings, written with one writev.
 *
 * - `mix`: per call, as Retell sends them: call_started (~1 KB), ten transcript_updated growing from ~2 to ~22 KB,
 *   call_ended (~52 KB) and call_analyzed (~56 KB); mean ~17 KB. Calls are interleaved (a window of calls at
 *   the same stage), so neighbouring requests belong to different calls.
 * - `ended53`: call_ended with a fixed ~53 KB transcript, the earlier benchmark's body, kept for comparison.
 */
import { createHmac } from 'node:crypto';

export const BENCH_CLIENT = 'smart-tax-nation';
export const BENCH_AGENT = 'agent_stn_demo_0001';
export type BodyMix = 'mix' | 'ended53';

const ID = '@@ID@@';
const PHONE = '@@PHONE@@';

interface Template {
  event: string;
  /** Pieces between the slots; `slots[i]` goes between `pieces[i]` and `pieces[i + 1]`. */
  pieces: Buffer[];
  slots: Array<'id' | 'phone'>;
  fixedBytes: number;
}

function template(event: string, payload: unknown): Template {
  const text = JSON.stringify(payload);
  const pieces: Buffer[] = [];
  const slots: Array<'id' | 'phone'> = [];
  const pattern = /@@(ID|PHONE)@@/g;
  let last = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    pieces.push(Buffer.from(text.slice(last, match.index)));
    slots.push(match[1] === 'ID' ? 'id' : 'phone');
    last = match.index + match[0].length;
  }
  pieces.push(Buffer.from(text.slice(last)));
  return { event, pieces, slots, fixedBytes: pieces.reduce((sum, piece) => sum + piece.length, 0) };
}

const LINES: Array<[string, string]> = [
  ['agent', 'Thanks for calling Smart Tax Nation, this is the virtual receptionist. How can I help you today?'],
  ['user', "Hi, I got a letter from the IRS about my 2025 return and I'm not sure what it means."],
  ['agent', "I'm sorry to hear that. I can set up a consultation with one of our preparers. May I have your name?"],
  ['user', "Sure, it's Morgan Ellis. Do I need to bring the letter with me?"],
  ['agent', "Yes, please bring the letter, last year's return and a photo ID. Would Thursday afternoon work?"],
  ['user', 'Thursday at two would be perfect, thank you so much.'],
];

function transcript(turns: number) {
  const object = Array.from({ length: turns }, (_, i) => {
    const [role, content] = LINES[i % LINES.length]!;
    return { role, content, words: content.split(' ').map((word, w) => ({ word, start: i * 6 + w * 0.3, end: i * 6 + w * 0.3 + 0.25 })) };
  });
  return { transcript: object.map((u) => `${u.role === 'agent' ? 'Agent' : 'User'}: ${u.content}`).join('\n'), transcript_object: object };
}

function baseCall(status: string, start: number) {
  return {
    call_type: 'phone_call',
    call_id: ID,
    agent_id: BENCH_AGENT,
    agent_version: 3,
    call_status: status,
    direction: 'inbound',
    from_number: PHONE,
    to_number: '+12125550142',
    start_timestamp: start,
    metadata: { source: 'bench', campaign: 'spring-filing' },
    retell_llm_dynamic_variables: {
      customer_name: 'Morgan Ellis',
      returning_caller: 'yes',
      last_summary: 'Asked about filing status and what documents to bring for the amended return.',
      office_hours: 'Monday to Friday 9 am to 6 pm, Saturday 10 am to 2 pm during filing season',
      preferred_language: 'English',
      notes: 'Prefers afternoon appointments; has a letter from the IRS about the 2025 return and wants a preparer.',
    },
    latency: { e2e: { p50: 812, p90: 1104, p99: 1502 }, llm: { p50: 402, p90: 611, p99: 803 } },
    opt_out_sensitive_data_storage: false,
    public_log_url: 'https://example.invalid/log/public.txt',
  };
}

/** The per-call event templates (13 for `mix`, 1 for `ended53`). */
function templates(mix: BodyMix, stamp: number): Template[] {
  const start = stamp - 360_000;
  if (mix === 'ended53') {
    return [
      template('call_ended', {
        event: 'call_ended',
        call: {
          ...baseCall('ended', start),
          end_timestamp: stamp,
          duration_ms: 360_000,
          ...transcript(60),
          disconnection_reason: 'user_hangup',
          recording_url: 'https://example.invalid/r.wav',
        },
      }),
    ];
  }
  const out = [template('call_started', { event: 'call_started', call: baseCall('ongoing', start) })];
  // ~2 KB growing to ~22 KB: 1 to 24 turns with word timings.
  for (let update = 0; update < 10; update++) {
    out.push(
      template('transcript_updated', { event: 'transcript_updated', call: { ...baseCall('ongoing', start), ...transcript(Math.round(1 + update * 2.5)) } }),
    );
  }
  const ended = {
    ...baseCall('ended', start),
    end_timestamp: stamp,
    duration_ms: 360_000,
    ...transcript(58),
    disconnection_reason: 'user_hangup',
    recording_url: 'https://example.invalid/r.wav',
  };
  out.push(template('call_ended', { event: 'call_ended', call: ended }));
  out.push(
    template('call_analyzed', {
      event: 'call_analyzed',
      call: {
        ...ended,
        ...transcript(63),
        call_analysis: {
          call_summary:
            "Morgan Ellis received an IRS letter about the 2025 return and booked a consultation for Thursday at 2 pm; will bring the letter, last year's return and a photo ID.",
          user_sentiment: 'Positive',
          call_successful: true,
          in_voicemail: false,
          custom_analysis_data: { intent: 'appointment', urgency: 'medium', topic: 'IRS letter', documents: ['letter', 'last return', 'photo ID'] },
        },
      },
    }),
  );
  return out;
}

export interface PreparedRequest {
  /** Request line + headers (signature, content length), ends with the blank line. */
  head: Buffer;
  template: number;
  callId: Buffer;
  phone: Buffer;
  bytes: number;
}

export interface PreparedLoad {
  templates: Template[];
  requests: PreparedRequest[];
  meanBodyBytes: number;
  events: Record<string, number>;
}

function phoneOf(n: number): string {
  return `+1646${String((n % 100_000) + 1).padStart(7, '0')}`;
}

/**
 * `count` signed requests to `path` (distinct events; the window of calls interleaves them). `tag` makes the call
 * ids unique to one run. Signatures are Retell's (`v=<ms>,d=<hmac-sha256(body + ms)>`), made here with node:crypto.
 */
export function prepareLoad(options: { mix: BodyMix; count: number; path: string; host: string; tag: string; apiKey: string; window?: number }): PreparedLoad {
  const stamp = Date.now();
  const list = templates(options.mix, stamp);
  const window = options.window ?? 200;
  const requests: PreparedRequest[] = [];
  const events: Record<string, number> = {};
  let bodyBytes = 0;
  for (let block = 0; requests.length < options.count; block++) {
    for (let stage = 0; stage < list.length && requests.length < options.count; stage++) {
      for (let slot = 0; slot < window && requests.length < options.count; slot++) {
        const call = block * window + slot;
        const t = list[stage]!;
        const callId = Buffer.from(`bench_${options.tag}_${call}`);
        const phone = Buffer.from(phoneOf(call * 53));
        const hmac = createHmac('sha256', options.apiKey);
        let length = 0;
        t.pieces.forEach((piece, index) => {
          hmac.update(piece);
          length += piece.length;
          const slotName = t.slots[index];
          if (slotName) {
            const value = slotName === 'id' ? callId : phone;
            hmac.update(value);
            length += value.length;
          }
        });
        const signature = `v=${stamp},d=${hmac.update(String(stamp)).digest('hex')}`;
        const head = Buffer.from(
          `POST ${options.path} HTTP/1.1\r\nhost: ${options.host}\r\ncontent-type: application/json\r\n` +
            `x-retell-signature: ${signature}\r\ncontent-length: ${length}\r\n\r\n`,
        );
        requests.push({ head, template: stage, callId, phone, bytes: length });
        events[t.event] = (events[t.event] ?? 0) + 1;
        bodyBytes += length;
      }
    }
  }
  return { templates: list, requests, meanBodyBytes: Math.round(bodyBytes / Math.max(1, requests.length)), events };
}

/** The buffers of one request, in order, for `socket.cork(); write…; uncork()` or writev. */
export function requestBuffers(load: PreparedLoad, request: PreparedRequest): Buffer[] {
  const t = load.templates[request.template]!;
  const out: Buffer[] = [request.head];
  t.pieces.forEach((piece, index) => {
    out.push(piece);
    const slotName = t.slots[index];
    if (slotName) out.push(slotName === 'id' ? request.callId : request.phone);
  });
  return out;
}

/** One request's body as a string (for checks). */
export function bodyOf(load: PreparedLoad, request: PreparedRequest): string {
  return Buffer.concat(requestBuffers(load, request).slice(1)).toString('utf8');
}
