/**
 * A value made on first use and shared after: a vendor SDK's dynamic import, or a client built from it. Callers asking
 * while it is being made share the one attempt. A failed attempt is forgotten, so the next caller tries again instead
 * of getting the same rejection for the life of the process.
 */
export interface Lazy<T> {
  (): Promise<T>;
  /** The value once made, undefined before: for code that must not wait (classifying a vendor's error class). */
  readonly value: T | undefined;
}

export function lazy<T>(make: () => Promise<T>): Lazy<T> {
  let pending: Promise<T> | undefined;
  let value: T | undefined;
  const get = () =>
    (pending ??= make().then(
      (made) => (value = made),
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    ));
  return Object.defineProperty(get, 'value', { get: () => value }) as Lazy<T>;
}
