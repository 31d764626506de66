/**
 * The Activity screen names every audit action in words: each action the server writes today (found in the source
 * beside each `writeAudit` call) and the older names earlier rows still carry.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MESSAGE_AUDIT_ACTIONS } from '../../src/messaging/api.js';
import { ACTION_KINDS, ACTION_WORDS } from '../../web/src/audit-actions.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every `'kind.name'` literal on the `action:` line of each writeAudit call. */
function actionsWritten(): Set<string> {
  const found = new Set<string>(Object.values(MESSAGE_AUDIT_ACTIONS));
  for (const file of sourceFiles('src')) {
    const text = readFileSync(file, 'utf8');
    for (let at = text.indexOf('writeAudit('); at >= 0; at = text.indexOf('writeAudit(', at + 1)) {
      const line = /action: ([^\n]*)/.exec(text.slice(at, at + 800))?.[1] ?? '';
      for (const [, name] of line.matchAll(/'([a-z_]+\.[a-z_]+)'/g)) found.add(name!);
    }
  }
  return found;
}

describe('audit action words', () => {
  it('every action the server writes has words on the Activity screen, and a kind in its filter', () => {
    const written = [...actionsWritten()].sort();
    // The scan finds the actions it should (guards against a scan that silently finds nothing).
    expect(written).toEqual(expect.arrayContaining(['appointment.attendance', 'message.compose', 'office.update', 'session.global_limit', 'user.digest']));
    expect(written.filter((action) => !ACTION_WORDS[action])).toEqual([]);
    const kinds = new Set(ACTION_KINDS.map(([kind]) => kind));
    expect(written.filter((action) => !kinds.has(action.split('.')[0]!))).toEqual([]);
  });

  it('older rows keep their words: the names the dashboard wrote before the one message path', () => {
    expect(ACTION_WORDS['message.compose_override']).toBe(ACTION_WORDS['message.compose_consent_override']);
    expect(ACTION_WORDS['message.edit_retry']).toBe(ACTION_WORDS['message.edit_and_retry']);
  });
});
