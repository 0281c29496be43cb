import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { isValidUsername } from '../domain/input.js';
import type { Actor } from '../domain/order.js';
import { errorAnswer } from './errors.js';

export const AUTH_MODES = ['none', 'user', 'admin', 'webhook'] as const;
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

/** Equal-time comparison of secrets; hashing first makes the length of the guess irrelevant too. */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export interface AuthSettings {
  adminApiToken: string;
  jwtKey: Uint8Array;
  mallId: string;
  webhookKey: string;
}

async function actorFromBearer(settings: AuthSettings, token: string): Promise<Actor | null> {
  if (secretEquals(token, settings.adminApiToken)) return { kind: 'admin', id: 'admin' };
  try {
    const { payload } = await jwtVerify(token, settings.jwtKey, {
      algorithms: ['HS256'],
      clockTolerance: JWT_CLOCK_SKEW_S,
      requiredClaims: ['exp', 'sub'],
    });
    return typeof payload.sub === 'string' && isValidUsername(payload.sub)
      ? { kind: 'user', id: payload.sub }
      : null;
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) return null;
    throw err;
  }
}

function headerValue(request: FastifyRequest, name: string): string {
  const value = request.headers[name];
  return typeof value === 'string' ? value : '';
}

function deny(reply: FastifyReply, code: 'unauthorized' | 'forbidden'): FastifyReply {
  const answer = errorAnswer(code);
  return reply.code(answer.statusCode).send(answer.body);
}

/**
 * Runs before the body is validated, so an unauthenticated caller learns nothing about the input
 * rules. `user` routes accept a user token or the admin token; `admin` routes only the latter;
 * the webhook is authenticated by Payaction's headers instead.
 */
export function authHook(settings: AuthSettings) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const mode = request.routeOptions.config.auth ?? 'none';
    request.actor = null;
    if (mode === 'none') return;
    if (mode === 'webhook') {
      const keyOk = secretEquals(headerValue(request, 'x-webhook-key'), settings.webhookKey);
      const mallOk = secretEquals(headerValue(request, 'x-mall-id'), settings.mallId);
      if (!keyOk || !mallOk) return void deny(reply, 'unauthorized');
      request.actor = { kind: 'payaction', id: 'payaction' };
      return;
    }
    const match = /^Bearer ([^\s]+)$/.exec(headerValue(request, 'authorization'));
    const actor = match?.[1] ? await actorFromBearer(settings, match[1]) : null;
    if (!actor) return void deny(reply, 'unauthorized');
    if (mode === 'admin' && actor.kind !== 'admin') return void deny(reply, 'forbidden');
    request.actor = actor;
  };
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
