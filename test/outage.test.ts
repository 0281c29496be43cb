import { afterAll, expect, it } from 'vitest';
import { replaySpool } from '../src/webhook/intake.js';
import type { TestDatabase } from './support/databases.js';
import { startDatabaseProxies } from './support/fault-proxy.js';
import { forEachDatabase } from './support/harness.js';

/**
 * A database outage between the service and MariaDB/PostgreSQL, made by cutting a TCP proxy:
 * webhooks that arrive meanwhile are spooled and acknowledged, everything else fails fast with
 * 503, and once the database is back each spooled delivery is applied exactly once.
 */
const proxies = await startDatabaseProxies();

function viaProxy(database: TestDatabase): Record<string, string> {
  const proxy = proxies.get(database.dialect);
  if (!proxy) return {};
  return { DATABASE_URL: proxy.route(database.url) };
}

afterAll(async () => {
  for (const proxy of proxies.values()) await proxy.stop();
});

forEachDatabase(
  'webhooks during a database outage',
  (h) => {
    it('spools webhooks while the database is away and applies each once when it returns', async (ctx) => {
      const proxy = proxies.get(h().dialect);
      if (!proxy) return ctx.skip();
      await h().createUser('outage_user');
      const orders: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await h().deposit('outage_user', '장애중', 20000 + i);
        orders.push(res.body.order_number as string);
      }

      proxy.cut();
      const during = await Promise.all(orders.map((o) => h().webhook(o, { traceId: `outage-${o}` })));
      expect(during.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(await h().deps.spool?.list()).toHaveLength(3);
      const read = await h().api('GET', '/users/outage_user');
      expect(read.status).toBe(503);
      expect(read.body).toMatchObject({ status: 'fail', code: 'database_unavailable' });
      expect(await replaySpool(h().deps)).toBe(0);
      expect(await h().deps.spool?.list()).toHaveLength(3);

      proxy.restore();
      let applied = 0;
      for (let attempt = 0; attempt < 40 && applied < 3; attempt++) {
        applied += await replaySpool(h().deps);
        if (applied < 3) await new Promise((r) => setTimeout(r, 250));
      }
      expect(applied).toBe(3);
      expect(await h().deps.spool?.list()).toHaveLength(0);
      // Payaction's own resend of the same event changes nothing.
      await h().webhook(orders[0] as string, { traceId: `outage-${orders[0]}` });
      expect(await h().balanceOf('outage_user')).toBe(20000 + 20001 + 20002);
      await h().expectLedgerConsistent();
    });
  },
  { env: viaProxy },
);
