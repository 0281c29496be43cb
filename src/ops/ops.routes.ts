import type { Deps } from '../deps.js';
import { errorAnswer } from '../http/errors.js';
import { answers, Responses } from '../http/responses.js';
import type { App } from '../http/types.js';
import { countAllPending } from '../orders/orders.repository.js';
import { PromMetrics } from './metrics.js';
import { checkReady } from './readiness.js';

/** Health, readiness and Prometheus metrics. */
export function opsRoutes(app: App, deps: Deps): void {
  app.get(
    '/healthz',
    { config: { auth: 'none' }, schema: { response: { 200: Responses.ok } } },
    async () => ({ status: 'success' as const }),
  );

  app.get(
    '/readyz',
    { config: { auth: 'none' }, schema: { response: answers(Responses.ready) } },
    async (_req, reply) => {
      const ready = await checkReady(deps.db);
      if (ready === 'ready') return { status: 'success' as const, database: deps.db.dialect };
      const answer = errorAnswer('database_unavailable');
      return reply.code(answer.statusCode).send({ ...answer.body, reason: ready });
    },
  );

  const metrics = deps.metrics;
  if (!(metrics instanceof PromMetrics)) return;
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (route === '/webhook' && (reply.statusCode === 401 || reply.statusCode === 403))
      metrics.webhook('unauthorized');
  });
  app.get('/metrics', { config: { auth: 'metrics' } }, async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}

/** The pending-orders gauge reads the database at scrape time, so it is right across instances. */
export const metricsFor = (deps: Pick<Deps, 'db'>) => new PromMetrics(() => countAllPending(deps.db.kysely));
