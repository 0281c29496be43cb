import { BlockList, isIPv4 } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SecurityConfig } from '../config.js';
import type { Clock } from '../deps.js';
import { type AuthSettings, authenticateBearer, webhookHeadersValid } from './auth.js';
import { errorAnswer, type HttpErrorCode } from './errors.js';
import type { RateLimiter } from './rate-limit.js';

function blockListOf(cidrs: readonly string[]): BlockList | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', bits] = cidr.split('/');
    const type = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

function allowedBy(list: BlockList, ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip)?.[1];
  const address = mapped ?? ip;
  return list.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
}

function refuse(reply: FastifyReply, code: HttpErrorCode, retryAfterS?: number): FastifyReply {
  const answer = errorAnswer(code);
  if (retryAfterS !== undefined) reply.header('retry-after', String(retryAfterS));
  return reply.code(answer.statusCode).send(answer.body);
}

export interface GateOptions {
  auth: AuthSettings;
  security: SecurityConfig;
  limiter: RateLimiter;
  clock: Clock;
}

/**
 * Who gets in, before any body is validated. Valid Payaction webhooks pass untouched (dropping one
 * could lose a deposit); everything else is limited per client address and per credential, and an
 * address that keeps failing authentication is refused for the rest of the minute.
 */
export function gateHook(options: GateOptions) {
  const { auth, security, limiter, clock } = options;
  const webhookSources = blockListOf(security.webhookAllowedIps);
  const limited = async (key: string, limit: number) =>
    limit > 0 ? limiter.consume(key, limit, clock.now()) : undefined;

  const failAuth = async (request: FastifyRequest, reply: FastifyReply) => {
    const verdict = await limited(`authfail:${request.ip}`, security.authFailuresPerMinute);
    return verdict && !verdict.allowed
      ? refuse(reply, 'rate_limited', verdict.retryAfterS)
      : refuse(reply, 'unauthorized');
  };

  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const mode = request.routeOptions.config.auth ?? 'none';
    request.actor = null;
    if (mode === 'webhook') {
      if (webhookSources && !allowedBy(webhookSources, request.ip)) return void refuse(reply, 'forbidden');
      if (!webhookHeadersValid(auth, request)) return void (await failAuth(request, reply));
      request.actor = { kind: 'payaction', id: 'payaction' };
      return;
    }
    const byAddress = await limited(`ip:${request.ip}`, security.ipRateLimitPerMinute);
    if (byAddress && !byAddress.allowed) return void refuse(reply, 'rate_limited', byAddress.retryAfterS);
    if (mode === 'none') return;
    if (security.authFailuresPerMinute > 0) {
      const blocked = await limiter.exhausted(
        `authfail:${request.ip}`,
        security.authFailuresPerMinute,
        clock.now(),
      );
      if (!blocked.allowed) return void refuse(reply, 'rate_limited', blocked.retryAfterS);
    }
    const actor = await authenticateBearer(auth, request);
    if (!actor) return void (await failAuth(request, reply));
    const byCredential = await limited(`actor:${actor.kind}:${actor.id}`, security.rateLimitPerMinute);
    if (byCredential && !byCredential.allowed)
      return void refuse(reply, 'rate_limited', byCredential.retryAfterS);
    if (mode === 'metrics' ? actor.kind === 'user' : actor.kind === 'system')
      return void refuse(reply, 'forbidden');
    if (mode === 'admin' && actor.kind !== 'admin') return void refuse(reply, 'forbidden');
    request.actor = actor;
  };
}
