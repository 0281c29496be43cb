import { expect, it } from 'vitest';
import { type StatusTotals, totalsByStatus } from '../src/orders/orders.repository.js';
import { forEachDatabase } from './support/harness.js';

const KST_DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

forEachDatabase('the seed flow', (h) => {
  it('creates a user', async () => {
    const res = await h().api('POST', '/admin/users', { body: { username: 'test_user' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      status: 'success',
      user: { username: 'test_user', balance: 0, wallet_address: null, created_at: '2026-11-28 12:00:00' },
    });
  });

  it('shows a new user an empty history, and answers 404 for a user who does not exist', async () => {
    const empty = await h().api('GET', '/transaction-history/test_user');
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ status: 'success', transactions: [], next_cursor: null });
    const unknown = await h().api('GET', '/transaction-history/test_nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ status: 'fail', code: 'user_not_found' });
  });

  let orderNumber = '';

  it('accepts a deposit request and registers it with Payaction', async () => {
    const res = await h().deposit('test_user', '홍길동', 50000);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'success',
      bank: '국민은행',
      account: '11400204283485',
      account_holder: '(주)테스트',
      amount: 50000,
      billing_name: '홍길동',
      expires_at: '2026-11-29T12:00:00+09:00',
    });
    orderNumber = res.body.order_number as string;
    expect(orderNumber).toMatch(/^[0-9A-Z]{20}$/);
    const call = h()
      .stub.callsTo('/order')
      .find((c) => c.body.order_number === orderNumber);
    expect(call?.body).toEqual({
      order_number: orderNumber,
      order_amount: 50000,
      order_date: '2026-11-28T12:00:00+09:00',
      billing_name: '홍길동',
      orderer_name: 'test_user',
    });
    expect(call?.headers['x-api-key']).toBe(h().stub.apiKey);
    expect(call?.headers['x-mall-id']).toBe(h().stub.mallId);
  });

  it('shows the pending order in the history', async () => {
    const res = await h().api('GET', '/transaction-history/test_user');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'success',
      transactions: [
        { order_number: orderNumber, amount: 50000, date: '2026-11-28 12:00:00', status: '대기중' },
      ],
      next_cursor: null,
    });
  });

  it('credits the balance once when Payaction reports the match', async () => {
    h().clock.advance(60_000);
    const res = await h().webhook(orderNumber);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'success' });
    expect(await h().balanceOf('test_user')).toBe(50000);
    const again = await h().webhook(orderNumber);
    expect(again.status).toBe(200);
    expect(await h().balanceOf('test_user')).toBe(50000);
    await h().expectLedgerConsistent();
  });

  it('lists the matched deposit for the admin', async () => {
    const history = await h().api('GET', '/transaction-history/test_user');
    expect((history.body.transactions as { status: string }[])[0]?.status).toBe('매칭완료');
    const res = await h().api('GET', '/admin/transactions');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'success',
      deposits: [
        {
          order_number: orderNumber,
          username: 'test_user',
          amount: 50000,
          date: '2026-11-28 12:00:00',
          status: '매칭완료',
          billing_name: '홍길동',
          wallet_address: null,
        },
      ],
      next_cursor: null,
    });
  });

  it('completes the order and shows it as 완료', async () => {
    const res = await h().api('POST', `/admin/orders/${orderNumber}/complete`, {
      body: { memo: '지급 완료' },
    });
    expect(res.status).toBe(200);
    expect(res.body.order).toMatchObject({ order_number: orderNumber, status: '완료', memo: '지급 완료' });
    const again = await h().api('POST', `/admin/orders/${orderNumber}/complete`, { body: {} });
    expect(again.status).toBe(200);
    const list = await h().api('GET', '/admin/transactions?status=완료');
    expect((list.body.deposits as { status: string }[]).map((d) => d.status)).toEqual(['완료']);
    expect(await h().balanceOf('test_user')).toBe(50000);
  });

  it('cancels a pending order through Payaction, idempotently', async () => {
    const created = await h().deposit('test_user', '홍길동', 30000);
    const number = created.body.order_number as string;
    const res = await h().api('POST', '/cancel-order', { body: { order_number: number } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'success',
      msg: '주문이 취소되었습니다',
      payaction_response: { status: 'success', response: { order_number: number } },
    });
    expect(
      h()
        .stub.callsTo('/order-exclude')
        .some((c) => c.body.order_number === number),
    ).toBe(true);
    const again = await h().api('POST', '/cancel-order', { body: { order_number: number } });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('success');
    const completed = await h().api('POST', '/cancel-order', { body: { order_number: orderNumber } });
    expect(completed.status).toBe(409);
    expect(completed.body).toMatchObject({ status: 'fail', code: 'invalid_state' });
  });

  it('returns users, wallets, orders and the summary', async () => {
    const user = await h().api('GET', '/users/test_user');
    expect(user.body).toEqual({
      status: 'success',
      user: {
        username: 'test_user',
        balance: 50000,
        wallet_address: null,
        created_at: '2026-11-28 12:00:00',
      },
    });
    const wallet = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
    const patched = await h().api('PATCH', '/admin/users/test_user', { body: { wallet_address: wallet } });
    expect(patched.status).toBe(200);
    expect((patched.body.user as { wallet_address: string }).wallet_address).toBe(wallet);
    const deposits = await h().api('GET', '/admin/transactions');
    expect((deposits.body.deposits as { wallet_address: string }[])[0]?.wallet_address).toBe(wallet);
    const cleared = await h().api('PATCH', '/admin/users/test_user', { body: { wallet_address: null } });
    expect((cleared.body.user as { wallet_address: null }).wallet_address).toBeNull();

    const users = await h().api('GET', '/admin/users');
    expect(users.body).toMatchObject({ status: 'success', next_cursor: null });
    expect(users.body.users).toEqual([expect.objectContaining({ username: 'test_user', balance: 50000 })]);

    const orders = await h().api('GET', '/admin/orders');
    const rows = orders.body.orders as { status: string; date: string; cancel_reason: string | null }[];
    expect(rows.map((o) => o.status)).toEqual(['취소됨', '완료']);
    expect(rows[0]?.cancel_reason).toBe('admin');
    expect(rows[0]?.date).toMatch(KST_DATE);

    const summary = await h().api('GET', '/admin/summary');
    expect(summary.body).toEqual({
      status: 'success',
      summary: {
        total: {
          대기중: { count: 0, amount: 0 },
          매칭완료: { count: 0, amount: 0 },
          완료: { count: 1, amount: 50000 },
          취소됨: { count: 1, amount: 30000 },
        },
        today: {
          대기중: { count: 0, amount: 0 },
          매칭완료: { count: 0, amount: 0 },
          완료: { count: 1, amount: 50000 },
          취소됨: { count: 1, amount: 30000 },
        },
      },
    });
  });

  it('matches a deposit by hand through the same exactly-once credit', async () => {
    const created = await h().deposit('test_user', '홍길동', 20000);
    const number = created.body.order_number as string;
    const noReason = await h().api('POST', `/admin/orders/${number}/match`, { body: { reason: '  ' } });
    expect(noReason.status).toBe(400);
    const res = await h().api('POST', `/admin/orders/${number}/match`, { body: { reason: '통장 확인' } });
    expect(res.status).toBe(200);
    expect(res.body.order).toMatchObject({ status: '매칭완료', late_match: false });
    const again = await h().api('POST', `/admin/orders/${number}/match`, { body: { reason: '통장 확인' } });
    expect(again.status).toBe(409);
    expect(await h().balanceOf('test_user')).toBe(70000);
    await h().expectLedgerConsistent();
  });

  it("counts only the KST day's orders in the summary's today", async () => {
    type Totals = Record<string, { count: number; amount: number }>;
    const before = (await h().api('GET', '/admin/summary')).body.summary as { total: Totals };
    h().clock.advance(24 * 60 * 60_000);
    expect((await h().deposit('test_user', '홍길동', 12000)).status).toBe(200);
    const after = (await h().api('GET', '/admin/summary')).body.summary as { total: Totals; today: Totals };
    expect(after.today).toEqual({
      대기중: { count: 1, amount: 12000 },
      매칭완료: { count: 0, amount: 0 },
      완료: { count: 0, amount: 0 },
      취소됨: { count: 0, amount: 0 },
    });
    const pendingBefore = before.total.대기중 ?? { count: 0, amount: 0 };
    expect(after.total).toEqual({
      ...before.total,
      대기중: { count: pendingBefore.count + 1, amount: pendingBefore.amount + 12000 },
    });
  });

  it('sums the all-time totals the same when it reads them one id at a time', async () => {
    const byStatus = (totals: StatusTotals[]) => [...totals].sort((a, b) => a.status.localeCompare(b.status));
    const whole = await totalsByStatus(h().db, undefined);
    expect(whole.reduce((n, t) => n + t.count, 0)).toBeGreaterThan(3);
    expect(byStatus(await totalsByStatus(h().db, undefined, 1))).toEqual(byStatus(whole));
  });
});
