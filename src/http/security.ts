import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './types.js';

/** Headers every API answer carries: JSON only, never framed, never cached, no referrer. */
const API_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
};
const HSTS = 'max-age=31536000; includeSubDomains';
const CORS_METHODS = 'GET, POST, PATCH, OPTIONS';
const CORS_HEADERS = 'authorization, content-type, idempotency-key, x-request-id';
const CORS_MAX_AGE_S = '600';

/** The API headers, on a reply that does not already carry its own. */
export function setApiHeaders(reply: FastifyReply, production: boolean): void {
  for (const [name, value] of Object.entries(API_HEADERS)) {
    if (!reply.hasHeader(name)) reply.header(name, value);
  }
  if (production) reply.header('strict-transport-security', HSTS);
}

/**
 * Security headers on every response, and CORS closed unless `CORS_ORIGINS` lists the origin.
 * Routes that serve pages set their own Content-Security-Policy; it is kept.
 */
export function registerSecurity(
  app: App,
  options: { production: boolean; corsOrigins: readonly string[] },
): void {
  const origins = new Set(options.corsOrigins);
  const allowedOrigin = (request: FastifyRequest): string | undefined => {
    const origin = request.headers.origin;
    return typeof origin === 'string' && origins.has(origin) ? origin : undefined;
  };

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    setApiHeaders(reply, options.production);
    const origin = allowedOrigin(request);
    if (origin) {
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'origin');
    }
    return payload;
  });

  // Preflight: answered for listed origins only; anyone else learns nothing beyond a 404.
  app.options('*', { config: { auth: 'none' } }, async (request, reply) => {
    if (!allowedOrigin(request)) return reply.callNotFound();
    return reply
      .code(204)
      .header('access-control-allow-methods', CORS_METHODS)
      .header('access-control-allow-headers', CORS_HEADERS)
      .header('access-control-max-age', CORS_MAX_AGE_S)
      .send();
  });
}
