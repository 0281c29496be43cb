import { beforeAll, expect, it } from 'vitest';
import type { Harness } from './support/harness.js';
import { forEachDatabase } from './support/harness.js';
import {
  type AdminOrderItem,
  type DepositItem,
  getPage,
  type HistoryItem,
  pageThrough,
  placeDeposit,
  sum,
  type UserItem,
} from './support/lists.js';

const ORDERS = 300;
const STEP_MS = 20 * 60_000; // 300 orders × 20 min ≈ 4 days: 2026-11-28 12:20 to 2026-12-02 16:00 KST
const USERS = ['pg_u0', 'pg_u1', 'pg_u2', 'pg_u3'];
const USER_OF = [0, 1, 2, 3, 0, 0, 1, 2]; // uneven shares
const EXTRA_USERS = 40;
const SETTLED = ['매칭완료', '완료'];
const KST_OFFSET_MS = 9 * 3600_000;

/** What the test itself knows about each order it made, in creation order. */
interface Seeded {
  orderNumber: string;
  username: string;
  billingName: string;
  amount: number;
  createdMs: number;
  status: string;
}

/** The test's own KST rendering, independent of the server's. */
const kstDateTime = (ms: number) => new Date(ms + KST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
const kstDay = (ms: number) => kstDateTime(ms).slice(0, 10);

const asHistory = (o: Seeded): HistoryItem => ({
  order_number: o.orderNumber,
  amount: o.amount,
  date: kstDateTime(o.createdMs),
  status: o.status,
});

const asDeposit = (o: Seeded): DepositItem => ({
  ...asHistory(o),
  username: o.username,
  billing_name: o.billingName,
  wallet_address: null,
});

const pickDeposit = (o: DepositItem): DepositItem => ({
  order_number: o.order_number,
  amount: o.amount,
  date: o.date,
  status: o.status,
  username: o.username,
  billing_name: o.billing_name,
  wallet_address: o.wallet_address,
});

const newestFirst = (rows: Seeded[]) => [...rows].reverse();

/** Runs `work` over `items` with at most `width` at a time. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

async function expectOk(h: Harness, method: string, path: string, body?: unknown): Promise<void> {
  const res = await h.api(method, path, body === undefined ? {} : { body });
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Orders spread over five KST days and four states; each ends the way its index says. */
async function seed(h: Harness): Promise<Seeded[]> {
  for (const u of USERS) await h.createUser(u);
  const seeded: Seeded[] = [];
  for (let i = 0; i < ORDERS; i++) {
    h.clock.advance(STEP_MS);
    const username = USERS[USER_OF[i % USER_OF.length] as number] as string;
    const billingName = `페이지${i % 7}`;
    const amount = 10_000 + i * 10;
    const orderNumber = await placeDeposit(h, username, billingName, amount);
    seeded.push({ orderNumber, username, billingName, amount, createdMs: h.clock.now(), status: '대기중' });
  }
  // How an order ends does not change when it was created, so this part may run side by side.
  await inParallel(seeded, 8, async (o) => {
    const fate = seeded.indexOf(o) % 5;
    if (fate === 1 || fate === 2 || fate === 4) {
      const res = await h.webhook(o.orderNumber);
      if (res.status !== 200) throw new Error(`webhook ${o.orderNumber}: ${res.status}`);
      o.status = '매칭완료';
    }
    if (fate === 2) {
      await expectOk(h, 'POST', `/admin/orders/${o.orderNumber}/complete`, {});
      o.status = '완료';
    }
    if (fate === 3) {
      await expectOk(h, 'POST', '/cancel-order', { order_number: o.orderNumber });
      o.status = '취소됨';
    }
  });
  return seeded;
}

/** Positions in creation order strictly decrease: newest first, no duplicates, nothing unknown. */
function expectNewestFirst(items: { order_number: string }[], seeded: Seeded[]): void {
  const position = new Map(seeded.map((o, i) => [o.orderNumber, i]));
  const positions = items.map((it) => position.get(it.order_number) ?? -1);
  expect(positions.every((p, i) => p >= 0 && (i === 0 || p < (positions[i - 1] as number)))).toBe(true);
}

forEachDatabase(
  'pagination and filters',
  (h) => {
    let seeded: Seeded[] = [];
    const where = (keep: (o: Seeded) => boolean) => newestFirst(seeded.filter(keep));

    beforeAll(async () => {
      seeded = await seed(h());
    }, 120_000);

    it('seeds orders over several KST days, in every state', () => {
      const days = new Set(seeded.map((o) => kstDay(o.createdMs)));
      expect([...days]).toEqual(['2026-11-28', '2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
      const states = new Set(seeded.map((o) => o.status));
      expect([...states].sort()).toEqual(['대기중', '매칭완료', '완료', '취소됨'].sort());
      expect(new Set(seeded.map((o) => o.orderNumber)).size).toBe(ORDERS);
    });

    it('pages through a user history without gaps or duplicates, newest first', async () => {
      for (const username of USERS) {
        const expected = where((o) => o.username === username).map(asHistory);
        for (const limit of [7, 50]) {
          const { items, pages } = await pageThrough<HistoryItem>(
            h(),
            `/transaction-history/${username}`,
            limit,
          );
          expect(items).toEqual(expected);
          expect(pages).toBe(Math.max(1, Math.ceil(expected.length / limit)));
        }
      }
      // The user's own token pages the same way.
      const token = await h().userToken('pg_u1');
      const own = await pageThrough<HistoryItem>(h(), '/transaction-history/pg_u1', 13, { token });
      expect(own.items).toEqual(where((o) => o.username === 'pg_u1').map(asHistory));
      // Exactly a multiple of the limit: the last full page still says where the end is.
      const count = seeded.filter((o) => o.username === 'pg_u2').length;
      const exact = await pageThrough<HistoryItem>(h(), '/transaction-history/pg_u2', count);
      expect(exact.items).toHaveLength(count);
      expect(exact.pages).toBe(1);
    });

    it('pages through /admin/orders and /admin/transactions', async () => {
      for (const limit of [7, 50]) {
        const orders = await pageThrough<AdminOrderItem>(h(), '/admin/orders', limit);
        expect(orders.items.map(pickDeposit)).toEqual(newestFirst(seeded).map(asDeposit));
        expect(orders.pages).toBe(Math.ceil(ORDERS / limit));
        const deposits = await pageThrough<DepositItem>(h(), '/admin/transactions', limit);
        expect(deposits.items).toEqual(where((o) => SETTLED.includes(o.status)).map(asDeposit));
      }
      const first = await getPage<AdminOrderItem>(h(), '/admin/orders');
      expect(first.items).toHaveLength(100); // the default limit
      expect(first.nextCursor).not.toBeNull();
      const all = await getPage<AdminOrderItem>(h(), '/admin/orders?limit=1000');
      expect(all.items).toHaveLength(ORDERS);
      expect(all.nextCursor).toBeNull();
      const bad = await h().api('GET', '/admin/orders?cursor=bm90LWEtY3Vyc29y');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ status: 'fail', code: 'invalid_cursor' });
    });

    it('pages through /admin/users with balances', async () => {
      for (let i = 0; i < EXTRA_USERS; i++) await h().createUser(`pg_v${String(i).padStart(2, '0')}`);
      const created = [
        ...USERS,
        ...Array.from({ length: EXTRA_USERS }, (_, i) => `pg_v${String(i).padStart(2, '0')}`),
      ];
      for (const limit of [7, 50]) {
        const { items } = await pageThrough<UserItem>(h(), '/admin/users', limit);
        expect(items.map((u) => u.username)).toEqual([...created].reverse());
        for (const user of items) {
          const credited = seeded.filter((o) => o.username === user.username && SETTLED.includes(o.status));
          expect(user.balance, user.username).toBe(sum(credited.map((o) => o.amount)));
        }
      }
      await h().expectLedgerConsistent();
    });

    it('filters by username and status, across pages', async () => {
      for (const username of USERS) {
        const { items } = await pageThrough<AdminOrderItem>(h(), `/admin/orders?username=${username}`, 7);
        expect(items.map(pickDeposit)).toEqual(where((o) => o.username === username).map(asDeposit));
      }
      for (const status of ['대기중', '매칭완료', '완료', '취소됨']) {
        const { items } = await pageThrough<AdminOrderItem>(
          h(),
          `/admin/orders?status=${encodeURIComponent(status)}`,
          7,
        );
        expect(items.map(pickDeposit), status).toEqual(where((o) => o.status === status).map(asDeposit));
      }
      for (const status of SETTLED) {
        const { items } = await pageThrough<DepositItem>(
          h(),
          `/admin/transactions?status=${encodeURIComponent(status)}&username=pg_u0`,
          7,
        );
        expect(items, status).toEqual(
          where((o) => o.status === status && o.username === 'pg_u0').map(asDeposit),
        );
      }
      // Pending is not a settled deposit: /admin/transactions refuses to list it.
      const pending = await h().api('GET', `/admin/transactions?status=${encodeURIComponent('대기중')}`);
      expect(pending.status).toBe(400);
      const nobody = await getPage<AdminOrderItem>(h(), '/admin/orders?username=pg_nobody');
      expect(nobody.items).toEqual([]);
      expect(nobody.nextCursor).toBeNull();
    });

    it('filters by KST day with from and to, inclusive', async () => {
      const days = [...new Set(seeded.map((o) => kstDay(o.createdMs)))];
      for (const day of days) {
        const { items } = await pageThrough<AdminOrderItem>(h(), `/admin/orders?from=${day}&to=${day}`, 7);
        expect(items.map(pickDeposit), day).toEqual(where((o) => kstDay(o.createdMs) === day).map(asDeposit));
      }
      // An order made at exactly 00:00:00 KST belongs to the day that starts then.
      const midnight = seeded.find((o) => kstDateTime(o.createdMs) === '2026-11-29 00:00:00');
      expect(midnight).toBeDefined();
      const day28 = await getPage<AdminOrderItem>(
        h(),
        '/admin/orders?from=2026-11-28&to=2026-11-28&limit=1000',
      );
      const day29 = await getPage<AdminOrderItem>(
        h(),
        '/admin/orders?from=2026-11-29&to=2026-11-29&limit=1000',
      );
      expect(day28.items.some((o) => o.order_number === midnight?.orderNumber)).toBe(false);
      expect(day29.items.some((o) => o.order_number === midnight?.orderNumber)).toBe(true);

      const cases: [string, (o: Seeded) => boolean][] = [
        ['from=2026-11-30', (o) => kstDay(o.createdMs) >= '2026-11-30'],
        ['to=2026-11-29', (o) => kstDay(o.createdMs) <= '2026-11-29'],
        ['from=2026-11-30&to=2026-12-01', (o) => ['2026-11-30', '2026-12-01'].includes(kstDay(o.createdMs))],
        ['from=2026-12-03', () => false],
        ['from=2026-12-01&to=2026-11-30', () => false],
      ];
      for (const [query, keep] of cases) {
        const { items } = await pageThrough<AdminOrderItem>(h(), `/admin/orders?${query}`, 50);
        expect(items.map(pickDeposit), query).toEqual(where(keep).map(asDeposit));
      }
      const combined = await pageThrough<DepositItem>(
        h(),
        `/admin/transactions?username=pg_u2&status=${encodeURIComponent('완료')}&from=2026-11-29&to=2026-12-01`,
        3,
      );
      const keep = (o: Seeded) =>
        o.username === 'pg_u2' &&
        o.status === '완료' &&
        kstDay(o.createdMs) >= '2026-11-29' &&
        kstDay(o.createdMs) <= '2026-12-01';
      expect(combined.items).toEqual(where(keep).map(asDeposit));
      expect(combined.items.length).toBeGreaterThan(3);
    });

    it('never repeats a row while new orders arrive and old ones are matched between pages', async () => {
      const beforeOrders = newestFirst(seeded).map((o) => o.orderNumber);
      const beforeDeposits = where((o) => SETTLED.includes(o.status)).map((o) => o.orderNumber);
      const stillPending = seeded.filter((o) => o.status === '대기중' && o.username === 'pg_u3');
      let extra = 0;
      const churn = async () => {
        h().clock.advance(60_000);
        const username = USERS[extra % USERS.length] as string;
        const amount = 900_000 + extra++;
        const orderNumber = await placeDeposit(h(), username, '새주문', amount);
        seeded.push({
          orderNumber,
          username,
          billingName: '새주문',
          amount,
          createdMs: h().clock.now(),
          status: '대기중',
        });
        const old = stillPending.shift();
        if (old) {
          expect((await h().webhook(old.orderNumber)).status).toBe(200);
          old.status = '매칭완료';
        }
      };

      const orders = await pageThrough<AdminOrderItem>(h(), '/admin/orders', 7, { between: churn });
      // Newer rows sort before the cursor, so none of them shows up on a later page.
      expect(orders.items.map((o) => o.order_number)).toEqual(beforeOrders);

      const deposits = await pageThrough<DepositItem>(h(), '/admin/transactions', 7, { between: churn });
      const numbers = deposits.items.map((o) => o.order_number);
      expect(new Set(numbers).size).toBe(numbers.length);
      expectNewestFirst(deposits.items, seeded);
      // Nothing settled before paging was skipped; old orders matched meanwhile may join.
      expect(numbers.filter((n) => beforeDeposits.includes(n))).toEqual(beforeDeposits);

      const beforeHistory = where((o) => o.username === 'pg_u3').map((o) => o.orderNumber);
      const history = await pageThrough<HistoryItem>(h(), '/transaction-history/pg_u3', 7, {
        between: churn,
      });
      expect(history.items.map((o) => o.order_number)).toEqual(beforeHistory);
      expect(extra).toBeGreaterThan(50);
      await h().expectLedgerConsistent();
    });
  },
  { env: { MAX_PENDING_PER_USER: '1000' } },
);

forEachDatabase('date filters when clocks disagree', (h) => {
  it('finds every order of a day even when ids do not grow with creation times', async () => {
    await h().createUser('skew_user');
    const day = (offsetMs: number) => Date.UTC(2027, 0, 10, 0, 0, 0) + offsetMs; // 2027-01-10 09:00 KST
    const HOUR = 3_600_000;
    // Another instance with a lagging clock commits an order dated the day before after newer ones.
    const plan = [day(0), day(24 * HOUR), day(13 * HOUR), day(25 * HOUR), day(-2 * HOUR)];
    const made: { orderNumber: string; kstDay: string }[] = [];
    for (const [i, ms] of plan.entries()) {
      h().clock.ms = ms;
      const orderNumber = await placeDeposit(h(), 'skew_user', `시계${i}`, 50_000 + i);
      made.push({ orderNumber, kstDay: kstDay(ms) });
    }
    for (const date of ['2027-01-10', '2027-01-11']) {
      const { items } = await pageThrough<AdminOrderItem>(h(), `/admin/orders?from=${date}&to=${date}`, 1);
      const expected = made
        .filter((o) => o.kstDay === date)
        .reverse()
        .map((o) => o.orderNumber);
      expect(
        items.map((o) => o.order_number),
        date,
      ).toEqual(expected);
      expect(expected.length).toBeGreaterThan(1);
    }
  });
});
