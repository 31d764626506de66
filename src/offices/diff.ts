/** What changed between two versions of an office, leaf by leaf, for the Activity screen and the version list. */
import diff from 'microdiff';
import { formatPath } from '../config/client-schema.js';
import type { OfficeChange } from '../db/schema.js';

export function officeChanges(before: Record<string, unknown> | undefined, after: Record<string, unknown>): OfficeChange[] {
  return diff(before ?? {}, after).map((change) => {
    const path = formatPath(change.path);
    if (change.type === 'CREATE') return { path, after: change.value };
    if (change.type === 'REMOVE') return { path, before: change.oldValue };
    return { path, before: change.oldValue, after: change.value };
  });
}
