import { sql, type RawBuilder } from 'kysely';

/** A jsonb parameter: serialised once here so pg and PGlite receive the same text. */
export function json<T>(value: T): RawBuilder<T> {
  return sql<T>`${JSON.stringify(value ?? null)}::jsonb`;
}
