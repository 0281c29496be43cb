import { afterAll, beforeAll, expect, it } from 'vitest';
import { expireDueOrders } from '../../src/orders/expiry.js';
import type { ApiResponse } from '../support/harness.js';
import { forEachDatabase } from '../support/harness.js';
import type { AdminOrderItem, HistoryItem } from '../support/lists.js';
import {
  type Cluster,
  creditsByOrder,
  listAll,
  MATCHED,
  type Node,
  sleep,
  startCluster,
  withSeed,
} from './cluster.js';
import { chaosSeed, Rng } from './rng.js';
import { report, sized } from './size.js';

const RUNS = sized(20, 200);
const INSTANCES = 3;
const USERS = 4;
// Delays chosen so that every order of arrival occurs: the webhook before the cancel reads the
// order, between its Payaction exclude and its conditional move, and after it.
const CANCEL_DELAY_MAX_MS = 4;
const WEBHOOK_DELAY_MAX_MS = 12;
const EXCLUDE_DELAY_MAX_MS = 8;
// Payaction may report something other than a match; that must never credit.
const OTHER_STATUS = '입금대기';
const MINUTE_MS = 60_000;

type Outcome = 'matched' | 'cancelled' | 'late_match';

interface Plan {
  username: string;
  byAdmin: boolean;
  cancelNode: Node;
  webhookNode: Node;
  cancelDelayMs: number;
  webhookDelayMs: number;
  excludeDelayMs: number;
  status: string;
  /** A second copy of the delivery: Payaction retrying (same trace id) or reporting again. */
  copy: { node: Node; delayMs: number; sameTrace: boolean } | null;
  /** An expiry run joining the race, the order being due by then. */
  expiry: { node: Node; delayMs: number } | null;
}

function planRun(rng: Rng, nodes: readonly Node[], users: readonly string[]): Plan {
  return {
    username: rng.pick(users),
    byAdmin: rng.chance(0.5),
    cancelNode: rng.pick(nodes),
    webhookNode: rng.pick(nodes),
    cancelDelayMs: rng.int(0, CANCEL_DELAY_MAX_MS),
    webhookDelayMs: rng.int(0, WEBHOOK_DELAY_MAX_MS),
    excludeDelayMs: rng.int(0, EXCLUDE_DELAY_MAX_MS),
    status: rng.chance(0.9) ? MATCHED : OTHER_STATUS,
    copy: rng.chance(0.25)
      ? { node: rng.pick(nodes), delayMs: rng.int(0, WEBHOOK_DELAY_MAX_MS), sameTrace: rng.chance(0.5) }
      : null,
    expiry: rng.chance(0.2) ? { node: rng.pick(nodes), delayMs: rng.int(0, CANCEL_DELAY_MAX_MS) } : null,
  };
}

const describePlan = (p: Plan) =>
  `${p.byAdmin ? 'admin' : 'user'} cancel at #${p.cancelNode.index} +${p.cancelDelayMs}ms ` +
  `(exclude +${p.excludeDelayMs}ms), webhook "${p.status}" at #${p.webhookNode.index} +${p.webhookDelayMs}ms` +
  (p.copy ? `, copy at #${p.copy.node.index} +${p.copy.delayMs}ms same trace ${p.copy.sameTrace}` : '') +
  (p.expiry ? `, expiry at #${p.expiry.node.index} +${p.expiry.delayMs}ms` : '');

/**
 * Which of the three outcomes the final state is, after checking that it is one of them and that
 * the answers agree with it: a successful cancel is never followed by a plain match, a refused
 * cancel never by a cancelled order, and a match reported with 200 is never lost. An expiry run
 * in the race may be the one that cancels; it cancels only when it wins, and says so.
 */
function classify(
  order: AdminOrderItem,
  credits: number,
  cancel: ApiResponse,
  plan: Plan,
  expired: number,
): Outcome {
  const mine = plan.byAdmin ? 'admin' : 'user';
  const reasons = plan.expiry ? [mine, 'expired'] : [mine];
  const cancelled = cancel.status === 200;
  expect(expired, 'the expiry run reports the cancel it made').toBe(
    order.cancel_reason === 'expired' ? 1 : 0,
  );
  if (order.status === '취소됨') {
    expect(cancelled, 'a cancelled order: the cancel succeeded').toBe(true);
    expect(plan.status, 'a match answered 200 is never lost').not.toBe(MATCHED);
    expect(reasons).toContain(order.cancel_reason);
    expect({ late: order.late_match, credits }).toEqual({ late: false, credits: 0 });
    return 'cancelled';
  }
  expect(order.status, 'only a match moves an order out of pending here').toBe('매칭완료');
  expect(plan.status).toBe(MATCHED);
  expect(credits, 'a matched order is credited once').toBe(1);
  if (order.late_match) {
    // Cancelled first, then the money arrived: credited and flagged, the cancel reason kept. After
    // an expiry the user's cancel may have come before the match (200) or after it (409).
    expect(reasons).toContain(order.cancel_reason);
    if (order.cancel_reason === mine) expect(cancelled, 'our cancel made the late match').toBe(true);
    return 'late_match';
  }
  expect(cancelled, 'a successful cancel is never followed by a plain match').toBe(false);
  expect(order.cancel_reason).toBeNull();
  return 'matched';
}

forEachDatabase('chaos: cancel racing a webhook', (h) => {
  let cluster: Cluster | undefined;
  const nodes = () => cluster?.nodes ?? [];
  beforeAll(async () => {
    cluster = await startCluster(h(), INSTANCES);
  });
  afterAll(async () => {
    h().stub.delayMs = 0;
    await cluster?.close();
  });

  it(`ends each of ${RUNS} seeded races in exactly one outcome`, async () => {
    const seed = chaosSeed();
    const rng = new Rng(seed);
    const users = Array.from({ length: USERS }, (_, u) => `race_${u}`);
    for (const u of users) await h().createUser(u);
    const tokens = new Map(await Promise.all(users.map(async (u) => [u, await h().userToken(u)] as const)));
    const balances = new Map(users.map((u) => [u, 0]));
    const outcomes: Record<Outcome, number> = { matched: 0, cancelled: 0, late_match: 0 };
    let matchedAfterExclude = 0;
    let expiredFirst = 0;
    const started = performance.now();

    for (let run = 0; run < RUNS; run++) {
      const runRng = rng.fork();
      const plan = planRun(runRng, nodes(), users);
      await withSeed(`race ${run} [${h().dialect}]: ${describePlan(plan)}`, seed, async () => {
        const amount = 20_000 + run * 10;
        const placed = await runRng.pick(nodes()).api('POST', '/deposit-request', {
          body: { username: plan.username, billing_name: '경합', amount },
        });
        expect(placed.status, JSON.stringify(placed.body)).toBe(200);
        const orderNumber = placed.body.order_number as string;
        const trace = `race-${seed}-${run}`;

        const { copy, expiry } = plan;
        if (expiry) h().clock.advance(h().config.orderTtlMinutes * MINUTE_MS);
        h().stub.delayMs = plan.excludeDelayMs;
        const expiring = expiry
          ? sleep(expiry.delayMs).then(() => expireDueOrders(expiry.node.deps))
          : Promise.resolve({ expired: 0, excludeFailed: 0, skipped: 0 });
        const [cancel, ...hooks] = await Promise.all([
          sleep(plan.cancelDelayMs).then(() =>
            plan.cancelNode.api('POST', '/cancel-order', {
              body: { order_number: orderNumber },
              ...(plan.byAdmin ? {} : { token: tokens.get(plan.username) }),
            }),
          ),
          sleep(plan.webhookDelayMs).then(() => plan.webhookNode.webhook(orderNumber, trace, plan.status)),
          ...(copy
            ? [
                sleep(copy.delayMs).then(() =>
                  copy.node.webhook(orderNumber, copy.sameTrace ? trace : `${trace}-copy`, plan.status),
                ),
              ]
            : []),
        ]);
        const expiryReport = await expiring;
        h().stub.delayMs = 0;
        expect(expiryReport.excludeFailed).toBe(0);

        for (const hook of hooks) {
          expect({ status: hook.status, body: hook.body }).toEqual({
            status: 200,
            body: { status: 'success' },
          });
        }
        const excludes = h()
          .stub.callsTo('/order-exclude')
          .filter((c) => c.body.order_number === orderNumber).length;
        if (cancel.status === 200) {
          expect(cancel.body).toMatchObject({ status: 'success', msg: '주문이 취소되었습니다' });
          // Excluded at Payaction before it was cancelled here (by this request or the expiry run).
          expect(excludes).toBeGreaterThanOrEqual(1);
          if (!expiry) expect(excludes).toBe(1);
        } else {
          // The match landed between the exclude and the conditional move: the move lost.
          if (excludes > 0 && !expiry) matchedAfterExclude++;
          expect({ status: cancel.status, body: cancel.body }).toMatchObject({
            status: 409,
            body: { status: 'fail', code: 'invalid_state' },
          });
        }

        const listed = await listAll<AdminOrderItem>(
          runRng.pick(nodes()),
          `/admin/orders?username=${plan.username}`,
          'orders',
        );
        const order = listed.find((o) => o.order_number === orderNumber);
        if (!order) throw new Error(`order ${orderNumber} missing from /admin/orders`);
        const credits = (await creditsByOrder(h())).get(orderNumber)?.count ?? 0;
        expect(order.amount).toBe(amount);
        const outcome = classify(order, credits, cancel, plan, expiryReport.expired);
        if (order.cancel_reason === 'expired') expiredFirst++;
        outcomes[outcome]++;

        // The user sees the same state, and the balance holds exactly the credited orders.
        const reader = runRng.pick(nodes());
        const token = tokens.get(plan.username);
        const history = await reader.api('GET', `/transaction-history/${plan.username}?limit=1000`, {
          token,
        });
        const item = (history.body.transactions as HistoryItem[]).find((t) => t.order_number === orderNumber);
        expect(item?.status).toBe(order.status);
        if (outcome !== 'cancelled') balances.set(plan.username, (balances.get(plan.username) ?? 0) + amount);
        const user = await reader.api('GET', `/users/${plan.username}`, { token });
        expect((user.body.user as { balance: number }).balance).toBe(balances.get(plan.username));
      });
    }
    const durationMs = performance.now() - started;

    await withSeed(`races [${h().dialect}]`, seed, async () => {
      await h().expectLedgerConsistent();
      const credits = [...(await creditsByOrder(h())).values()].reduce((n, c) => n + c.count, 0);
      expect(credits).toBe(outcomes.matched + outcomes.late_match);
      report(`races [${h().dialect}]`, {
        seed,
        instances: nodes().length,
        runs: RUNS,
        ...outcomes,
        matchedAfterExclude,
        expiredFirst,
        credits,
        durationMs: Math.round(durationMs),
      });
    });
  });
});
