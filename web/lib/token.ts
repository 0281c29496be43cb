/**
 * Reads a user token's claims without verifying it (the service verifies every call); enough to know
 * whose page this is and to tell an expired or mangled link before calling anything.
 */
export type TokenCheck =
  | { ok: true; username: string; expMs: number }
  | { ok: false; reason: 'malformed' | 'expired' };

function base64UrlJson(part: string): unknown {
  const base64 = part
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export function checkUserToken(token: string, nowMs: number): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p)))
    return { ok: false, reason: 'malformed' };
  let claims: unknown;
  try {
    claims = base64UrlJson(parts[1] as string);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const { sub, exp } = (typeof claims === 'object' && claims !== null ? claims : {}) as Record<
    string,
    unknown
  >;
  if (typeof sub !== 'string' || !/^[A-Za-z0-9_.@-]{1,64}$/.test(sub) || typeof exp !== 'number')
    return { ok: false, reason: 'malformed' };
  if (exp * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, username: sub, expMs: exp * 1000 };
}

/** `#token=<JWT>` from the address, if the page was opened with one. */
export function tokenFromHash(hash: string): string | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  return params.get('token') ?? undefined;
}
