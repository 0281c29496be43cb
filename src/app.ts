import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { adminRoutes } from './admin/admin.routes.js';
import type { Deps } from './deps.js';
import { authHook } from './http/auth.js';
import { errorHandler, notFoundHandler } from './http/errors.js';
import type { App } from './http/types.js';
import { orderRoutes } from './orders/orders.routes.js';
import { userRoutes } from './users/users.routes.js';
import { webhookRoutes } from './webhook/webhook.routes.js';

export const BODY_LIMIT_BYTES = 16 * 1024;
const REQUEST_ID_RE = /^[\x21-\x7e]{1,128}$/;

export interface AppOptions {
  logger?: FastifyBaseLogger;
}

/** Builds the HTTP application from its dependencies. It never listens: server.ts does. */
export async function buildApp(deps: Deps, options: AppOptions = {}): Promise<App> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
    // Strings stay strings: "50000" is not an amount. Unknown fields are dropped, as the spec says.
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: true, useDefaults: true, allErrors: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.removeContentTypeParser('text/plain');
  app.decorateRequest('actor', null);
  app.addHook(
    'onRequest',
    authHook({
      adminApiToken: deps.config.adminApiToken,
      jwtKey: new TextEncoder().encode(deps.config.authJwtSecret),
      mallId: deps.config.payaction.mallId,
      webhookKey: deps.config.payaction.webhookKey,
    }),
  );
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  // Every route, in one greppable list.
  orderRoutes(app, deps);
  webhookRoutes(app, deps);
  userRoutes(app, deps);
  adminRoutes(app, deps);

  await app.ready();
  return app;
}
