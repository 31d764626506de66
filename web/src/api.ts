/** The dashboard's only door to the server: JSON over fetch, errors turned into sentences. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The answer's body, e.g. a 400's `problems` for field-level marks. */
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Fired when any request learns the session is gone, so the app shows the sign-in page. */
export const sessionEnded = new EventTarget();

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'Cannot reach Switchboard. Check your connection; we will keep trying.');
  }
  if (response.status === 204) return undefined as T;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    if (response.status === 401 && path !== '/v1/api/session') sessionEnded.dispatchEvent(new Event('ended'));
    throw new ApiError(response.status, data.message ?? `Something went wrong (${response.status}).`, data);
  }
  return data as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
