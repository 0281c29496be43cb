import { expect, it } from 'vitest';
import { expectFail } from './support/checks.js';
import { forEachDatabase } from './support/harness.js';

/**
 * Query rules of the lists (SPEC.md): keyset pagination `limit` (default 100, max 1000) and
 * `cursor`, and the operator filters `status`, `username`, `from`, `to` (KST calendar dates).
 */

const USER = 'val_list';
const ORDERS = 101;
const USERS = 101;

const LISTS = [
  { path: `/transaction-history/${USER}`, items: 'transactions' },
  { path: '/admin/users', items: 'users' },
  { path: '/admin/orders', items: 'orders' },
  { path: '/admin/transactions', items: 'deposits' },
] as const;
const FILTERED = LISTS.filter((l) => l.items === 'orders' || l.items === 'deposits');

const BAD_LIMITS = ['0', '1001', 'abc', '-1', '1.5', '', '1e3', '10000', ' 10'];
const cursorOf = (text: string) => Buffer.from(text).toString('base64url');
const BAD_CURSORS = [
  'zzz',
  cursorOf('not-a-cursor'),
  cursorOf('o0'),
  cursorOf('o-1'),
  cursorOf('o1.5'),
  cursorOf('o99999999999999999'),
  cursorOf('o12 '),
];
const BAD_DATES = [
  '2025-02-30',
  '2025-4-6',
  '2025-02-29',
  '2025-13-01',
  '2025-00-10',
  '2025-04-00',
  '20250406',
  '2025/04/06',
  'yesterday',
  '2025-04-06T00:00:00',
  '',
];
const BAD_STATUSES = ['bogus', 'PENDING', '', '매칭', '완료됨', 'x'.repeat(17)];

type Row = Record<string, unknown>;

forEachDatabase('validation: pagination and list filters', (h) => {
  const list = async (path: string, items: string, query: string) => {
    const res = await h().api('GET', `${path}?${query}`);
    expect(res.status).toBe(200);
    return { rows: res.body[items] as Row[], next: res.body.next_cursor as string | null };
  };

  it(`creates ${USERS} users and ${ORDERS} settled orders`, async () => {
    for (let i = 0; i < USERS; i++)
      await h().createUser(i === 0 ? USER : `list_${String(i).padStart(3, '0')}`);
    for (let i = 0; i < ORDERS; i++) {
      h().clock.advance(1000);
      const created = await h().deposit(USER, '목록', 1000 + i);
      expect(created.status).toBe(200);
      const matched = await h().api('POST', `/admin/orders/${created.body.order_number}/match`, {
        body: { reason: '목록 준비' },
      });
      expect(matched.status).toBe(200);
    }
  });

  it.each(LISTS)(
    '$path returns 100 rows by default, newest first, then the rest',
    async ({ path, items }) => {
      const first = await list(path, items, '');
      expect(first.rows).toHaveLength(100);
      expect(first.next).toEqual(expect.any(String));
      const rest = await list(path, items, `cursor=${first.next}`);
      expect(rest.next).toBeNull();
      const all = await list(path, items, 'limit=1000');
      expect(all.next).toBeNull();
      expect([...first.rows, ...rest.rows]).toEqual(all.rows);
      expect(all.rows.length).toBe(items === 'users' ? USERS : ORDERS);
      const dates = all.rows.map((r) => String(r.date ?? r.created_at));
      expect(dates).toEqual([...dates].sort().reverse());
    },
  );

  it.each(LISTS)(
    '$path honours a small limit and walks the whole list by cursor',
    async ({ path, items }) => {
      const seen: Row[] = [];
      let cursor: string | null = null;
      do {
        const page: { rows: Row[]; next: string | null } = await list(
          path,
          items,
          `limit=40${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.rows.length).toBeLessThanOrEqual(40);
        seen.push(...page.rows);
        cursor = page.next;
      } while (cursor);
      expect(seen).toEqual((await list(path, items, 'limit=1000')).rows);
    },
  );

  for (const { path } of LISTS) {
    it.each(BAD_LIMITS)(`${path} rejects limit=%s`, async (limit) => {
      expectFail(await h().api('GET', `${path}?limit=${encodeURIComponent(limit)}`), 400, 'validation_error');
    });

    it('rejects a repeated limit', async () => {
      expectFail(await h().api('GET', `${path}?limit=1&limit=2`), 400, 'validation_error');
    });

    it.each(BAD_CURSORS)(`${path} rejects cursor=%s with invalid_cursor`, async (cursor) => {
      expectFail(await h().api('GET', `${path}?cursor=${cursor}`), 400, 'invalid_cursor');
    });

    it.each(['!!!', '%2F..%2F', 'a'.repeat(200)])(`${path} rejects a malformed cursor %s`, async (cursor) => {
      expectFail(await h().api('GET', `${path}?cursor=${cursor}`), 400, [
        'invalid_cursor',
        'validation_error',
      ]);
    });
  }

  for (const { path, items } of FILTERED) {
    it.each(BAD_STATUSES)(`${path} rejects status=%s`, async (status) => {
      expectFail(
        await h().api('GET', `${path}?status=${encodeURIComponent(status)}`),
        400,
        'validation_error',
      );
    });

    for (const field of ['from', 'to']) {
      it.each(BAD_DATES)(`${path} rejects ${field}=%s`, async (date) => {
        const res = await h().api('GET', `${path}?${field}=${encodeURIComponent(date)}`);
        expectFail(res, 400, 'validation_error');
      });
    }

    it(`${path} accepts a leap day and filters by KST calendar day`, async () => {
      expect((await list(path, items, 'from=2024-02-29&limit=1000')).rows).toHaveLength(ORDERS);
      expect((await list(path, items, 'to=2024-02-29')).rows).toEqual([]);
      expect((await list(path, items, 'from=2026-11-29')).rows).toEqual([]);
      expect((await list(path, items, 'to=2026-11-27')).rows).toEqual([]);
      const day = await list(path, items, 'from=2026-11-28&to=2026-11-28&limit=1000');
      expect(day.rows).toHaveLength(ORDERS);
    });

    it(`${path} rejects a malformed username filter and finds nothing for an unknown one`, async () => {
      expectFail(await h().api('GET', `${path}?username=..%2Fx`), 400, 'validation_error');
      expectFail(await h().api('GET', `${path}?username=${'a'.repeat(65)}`), 400, 'validation_error');
      expect((await list(path, items, 'username=ghost_user')).rows).toEqual([]);
      expect((await list(path, items, `username=${USER}&limit=1000`)).rows).toHaveLength(ORDERS);
    });
  }

  it('filters /admin/orders by status label', async () => {
    const pending = await h().deposit(USER, '대기', 4321);
    expect(pending.status).toBe(200);
    const rows = (await list('/admin/orders', 'orders', 'status=대기중')).rows;
    expect(rows.map((r) => r.order_number)).toEqual([pending.body.order_number]);
    expect((await list('/admin/orders', 'orders', 'status=매칭완료&limit=1000')).rows).toHaveLength(ORDERS);
  });

  it('never lists a pending order in /admin/transactions, whatever the status filter', async () => {
    const res = await h().api('GET', `/admin/transactions?status=${encodeURIComponent('대기중')}`);
    if (res.status === 200) expect(res.body.deposits).toEqual([]);
    else expectFail(res, 400, 'validation_error');
    const all = await list('/admin/transactions', 'deposits', 'limit=1000');
    expect(all.rows.filter((r) => r.status === '대기중')).toEqual([]);
    expect(all.rows).toHaveLength(ORDERS);
  });
});
