import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Db } from '../src/db/connect.js';
import type { Deps } from '../src/deps.js';
import { expireDueOrders } from '../src/orders/expiry.js';
import { forEachDatabase } from './support/harness.js';

const TTL_MINUTES = 30;
const MINUTE_MS = 60_000;

interface AdminOrder {
  order_number: string;
  status: string;
  cancel_reason: string | null;
  late_match: boolean;
}

forEachDatabase(
  'order expiry',
  (h) => {
    let second: Db;
    /** A second instance: its own connection pool on the same database. */
    let secondDeps: Deps;

    beforeAll(async () => {
      second = connect(h().config.databaseUrl, { poolSize: 10 });
      secondDeps = { ...h().deps, db: second };
      for (const u of ['ex_a', 'ex_b', 'ex_c', 'ex_d']) await h().createUser(u);
    });
    afterAll(async () => {
      await second.close();
    });

    const ordersOf = async (username: string) =>
      (await h().api('GET', `/admin/orders?username=${username}`)).body.orders as AdminOrder[];
    const excludeCalls = (orderNumber: string) =>
      h()
        .stub.callsTo('/order-exclude')
        .filter((c) => c.body.order_number === orderNumber).length;

    it('expires only pending orders past their time, excluding each at Payaction first', async () => {
      const old = await h().deposit('ex_a', '만료일', 10000);
      const matched = await h().deposit('ex_a', '만료이', 11000);
      await h().webhook(matched.body.order_number as string);
      h().clock.advance(20 * MINUTE_MS);
      const fresh = await h().deposit('ex_a', '만료삼', 12000);
      h().clock.advance(11 * MINUTE_MS); // `old` is 31 min old, `fresh` 11 min
      const report = await expireDueOrders(h().deps);
      expect(report).toEqual({ expired: 1, excludeFailed: 0, skipped: 0 });
      const byNumber = new Map((await ordersOf('ex_a')).map((o) => [o.order_number, o]));
      expect(byNumber.get(old.body.order_number as string)).toMatchObject({
        status: '취소됨',
        cancel_reason: 'expired',
      });
      expect(byNumber.get(matched.body.order_number as string)?.status).toBe('매칭완료');
      expect(byNumber.get(fresh.body.order_number as string)?.status).toBe('대기중');
      expect(excludeCalls(old.body.order_number as string)).toBe(1);
      expect(excludeCalls(fresh.body.order_number as string)).toBe(0);
      expect(await expireDueOrders(h().deps)).toEqual({ expired: 0, excludeFailed: 0, skipped: 0 });
    });

    it('keeps an order pending when its exclude call fails', async () => {
      const order = await h().deposit('ex_b', '실패함', 13000);
      h().clock.advance((TTL_MINUTES + 1) * MINUTE_MS);
      h().stub.modes['/order-exclude'] = 'error';
      try {
        const report = await expireDueOrders(h().deps);
        expect(report.expired).toBe(0);
        expect(report.excludeFailed).toBeGreaterThanOrEqual(1);
      } finally {
        delete h().stub.modes['/order-exclude'];
      }
      expect((await ordersOf('ex_b'))[0]?.status).toBe('대기중');
      // The claim lapses after five minutes; then the next run expires it.
      h().clock.advance(6 * MINUTE_MS);
      await expireDueOrders(h().deps);
      const after = (await ordersOf('ex_b')).find((o) => o.order_number === order.body.order_number);
      expect(after).toMatchObject({ status: '취소됨', cancel_reason: 'expired' });
    });

    it('expires the orders behind ones whose exclusion keeps failing', async () => {
      const stuck = await h().deposit('ex_b', '막힘', 13500);
      h().clock.advance(MINUTE_MS);
      const behind = await h().deposit('ex_b', '뒤에', 13600);
      h().clock.advance((TTL_MINUTES + 1) * MINUTE_MS);
      h().stub.modes['/order-exclude'] = 'error';
      try {
        expect(await expireDueOrders(h().deps, 1)).toMatchObject({ expired: 0, excludeFailed: 1 });
      } finally {
        delete h().stub.modes['/order-exclude'];
      }
      // One order per run: the failed one is still claimed, so the next run reaches the one behind.
      expect(await expireDueOrders(h().deps, 1)).toEqual({ expired: 1, excludeFailed: 0, skipped: 0 });
      const byNumber = new Map((await ordersOf('ex_b')).map((o) => [o.order_number, o.status]));
      expect(byNumber.get(stuck.body.order_number as string)).toBe('대기중');
      expect(byNumber.get(behind.body.order_number as string)).toBe('취소됨');
      // Once its claim lapses, the failed one is tried again.
      h().clock.advance(6 * MINUTE_MS);
      expect(await expireDueOrders(h().deps)).toEqual({ expired: 1, excludeFailed: 0, skipped: 0 });
    });

    // Two SQLite connections in one process would block each other's event loop (better-sqlite3
    // waits synchronously for the lock); instances on one SQLite file are separate processes.
    it('ends every order in one state when two instances expire at the same moment', async (ctx) => {
      if (h().dialect === 'sqlite') return ctx.skip();
      const numbers: string[] = [];
      for (const [i, user] of ['ex_c', 'ex_d'].entries()) {
        for (let k = 0; k < 5; k++) {
          const res = await h().deposit(user, '동시만료', 20000 + i * 100 + k);
          expect(res.status).toBe(200);
          numbers.push(res.body.order_number as string);
        }
      }
      h().clock.advance((TTL_MINUTES + 1) * MINUTE_MS);
      const [a, b] = await Promise.all([expireDueOrders(h().deps), expireDueOrders(secondDeps)]);
      expect(a.expired + b.expired).toBe(numbers.length);
      expect(a.excludeFailed + b.excludeFailed).toBe(0);
      const all = [...(await ordersOf('ex_c')), ...(await ordersOf('ex_d'))];
      for (const n of numbers) {
        expect(all.find((o) => o.order_number === n)).toMatchObject({
          status: '취소됨',
          cancel_reason: 'expired',
        });
        expect(excludeCalls(n)).toBe(1);
      }
    });

    it('credits a match that arrives after expiry, flagged as late', async () => {
      const order = await h().deposit('ex_a', '늦은입금', 14000);
      h().clock.advance((TTL_MINUTES + 1) * MINUTE_MS);
      await expireDueOrders(h().deps);
      const before = await h().balanceOf('ex_a');
      expect((await h().webhook(order.body.order_number as string)).status).toBe(200);
      expect(await h().balanceOf('ex_a')).toBe(before + 14000);
      const row = (await ordersOf('ex_a')).find((o) => o.order_number === order.body.order_number);
      expect(row).toMatchObject({ status: '매칭완료', late_match: true });
      await h().expectLedgerConsistent();
    });
  },
  { env: { ORDER_TTL_MINUTES: String(TTL_MINUTES), PAYACTION_ATTEMPTS_MAX: '1' } },
);
