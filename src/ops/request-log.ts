import type { App } from '../http/types.js';

/**
 * One log line per request, written when the answer has gone out, carrying the request id that the
 * caller sent as `x-request-id` (or one we made), which is echoed back in the same header.
 */
export function registerRequestLog(app: App): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const line = {
      req: request,
      status: reply.statusCode,
      route: request.routeOptions.url ?? null,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (reply.statusCode >= 500) request.log.error(line, 'request');
    else request.log.info(line, 'request');
  });
}
