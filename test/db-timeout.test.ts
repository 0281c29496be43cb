import { afterAll, expect, it } from 'vitest';
import { CLIENT_GRACE_MS } from '../src/db/timeouts.js';
import { replaySpool } from '../src/webhook/intake.js';
import { startDatabaseProxies } from './support/fault-proxy.js';
import { type ApiResponse, forEachDatabase } from './support/harness.js';
import { type Instance, startInstance } from './support/instances.js';

/**
 * A database that is connected but stops answering — a hung server, or a network that drops
 * packets instead of refusing them — made by a TCP proxy that stalls: it keeps connections open
 * and forwards nothing. Every request must still be answered, with 503, within the query timeout
 * plus a margin, and the service must serve again once the database does, on fresh connections.
 */
const QUERY_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 1000;
const POOL_SIZE = 3;
// The slowest answer allowed: the later of a query's client-side bound and a connection wait,
// plus room for a loaded 2-core machine.
const ANSWER_WITHIN_MS = Math.max(QUERY_TIMEOUT_MS + CLIENT_GRACE_MS, CONNECT_TIMEOUT_MS) + 1500;

const proxies = await startDatabaseProxies();

afterAll(async () => {
  for (const proxy of proxies.values()) await proxy.stop();
});

async function timed(run: () => Promise<ApiResponse>): Promise<{ res: ApiResponse; ms: number }> {
  const started = performance.now();
  const res = await run();
  return { res, ms: performance.now() - started };
}

forEachDatabase('a database that stops answering', (h) => {
  it('answers 503 within the query timeout during a stall, then serves again on new connections', async (ctx) => {
    const proxy = proxies.get(h().dialect);
    if (!proxy) return ctx.skip();
    let instance: Instance | undefined;
    try {
      instance = await startInstance(h(), {
        databaseUrl: proxy.route(h().config.databaseUrl),
        connect: {
          poolSize: POOL_SIZE,
          queryTimeoutMs: QUERY_TIMEOUT_MS,
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
        },
      });
      const api = instance;
      await h().createUser('stall_user');
      const order = (await h().deposit('stall_user', '멈춤', 30000)).body.order_number as string;
      // Every pooled connection is opened before the stall, so the stall catches each of them.
      const warm = await Promise.all(
        Array.from({ length: POOL_SIZE * 2 }, () => api.get('/users/stall_user')),
      );
      expect(warm.map((r) => r.status)).toEqual(Array(POOL_SIZE * 2).fill(200));

      proxy.stall();
      const during = await Promise.all([
        ...Array.from({ length: POOL_SIZE + 2 }, () => timed(() => api.get('/users/stall_user'))),
        timed(() =>
          api.post('/deposit-request', { username: 'stall_user', billing_name: '멈춤', amount: 40000 }),
        ),
        timed(() => api.post('/cancel-order', { order_number: order })),
      ]);
      for (const { res, ms } of during) {
        expect(res.status).toBe(503);
        expect(res.body).toEqual({ status: 'fail', msg: expect.any(String), code: 'database_unavailable' });
        expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
      }
      // A webhook that meets the stall is spooled and acknowledged, not lost.
      const hook = await timed(() => api.webhook(order, `stall-${order}`));
      expect(hook.res.status).toBe(200);
      expect(hook.ms).toBeLessThan(ANSWER_WITHIN_MS);
      expect(await h().deps.spool?.list()).toHaveLength(1);
      const sequential = await timed(() => api.get('/users/stall_user'));
      expect(sequential.res.status).toBe(503);
      expect(sequential.ms).toBeLessThan(ANSWER_WITHIN_MS);

      // The stalled connections stay stalled for good: answering again proves that none of them
      // went back to the pool after its query timed out.
      proxy.restore({ keepStalled: true });
      const after = await Promise.all(
        Array.from({ length: POOL_SIZE * 2 }, () => timed(() => api.get('/users/stall_user'))),
      );
      for (const { res, ms } of after) {
        expect(res.status).toBe(200);
        expect(ms).toBeLessThan(QUERY_TIMEOUT_MS);
      }
      expect(await replaySpool(h().deps)).toBe(1);
      expect(await h().balanceOf('stall_user')).toBe(30000);
      const deposit = await api.post('/deposit-request', {
        username: 'stall_user',
        billing_name: '멈춤',
        amount: 40000,
      });
      expect(deposit.status).toBe(200);
      await h().expectLedgerConsistent();
    } finally {
      proxy.restore();
      await instance?.close();
    }
  });
});
