import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { adminRoutes } from './admin/admin.routes.js';
import type { Deps } from './deps.js';
import { clientErrorHandler, errorHandler, notFoundHandler } from './http/errors.js';
import { gateHook } from './http/gate.js';
import { MemoryRateLimiter, type RateLimiter } from './http/rate-limit.js';
import { READS_PER_TURN, ReadTurns, readTurnsHook } from './http/read-turns.js';
import { registerSecurity, setApiHeaders } from './http/security.js';
import type { App } from './http/types.js';
import { registerOpenApi } from './ops/openapi.js';
import { opsRoutes } from './ops/ops.routes.js';
import { registerRequestLog } from './ops/request-log.js';
import { orderRoutes } from './orders/orders.routes.js';
import { userRoutes } from './users/users.routes.js';
import { VERSION } from './version.js';
import { webRoutes } from './web/web.routes.js';
import { webhookRoutes } from './webhook/webhook.routes.js';

export const BODY_LIMIT_BYTES = 16 * 1024;
// Larger request headers are refused by Node with 431 before any of our code runs.
const HEADER_BYTES_MAX = 16 * 1024;
const REQUEST_ID_RE = /^[\x21-\x7e]{1,128}$/;

/** A hop count trusts that many proxies in front of us (what proxy-addr does with a number). */
function trustProxyOption(setting: boolean | number | string[]) {
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting;
}

/** Every route as registered, so tests can hold the documentation against the real list. */
export interface RouteEntry {
  method: string;
  url: string;
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteEntry[];
  }
}

export interface AppOptions {
  logger?: FastifyBaseLogger;
  limiter?: RateLimiter;
  /** The embedded Payaction sandbox (sandbox mode): operators' simulated transfers go there. */
  sandboxUrl?: string;
}

/** Builds the HTTP application from its dependencies. It never listens: server.ts does. */
export async function buildApp(deps: Deps, options: AppOptions = {}): Promise<App> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    http: { maxHeaderSize: HEADER_BYTES_MAX },
    trustProxy: trustProxyOption(deps.config.security.trustProxy),
    requestIdHeader: 'x-request-id',
    // Bad percent-encoding and over-long path parameters, refused by the router, and malformed
    // requests refused by Node: answered in the spec's error shape too.
    // (These answers bypass the hooks, so they get the API headers here.)
    frameworkErrors: (err, request, reply) => {
      setApiHeaders(reply, deps.config.production);
      errorHandler(err, request, reply);
    },
    clientErrorHandler,
    // One line per request instead of Fastify's two (src/ops/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
    // Strings stay strings: "50000" is not an amount. Unknown fields are dropped, as the spec says.
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: true, useDefaults: true, allErrors: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Before any route: a route keeps the error handler in force when it was added.
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('actor', null);
  app.decorate('routeTable', [] as RouteEntry[]);
  // First, so that a held read has cost nothing yet. Only SQLite's reads run on the event loop.
  if (deps.db.dialect === 'sqlite') app.addHook('onRequest', readTurnsHook(new ReadTurns(READS_PER_TURN)));
  app.addHook(
    'onRequest',
    gateHook({
      auth: {
        adminApiToken: deps.config.adminApiToken,
        metricsToken: deps.config.metricsToken,
        jwtKey: new TextEncoder().encode(deps.config.authJwtSecret),
        mallId: deps.config.payaction.mallId,
        webhookKey: deps.config.payaction.webhookKey,
      },
      security: deps.config.security,
      limiter: options.limiter ?? new MemoryRateLimiter(),
      clock: deps.clock,
    }),
  );
  registerSecurity(app, {
    production: deps.config.production,
    corsOrigins: deps.config.security.corsOrigins,
  });
  registerRequestLog(app);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods)
      app.routeTable.push({ method, url: route.url, hidden: route.schema?.hide === true });
  });
  await registerOpenApi(app, VERSION);

  // Every route, in one greppable list.
  orderRoutes(app, deps);
  webhookRoutes(app, deps);
  userRoutes(app, deps);
  adminRoutes(app, deps);
  opsRoutes(app, deps);
  webRoutes(app, deps, { sandboxUrl: options.sandboxUrl });

  await app.ready();
  return app;
}
