/**
 * The caller's own words from a Retell call object: `transcript_object` utterances with role `user`, or, when only
 * the plain `transcript` is there, its `User:` lines (continuation lines belong to the line above). Agent and
 * transfer-target turns are dropped here, so no rule can ever see them.
 */
export interface TranscriptSource {
  transcript?: unknown;
  transcript_object?: unknown;
}

function fromObject(items: unknown[]): string[] {
  const turns: string[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const { role, content } = item as { role?: unknown; content?: unknown };
    if (role === 'user' && typeof content === 'string') turns.push(content);
  }
  return turns;
}

function fromPlain(transcript: string): string[] {
  const turns: string[] = [];
  let inUserTurn = false;
  for (const line of transcript.split(/\r?\n/)) {
    const speaker = /^\s*(agent|user|caller)\s*:\s?/i.exec(line);
    if (speaker) {
      inUserTurn = speaker[1]!.toLowerCase() !== 'agent';
      if (inUserTurn) turns.push(line.slice(speaker[0].length));
    } else if (inUserTurn && turns.length > 0) {
      turns[turns.length - 1] += `\n${line}`;
    }
  }
  return turns;
}

export function callerTurns(call: TranscriptSource): string[] {
  if (Array.isArray(call.transcript_object) && call.transcript_object.length > 0) return fromObject(call.transcript_object);
  if (typeof call.transcript === 'string') return fromPlain(call.transcript);
  return [];
}
