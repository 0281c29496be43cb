import { afterAll, beforeAll, expect, it } from 'vitest';
import { toSafeInt } from '../../src/db/values.js';
import { forEachDatabase } from '../support/harness.js';
import type { AdminOrderItem } from '../support/lists.js';
import { type Cluster, creditsByOrder, listAll, type Node, startCluster, withSeed } from './cluster.js';
import { chaosSeed, Rng } from './rng.js';
import { report, sized } from './size.js';

const ORDERS = sized(10, 50);
const DELIVERIES_PER_ORDER = 10;
// Half the copies of an order's delivery reuse one trace id (Payaction retrying), half carry
// fresh ones (Payaction reporting the same match again).
const SAME_TRACE = DELIVERIES_PER_ORDER / 2;
const INSTANCES = 3;

interface Placed {
  username: string;
  amount: number;
  orderNumber: string;
}

interface Delivery {
  order: Placed;
  traceId: string;
  node: Node;
}

async function webhookEventsByOrder(h: Parameters<typeof creditsByOrder>[0]) {
  const rows = await h.db.kysely
    .selectFrom('webhook_events')
    .select((eb) => ['order_number', 'outcome', eb.fn.countAll().as('n')])
    .groupBy(['order_number', 'outcome'])
    .execute();
  const out = new Map<string, Record<string, number>>();
  for (const r of rows) out.set(r.order_number, { ...out.get(r.order_number), [r.outcome]: toSafeInt(r.n) });
  return out;
}

forEachDatabase('chaos: duplicate storm', (h) => {
  let cluster: Cluster | undefined;
  const nodes = () => cluster?.nodes ?? [];
  beforeAll(async () => {
    cluster = await startCluster(h(), INSTANCES);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it(`credits each of ${ORDERS} orders once under ${DELIVERIES_PER_ORDER} concurrent deliveries each`, async () => {
    const seed = chaosSeed();
    const rng = new Rng(seed);
    await withSeed(`storm [${h().dialect}]`, seed, async () => {
      const perUser = h().config.maxPendingPerUser;
      const users = Array.from({ length: Math.ceil(ORDERS / perUser) }, (_, u) => `storm_${u}`);
      for (const u of users) await h().createUser(u);

      // Distinct amounts, so no two pending orders share a name + amount.
      const placed: Placed[] = await Promise.all(
        Array.from({ length: ORDERS }, async (_, i) => {
          const username = users[Math.floor(i / perUser)] as string;
          const amount = 10_000 + i * 1_000;
          const body = { username, billing_name: '폭풍입금', amount };
          const res = await rng.pick(nodes()).api('POST', '/deposit-request', { body });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          return { username, amount, orderNumber: res.body.order_number as string };
        }),
      );
      expect(new Set(placed.map((p) => p.orderNumber)).size).toBe(ORDERS);

      const deliveries: Delivery[] = rng.shuffle(
        placed.flatMap((order, i) =>
          Array.from({ length: DELIVERIES_PER_ORDER }, (_, k) => ({
            order,
            traceId: k < SAME_TRACE ? `storm-${seed}-${i}` : `storm-${seed}-${i}-${k}`,
            node: rng.pick(nodes()),
          })),
        ),
      );
      const started = performance.now();
      const answers = await Promise.all(
        deliveries.map((d) => d.node.webhook(d.order.orderNumber, d.traceId)),
      );
      const stormMs = performance.now() - started;

      answers.forEach((res, i) => {
        const d = deliveries[i] as Delivery;
        expect(
          { status: res.status, body: res.body },
          `delivery ${d.traceId} at instance ${d.node.index}`,
        ).toEqual({ status: 200, body: { status: 'success' } });
      });

      // Money: exactly one credit per order, of the stored amount.
      const credits = await creditsByOrder(h());
      for (const p of placed) {
        expect(credits.get(p.orderNumber), `credits of ${p.orderNumber}`).toEqual({
          count: 1,
          amount: p.amount,
        });
      }
      expect([...credits.values()].reduce((n, c) => n + c.count, 0)).toBe(ORDERS);

      // Deliveries: the reused trace id was recorded once, each fresh one once; one of all of them matched.
      const events = await webhookEventsByOrder(h());
      for (const p of placed) {
        expect(events.get(p.orderNumber), `webhook events of ${p.orderNumber}`).toEqual({
          matched: 1,
          already_matched: DELIVERIES_PER_ORDER - SAME_TRACE,
        });
      }

      // What operators and users see, asked of any instance.
      const listed = await listAll<AdminOrderItem>(rng.pick(nodes()), '/admin/orders', 'orders');
      for (const p of placed) {
        expect(listed.find((o) => o.order_number === p.orderNumber)).toMatchObject({
          status: '매칭완료',
          amount: p.amount,
          late_match: false,
          cancel_reason: null,
        });
      }
      for (const u of users) {
        const res = await rng.pick(nodes()).api('GET', `/users/${u}`);
        const expected = placed.filter((p) => p.username === u).reduce((s, p) => s + p.amount, 0);
        expect((res.body.user as { balance: number }).balance, `balance of ${u}`).toBe(expected);
      }
      await h().expectLedgerConsistent();

      report(`storm [${h().dialect}]`, {
        seed,
        instances: nodes().length,
        orders: ORDERS,
        deliveries: deliveries.length,
        credits: ORDERS,
        stormMs: Math.round(stormMs),
        deliveriesPerS: Math.round(deliveries.length / (stormMs / 1000)),
      });
    });
  });
});
