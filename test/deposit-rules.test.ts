import { afterEach, expect, it } from 'vitest';
import type { Harness } from './support/harness.js';
import { forEachDatabase } from './support/harness.js';
import { adminOrder, adminOrdersOf, placeDeposit } from './support/lists.js';

const PAYACTION_FAILED = { status: 'fail', code: 'payaction_error', msg: 'PayAction API 오류' };

function resetStub(h: Harness): void {
  for (const path of Object.keys(h.stub.modes)) delete h.stub.modes[path];
  h.stub.delayMs = 0;
}

/** Everything a webhook could change: every order, every balance, the summary. */
async function snapshot(h: Harness): Promise<unknown> {
  const [orders, users, summary] = await Promise.all([
    h.api('GET', '/admin/orders?limit=1000'),
    h.api('GET', '/admin/users?limit=1000'),
    h.api('GET', '/admin/summary'),
  ]);
  return { orders: orders.body, users: users.body, summary: summary.body };
}

forEachDatabase('deposit rules', (h) => {
  afterEach(() => resetStub(h()));

  it('gives the same pending order again for the same user, name and amount, without a second registration', async () => {
    await h().createUser('dr_same');
    const first = await h().deposit('dr_same', '김철수', 71000);
    expect(first.status).toBe(200);
    const calls = h().stub.callsTo('/order').length;
    const second = await h().deposit('dr_same', '김철수', 71000);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(h().stub.callsTo('/order').length).toBe(calls);
    // The name as the bank will show it: surrounding spaces and decomposed Hangul change nothing.
    for (const variant of ['  김철수 ', '김철수'.normalize('NFD')]) {
      const res = await h().deposit('dr_same', variant, 71000);
      expect(res.status).toBe(200);
      expect(res.body.order_number).toBe(first.body.order_number);
    }
    expect(h().stub.callsTo('/order').length).toBe(calls);
    // Another amount or another name is another order.
    const otherAmount = await placeDeposit(h(), 'dr_same', '김철수', 71001);
    const otherName = await placeDeposit(h(), 'dr_same', '김영희', 71000);
    expect(new Set([first.body.order_number, otherAmount, otherName]).size).toBe(3);
    expect(await adminOrdersOf(h(), 'dr_same')).toHaveLength(3);
  });

  it('marks every order registered when many registrations are answered at once', async () => {
    const users = ['dr_many0', 'dr_many1', 'dr_many2', 'dr_many3'];
    for (const u of users) await h().createUser(u);
    const answers = await Promise.all(
      users.flatMap((u, i) =>
        Array.from({ length: 5 }, (_, k) => h().deposit(u, '동시등록', 73000 + i * 10 + k)),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    for (const u of users) {
      const orders = await adminOrdersOf(h(), u);
      expect(orders.map((o) => o.registered)).toEqual([true, true, true, true, true]);
    }
  });

  it("refuses another user's pending name + amount, and frees it once that order is matched or cancelled", async () => {
    await h().createUser('dr_first');
    await h().createUser('dr_second');
    const taken = await placeDeposit(h(), 'dr_first', '박지성', 72000);
    const refused = await h().deposit('dr_second', '박지성', 72000);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ status: 'fail', code: 'ambiguous_match' });
    expect(await adminOrdersOf(h(), 'dr_second')).toEqual([]);

    // Matched: the name + amount is free again.
    expect((await h().webhook(taken)).status).toBe(200);
    const second = await placeDeposit(h(), 'dr_second', '박지성', 72000);
    expect(await h().balanceOf('dr_first')).toBe(72000);
    expect((await h().deposit('dr_first', '박지성', 72000)).status).toBe(409);

    // Cancelled: free again too, and the new order is a new one.
    const cancel = await h().api('POST', '/cancel-order', { body: { order_number: second } });
    expect(cancel.status).toBe(200);
    const again = await placeDeposit(h(), 'dr_first', '박지성', 72000);
    expect(again).not.toBe(taken);
    expect((await adminOrder(h(), 'dr_first', again)).status).toBe('대기중');
    await h().expectLedgerConsistent();
  });

  it('allows at most MAX_PENDING_PER_USER pending orders per user', async () => {
    await h().createUser('dr_limit');
    const numbers: string[] = [];
    for (let i = 0; i < h().config.maxPendingPerUser; i++) {
      numbers.push(await placeDeposit(h(), 'dr_limit', '한도', 73000 + i));
    }
    const calls = h().stub.callsTo('/order').length;
    const sixth = await h().deposit('dr_limit', '한도', 73100);
    expect(sixth.status).toBe(409);
    expect(sixth.body).toMatchObject({ status: 'fail', code: 'too_many_pending' });
    expect(h().stub.callsTo('/order').length).toBe(calls);
    // Asking again for one already pending is not a new order, so the limit does not apply.
    const repeat = await h().deposit('dr_limit', '한도', 73000);
    expect(repeat.status).toBe(200);
    expect(repeat.body.order_number).toBe(numbers[0]);

    // One matched and one cancelled: two slots free, not three.
    expect((await h().webhook(numbers[0] as string)).status).toBe(200);
    const cancel = await h().api('POST', '/cancel-order', { body: { order_number: numbers[1] } });
    expect(cancel.status).toBe(200);
    await placeDeposit(h(), 'dr_limit', '한도', 73100);
    await placeDeposit(h(), 'dr_limit', '한도', 73101);
    expect((await h().deposit('dr_limit', '한도', 73102)).status).toBe(409);
    const pending = (await adminOrdersOf(h(), 'dr_limit')).filter((o) => o.status === '대기중');
    expect(pending).toHaveLength(h().config.maxPendingPerUser);
  });

  it('retries a failing Payaction a bounded number of times, then answers 502 and cancels the order', async () => {
    await h().createUser('dr_p500');
    h().stub.modes['/order'] = 'http500';
    const before = h().stub.callsTo('/order').length;
    const res = await h().deposit('dr_p500', '오류', 74000);
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject(PAYACTION_FAILED);
    expect(h().stub.callsTo('/order').length - before).toBe(h().config.payaction.attemptsMax);
    expect(h().config.payaction.attemptsMax).toBe(3);

    const [order] = await adminOrdersOf(h(), 'dr_p500');
    expect(order).toMatchObject({ status: '취소됨', cancel_reason: 'registration_failed', amount: 74000 });
    // The dead order does not hold the name + amount: once Payaction is back, it is a new order.
    delete h().stub.modes['/order'];
    const retry = await placeDeposit(h(), 'dr_p500', '오류', 74000);
    expect(retry).not.toBe(order?.order_number);
    expect((await adminOrder(h(), 'dr_p500', retry)).status).toBe('대기중');
  });

  it('does not retry when Payaction answers {status: "error"} with HTTP 200', async () => {
    await h().createUser('dr_perr');
    h().stub.modes['/order'] = 'error';
    const before = h().stub.callsTo('/order').length;
    const res = await h().deposit('dr_perr', '거절', 75000);
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject(PAYACTION_FAILED);
    expect(h().stub.callsTo('/order').length - before).toBe(1);
    const [order] = await adminOrdersOf(h(), 'dr_perr');
    expect(order).toMatchObject({ status: '취소됨', cancel_reason: 'registration_failed' });
  });

  it('gives up on a Payaction that does not answer within a bounded time', async () => {
    await h().createUser('dr_hang');
    h().stub.modes['/order'] = 'hang';
    const before = h().stub.callsTo('/order').length;
    const started = Date.now();
    const res = await h().deposit('dr_hang', '응답없음', 76000);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject(PAYACTION_FAILED);
    const { attemptsMax, timeoutMs } = h().config.payaction;
    expect(h().stub.callsTo('/order').length - before).toBe(attemptsMax);
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs * attemptsMax - 100);
    expect(elapsed).toBeLessThan(timeoutMs * attemptsMax + 3000);
    const [order] = await adminOrdersOf(h(), 'dr_hang');
    expect(order).toMatchObject({ status: '취소됨', cancel_reason: 'registration_failed' });
  });

  it('keeps the order pending when Payaction refuses to exclude it', async () => {
    await h().createUser('dr_excl');
    const orderNumber = await placeDeposit(h(), 'dr_excl', '취소실패', 77000);
    const token = await h().userToken('dr_excl');
    for (const mode of ['http500', 'error'] as const) {
      h().stub.modes['/order-exclude'] = mode;
      const res = await h().api('POST', '/cancel-order', { token, body: { order_number: orderNumber } });
      expect(res.status, mode).toBe(502);
      expect(res.body).toMatchObject({ status: 'fail', msg: 'PayAction API 오류' });
      expect(typeof res.body.payaction_response, mode).toBe('string');
      expect((await adminOrder(h(), 'dr_excl', orderNumber)).status).toBe('대기중');
    }
    const history = await h().api('GET', '/transaction-history/dr_excl', { token });
    expect((history.body.transactions as { status: string }[]).map((t) => t.status)).toEqual(['대기중']);

    delete h().stub.modes['/order-exclude'];
    const ok = await h().api('POST', '/cancel-order', { token, body: { order_number: orderNumber } });
    expect(ok.status).toBe(200);
    expect(await adminOrder(h(), 'dr_excl', orderNumber)).toMatchObject({
      status: '취소됨',
      cancel_reason: 'user',
    });
  });

  it('refuses a deposit for an unknown user when users are not created automatically', async () => {
    expect(h().config.autoCreateUsers).toBe(false);
    const calls = h().stub.callsTo('/order').length;
    const res = await h().deposit('dr_nobody', '없는사람', 78000);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status: 'fail', code: 'user_not_found' });
    expect(h().stub.callsTo('/order').length).toBe(calls);
    expect((await h().api('GET', '/users/dr_nobody')).status).toBe(404);
  });

  it('answers 200 to a webhook for an unknown order and changes nothing', async () => {
    await h().createUser('dr_hook');
    await placeDeposit(h(), 'dr_hook', '웹훅', 79000);
    const before = await snapshot(h());
    for (const orderNumber of ['ZZZZZZZZZZZZZZZZZZZZ', 'unknown-order-42']) {
      const res = await h().webhook(orderNumber);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'success' });
    }
    expect(await snapshot(h())).toEqual(before);
    await h().expectLedgerConsistent();
  });

  it('answers 200 to a webhook with another order_status and changes nothing', async () => {
    await h().createUser('dr_status');
    const orderNumber = await placeDeposit(h(), 'dr_status', '다른상태', 80000);
    const before = await snapshot(h());
    for (const status of ['대기중', '취소', 'matched', '매칭 완료']) {
      const res = await h().webhook(orderNumber, { status });
      expect(res.status, status).toBe(200);
      expect(res.body).toEqual({ status: 'success' });
    }
    expect(await snapshot(h())).toEqual(before);
    expect(await h().balanceOf('dr_status')).toBe(0);
    // Those deliveries burned nothing: the real match still credits.
    expect((await h().webhook(orderNumber)).status).toBe(200);
    expect(await h().balanceOf('dr_status')).toBe(80000);
    await h().expectLedgerConsistent();
  });
});

forEachDatabase(
  'deposit rules with AUTO_CREATE_USERS',
  (h) => {
    it('creates the user on the first deposit', async () => {
      expect(h().config.autoCreateUsers).toBe(true);
      expect((await h().api('GET', '/users/da_new')).status).toBe(404);
      const orderNumber = await placeDeposit(h(), 'da_new', '신규', 81000);
      const user = await h().api('GET', '/users/da_new');
      expect(user.status).toBe(200);
      expect(user.body.user).toMatchObject({ username: 'da_new', balance: 0, wallet_address: null });
      expect((await adminOrder(h(), 'da_new', orderNumber)).status).toBe('대기중');
      // The second deposit uses the same user.
      await placeDeposit(h(), 'da_new', '신규', 81001);
      expect(await adminOrdersOf(h(), 'da_new')).toHaveLength(2);
    });

    it('creates the user once when first deposits race', async () => {
      const responses = await Promise.all(
        Array.from({ length: 5 }, (_, i) => h().deposit('da_race', '동시생성', 82000 + i)),
      );
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const users = await h().api('GET', '/admin/users?limit=1000');
      const named = (users.body.users as { username: string }[]).filter((u) => u.username === 'da_race');
      expect(named).toHaveLength(1);
      expect(await adminOrdersOf(h(), 'da_race')).toHaveLength(5);
    });

    it('still refuses a user token acting for someone else', async () => {
      const token = await h().userToken('da_alice');
      const res = await h().api('POST', '/deposit-request', {
        token,
        body: { username: 'da_bob', billing_name: '남의이름', amount: 83000 },
      });
      expect(res.status).toBe(403);
      expect((await h().api('GET', '/users/da_bob')).status).toBe(404);
    });
  },
  { env: { AUTO_CREATE_USERS: 'true' } },
);
