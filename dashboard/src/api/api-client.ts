/**
 * Calls the server's API with the signed-in API token (`Authorization: Bearer`). The token lives
 * in this browser's localStorage; an error reply becomes an {@link ApiError} with the server's
 * own code and message, so "invalid API token" reaches the user as the server said it.
 */
/** Where the token is kept (index.html's deep-link script reads it too: see dashboard/deep-link-preload.ts). */
export const TOKEN_KEY = "runtrail.apiToken";

/** A refused or failed API call. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** For a 400: the field at fault, as the server names it (`body.approved`). */
    readonly field?: string,
  ) {
    super(message);
  }
}

export function apiToken(): string | undefined {
  return localStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setApiToken(token: string | undefined): void {
  if (token === undefined) localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, token);
  window.dispatchEvent(new Event("runtrail:auth"));
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

/** `/api` + path + the query (arrays repeat the parameter). */
export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) params.append(name, String(item));
    else params.set(name, String(value));
  }
  const qs = params.toString();
  return `/api${path}${qs === "" ? "" : `?${qs}`}`;
}

/**
 * GETs (or POSTs `body` to) an API path and returns its JSON.
 *
 * @example
 * const { runs } = await api<RunsPage>("/runs", { query: { limit: 50 } });
 */
export async function api<T>(path: string, options: { query?: Query; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const token = apiToken();
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(apiUrl(path, options.query), {
    method: options.body === undefined ? "GET" : "POST",
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return readResponse<T>(response);
}

/**
 * The JSON of an API response; an error reply becomes an {@link ApiError} (a 401 also tells the
 * app shell, which shows the login).
 *
 * @example
 * const page = await readResponse<RunsPage>(await fetch("/api/runs"));
 */
export async function readResponse<T>(response: Response): Promise<T> {
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string; message?: string; field?: string };
    const error = new ApiError(response.status, body.error ?? "http_error", body.message ?? `${response.status} ${response.statusText}`, body.field);
    if (response.status === 401) window.dispatchEvent(new CustomEvent("runtrail:unauthorized", { detail: error.message }));
    throw error;
  }
  return (await response.json()) as T;
}
