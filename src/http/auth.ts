import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { isValidUsername } from '../domain/input.js';
import type { Actor } from '../domain/order.js';

export const AUTH_MODES = ['none', 'user', 'admin', 'webhook', 'metrics'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthMode;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}

const JWT_CLOCK_SKEW_S = 60;

// The one-shot hash makes no Hash object: it costs about half of createHash().update().digest().
const sha256 = (text: string) => hash('sha256', text, 'buffer');
// The configured secrets are few and fixed: their digests are made once, not on every request.
const expectedDigests = new Map<string, Buffer>();
const EXPECTED_DIGESTS_MAX = 16;

/** Equal-time comparison of secrets; hashing first makes the length of the guess irrelevant too. */
export function secretEquals(given: string, expected: string): boolean {
  let b = expectedDigests.get(expected);
  if (!b) {
    b = sha256(expected);
    if (expectedDigests.size < EXPECTED_DIGESTS_MAX) expectedDigests.set(expected, b);
  }
  return timingSafeEqual(sha256(given), b);
}

export interface AuthSettings {
  adminApiToken: string;
  /** A token that may read `/metrics` only; empty = only the admin token may. */
  metricsToken: string;
  jwtKey: Uint8Array;
  mallId: string;
  webhookKey: string;
}

// Verifying an HS256 token costs far more than serving a small read; a token already verified is
// remembered until it expires, per settings. jose checks `exp` against the system clock, and so
// does this cache.
const VERIFIED_TOKENS_MAX = 10_000;
type Verified = { username: string; usableUntilMs: number };
const verifiedBySettings = new WeakMap<AuthSettings, Map<string, Verified>>();

function verifiedCache(settings: AuthSettings): Map<string, Verified> {
  let cache = verifiedBySettings.get(settings);
  if (!cache) {
    cache = new Map();
    verifiedBySettings.set(settings, cache);
  }
  return cache;
}

function rememberedUser(cache: Map<string, Verified>, token: string): Actor | null {
  const known = cache.get(token);
  if (!known) return null;
  if (Date.now() < known.usableUntilMs) return { kind: 'user', id: known.username };
  cache.delete(token);
  return null;
}

async function userFromJwt(
  settings: AuthSettings,
  cache: Map<string, Verified>,
  token: string,
): Promise<Actor | null> {
  try {
    const { payload } = await jwtVerify(token, settings.jwtKey, {
      algorithms: ['HS256'],
      clockTolerance: JWT_CLOCK_SKEW_S,
      requiredClaims: ['exp', 'sub'],
    });
    if (typeof payload.sub !== 'string' || !isValidUsername(payload.sub) || typeof payload.exp !== 'number') {
      return null;
    }
    if (cache.size >= VERIFIED_TOKENS_MAX) cache.clear();
    cache.set(token, { username: payload.sub, usableUntilMs: (payload.exp + JWT_CLOCK_SKEW_S) * 1000 });
    return { kind: 'user', id: payload.sub };
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) return null;
    throw err;
  }
}

async function actorFromBearer(settings: AuthSettings, token: string): Promise<Actor | null> {
  // Only a token that matched neither configured secret was ever verified and remembered, so one
  // remembered is a user's: the secrets' comparisons (a digest each) are spared.
  const cache = verifiedCache(settings);
  const remembered = rememberedUser(cache, token);
  if (remembered) return remembered;
  if (secretEquals(token, settings.adminApiToken)) return { kind: 'admin', id: 'admin' };
  if (settings.metricsToken !== '' && secretEquals(token, settings.metricsToken)) {
    return { kind: 'system', id: 'metrics' };
  }
  return userFromJwt(settings, cache, token);
}

export function headerValue(request: FastifyRequest, name: string): string {
  const value = request.headers[name];
  return typeof value === 'string' ? value : '';
}

/** Payaction's delivery headers, compared in constant time. */
export function webhookHeadersValid(settings: AuthSettings, request: FastifyRequest): boolean {
  const keyOk = secretEquals(headerValue(request, 'x-webhook-key'), settings.webhookKey);
  const mallOk = secretEquals(headerValue(request, 'x-mall-id'), settings.mallId);
  return keyOk && mallOk;
}

/** The admin token or a valid HS256 user token from `Authorization: Bearer …`, else null. */
export async function authenticateBearer(
  settings: AuthSettings,
  request: FastifyRequest,
): Promise<Actor | null> {
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  const match = /^Bearer ([^\s]+)$/i.exec(headerValue(request, 'authorization'));
  return match?.[1] ? actorFromBearer(settings, match[1]) : null;
}

/** The authenticated actor of a route that required one. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Error('route reached without an authenticated actor');
  return request.actor;
}

/** Mints a user token the way integrators should: HS256, `sub` = username, `exp` set. */
export function signUserToken(
  secret: string,
  username: string,
  ttlS: number,
  nowMs: number,
): Promise<string> {
  const nowS = Math.floor(nowMs / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(username)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + ttlS)
    .sign(new TextEncoder().encode(secret));
}
