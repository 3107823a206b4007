/**
 * The one way the console talks to the API: openapi-fetch typed by the schema generated from the server's OpenAPI
 * document (schema.d.ts), plus the session (access token in memory, refresh token when the server issues one).
 *
 * Every failed call throws an `ApiError` carrying the contract's error body, so pages can show its `message`.
 */
import createClient from 'openapi-fetch';
import type { paths } from './schema';
import type { LoginAnswer, User } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The refresh token survives a reload (the access token never leaves memory). */
const REFRESH_KEY = 'mediavault.refreshToken';
/** Refresh this long before the access token expires, so a request never starts with a token about to lapse. */
const EARLY_REFRESH_MS = 30_000;

interface Session {
  accessToken: string;
  expiresAt: number;
  refreshToken?: string;
  user: User;
}

let session: Session | undefined;
const anonymous = createClient<paths>({ baseUrl: '' });
let refreshing: Promise<boolean> | undefined;
const listeners = new Set<() => void>();

function setSession(next: Session | undefined): void {
  session = next;
  try {
    if (next?.refreshToken) localStorage.setItem(REFRESH_KEY, next.refreshToken);
    else localStorage.removeItem(REFRESH_KEY);
  } catch {
    // Storage can be unavailable (privacy modes): the session then lasts as long as the page.
  }
  for (const listener of listeners) listener();
}

export function currentUser(): User | undefined {
  return session?.user;
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function fromAnswer(answer: LoginAnswer, previousRefresh?: string): Session {
  return {
    accessToken: answer.accessToken,
    expiresAt: Date.now() + answer.expiresIn * 1000,
    refreshToken: answer.refreshToken ?? previousRefresh,
    user: answer.user,
  };
}

/** Exchanges the refresh token for new tokens (rotation); false when there is none or it is refused. */
function refresh(): Promise<boolean> {
  const token = session?.refreshToken ?? storedRefreshToken();
  if (!token) return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      // Without the session's own fetch: a refused refresh must not itself try to refresh.
      const { data, response } = await anonymous.POST('/api/auth/refresh', { body: { refreshToken: token } });
      if (!response.ok) {
        setSession(undefined);
        return false;
      }
      setSession(fromAnswer(data as unknown as LoginAnswer));
      return true;
    } catch {
      return false;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

function storedRefreshToken(): string | undefined {
  try {
    return localStorage.getItem(REFRESH_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** A usable access token, refreshed first when it is about to expire (for XHR uploads and media fetches). */
export async function accessToken(): Promise<string | undefined> {
  if (session && session.expiresAt - Date.now() < EARLY_REFRESH_MS && session.refreshToken) await refresh();
  return session?.accessToken;
}

/**
 * fetch with the Authorization header; a 401 on an authenticated call is retried once after a refresh, and ends
 * the session when no refresh is possible (the console then shows the sign-in form again).
 */
export async function authorizedFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const token = await accessToken();
  if (token) input.headers.set('Authorization', `Bearer ${token}`);
  const response = await fetch(input);
  if (response.status !== 401 || !token || isAuthPath(input.url)) return response;
  if (await refresh()) {
    retry.headers.set('Authorization', `Bearer ${session!.accessToken}`);
    return fetch(retry);
  }
  setSession(undefined);
  return response;
}

function isAuthPath(url: string): boolean {
  return /\/api\/auth\/(login|refresh)$/.test(new URL(url, location.href).pathname);
}

export const api = createClient<paths>({ baseUrl: '', fetch: authorizedFetch });

/** What an openapi-fetch call answers: the body typed by the schema on success, the error body otherwise. */
type FetchResult<T> =
  { data: T; error?: never; response: Response } | { data?: never; error: unknown; response: Response };

/**
 * Awaits an openapi-fetch call and answers its body, typed by the generated schema (so a view that changes on the
 * server breaks the console's type check), or throws the API's error.
 */
export async function call<T>(request: Promise<FetchResult<T>>): Promise<Exclude<T, undefined>> {
  const { data, error, response } = await request;
  if (!response.ok) throw toApiError(response, error);
  return data as Exclude<T, undefined>;
}

export function toApiError(response: Pick<Response, 'status' | 'statusText'>, body: unknown): ApiError {
  const error = (body ?? {}) as { message?: unknown; code?: string; details?: Record<string, unknown> };
  const message =
    typeof error.message === 'string'
      ? error.message
      : Array.isArray(error.message)
        ? error.message.join('; ')
        : `The server answered ${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, message, error.code, error.details);
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export async function signIn(email: string, password: string): Promise<User> {
  const answer = await call(api.POST('/api/auth/login', { body: { email, password } }));
  setSession(fromAnswer(answer));
  return answer.user;
}

/** Restores a session from a stored refresh token (after a reload); false when the user must sign in. */
export async function resumeSession(): Promise<boolean> {
  if (session) return true;
  if (!storedRefreshToken()) return false;
  return refresh();
}

export async function signOut(): Promise<void> {
  const refreshToken = session?.refreshToken;
  // Best effort: the server revokes the session; it ends here whatever the answer.
  if (session)
    await api.POST('/api/auth/logout', { body: refreshToken ? { refreshToken } : {} }).catch(() => undefined);
  setSession(undefined);
}
