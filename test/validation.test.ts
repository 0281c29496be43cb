import { expect, it } from 'vitest';
import { cancelAsAdmin, expectFail, ordersOf, withoutChanges } from './support/checks.js';
import { forEachDatabase } from './support/harness.js';

/**
 * The input rules of POST /deposit-request and POST /cancel-order (SPEC.md, "Validation"): every
 * rejected input answers 4xx in the error shape and changes nothing, and every accepted input is
 * stored in its normalised form.
 */

const USER = 'val_deposit';
const json = { 'content-type': 'application/json' };

interface BodyCase {
  label: string;
  body: unknown;
}

const BAD_USERNAMES: BodyCase[] = [
  { label: 'empty', body: '' },
  { label: '65 characters', body: 'a'.repeat(65) },
  { label: 'a space inside', body: 'val deposit' },
  { label: 'a leading space', body: ` ${USER}` },
  { label: 'Hangul', body: '홍길동' },
  { label: 'a path', body: '../val_deposit' },
  { label: 'a slash', body: 'val/deposit' },
  { label: 'a NUL byte', body: `${USER}\u0000` },
  { label: 'a plus sign', body: 'val+deposit' },
  { label: 'a number', body: 12345 },
  { label: 'null', body: null },
];

const BAD_BILLING_NAMES: BodyCase[] = [
  { label: 'empty', body: '' },
  { label: 'only spaces', body: '    ' },
  { label: 'a NUL byte', body: '홍\u0000길동' },
  { label: 'a newline inside', body: '홍\n길동' },
  { label: 'a tab inside', body: '홍\t길동' },
  { label: 'DEL', body: '홍\u007f길동' },
  { label: 'an ANSI escape', body: '홍\u001b[31m길동' },
  { label: 'markup <b>', body: '<b>홍길동</b>' },
  { label: 'a script tag', body: '<script>alert(1)</script>' },
  { label: 'an HTML entity', body: '홍길동&amp;' },
  { label: 'quotes', body: '"홍길동"' },
  { label: 'an SQL comment', body: "홍길동'--" },
  { label: 'an emoji', body: '홍길동😀' },
  { label: 'only an emoji', body: '💰' },
  { label: 'an emoji with variation selector', body: '홍길동\u2764\ufe0f' },
  { label: 'a lone surrogate', body: '\ud83d홍길동' },
  { label: 'a zero-width space', body: '홍\u200b길동' },
  { label: 'a zero-width joiner', body: '홍\u200d길동' },
  { label: 'a word joiner', body: '홍\u2060길동' },
  { label: 'a soft hyphen', body: '홍\u00ad길동' },
  { label: '21 Hangul syllables', body: '가'.repeat(21) },
  { label: '21 Latin letters', body: 'A'.repeat(21) },
  { label: '21 characters with a space inside', body: `${'가'.repeat(10)} ${'나'.repeat(10)}` },
  { label: 'Han characters', body: '山田太郎' },
  { label: 'Cyrillic letters', body: 'Иван' },
  { label: 'an exclamation mark', body: '홍길동!' },
  { label: 'a slash', body: '홍/길동' },
  { label: 'an underscore', body: '홍_길동' },
  { label: 'a number', body: 12345 },
  { label: 'null', body: null },
  { label: 'an array', body: ['홍길동'] },
];

/** Raw JSON fragments, so that numbers JSON.stringify cannot write (2^53+1, 1e400) are sent as is. */
const BAD_AMOUNTS = [
  { label: '999 (below MIN_AMOUNT)', raw: '999' },
  { label: '10000001 (above MAX_AMOUNT)', raw: '10000001' },
  { label: 'zero', raw: '0' },
  { label: 'negative', raw: '-5000' },
  { label: 'a fraction', raw: '1000.5' },
  { label: 'a numeric string', raw: '"50000"' },
  { label: 'null', raw: 'null' },
  { label: 'true', raw: 'true' },
  { label: 'false', raw: 'false' },
  { label: '1e308', raw: '1e308' },
  { label: '1e400 (Infinity)', raw: '1e400' },
  { label: '2^53+1', raw: '9007199254740993' },
  { label: 'an array', raw: '[50000]' },
  { label: 'an object', raw: '{"value":50000}' },
];

forEachDatabase('validation: POST /deposit-request', (h) => {
  const depositRaw = (raw: string) => h().api('POST', '/deposit-request', { rawBody: raw, headers: json });
  const good = { username: USER, billing_name: '검사', amount: 5000 };

  async function rejected(body: unknown, code = 'validation_error') {
    const res = await withoutChanges(h(), () => h().api('POST', '/deposit-request', { body }));
    expectFail(res, 400, code);
  }

  /** Accepts the deposit, stores and registers the normalised name, then frees the slot again. */
  async function acceptedAs(given: string, name: string, amount: number) {
    const calls = h().stub.callsTo('/order').length;
    const res = await h().deposit(USER, given, amount);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'success', billing_name: name, amount });
    const registered = h().stub.callsTo('/order').slice(calls);
    expect(registered.map((c) => [c.body.billing_name, c.body.order_amount])).toEqual([[name, amount]]);
    const stored = (await ordersOf(h(), USER)).find((o) => o.order_number === res.body.order_number);
    expect(stored).toMatchObject({ billing_name: name, amount, status: '대기중' });
    await cancelAsAdmin(h(), res.body.order_number);
  }

  it('creates the depositing user', async () => {
    await h().createUser(USER);
  });

  it.each(BAD_USERNAMES)('rejects a username that is $label', async ({ body }) => {
    await rejected({ ...good, username: body });
  });

  it('looks a 64-character username up (the length is allowed; the user is unknown)', async () => {
    const res = await withoutChanges(h(), () => h().deposit('u'.repeat(64), '검사', 5000));
    expectFail(res, 404, 'user_not_found');
  });

  it('answers 404 user_not_found for a well-formed unknown user', async () => {
    const res = await withoutChanges(h(), () => h().deposit('ghost_user', '검사', 5000));
    expectFail(res, 404, 'user_not_found');
  });

  it.each(BAD_BILLING_NAMES)('rejects a billing_name with $label', async ({ body }) => {
    await rejected({ ...good, billing_name: body });
  });

  it('trims leading and trailing spaces from billing_name', async () => {
    await acceptedAs('   홍길동  ', '홍길동', 5000);
  });

  it('normalises decomposed (NFD) Hangul to NFC', async () => {
    const nfd = '홍길동'.normalize('NFD');
    expect(nfd).not.toBe('홍길동');
    await acceptedAs(nfd, '홍길동', 5001);
  });

  it('accepts 20 characters, counted after NFC normalisation and trimming', async () => {
    await acceptedAs('가'.repeat(20), '가'.repeat(20), 5002);
    await acceptedAs('각'.repeat(20).normalize('NFD'), '각'.repeat(20), 5003);
    await acceptedAs(` ${'A'.repeat(20)} `, 'A'.repeat(20), 5004);
  });

  it('accepts Latin letters, digits, spaces and ( ) . -', async () => {
    await acceptedAs('(주)ABC-1.2 홍', '(주)ABC-1.2 홍', 5005);
    await acceptedAs('Kim Minsu 7', 'Kim Minsu 7', 5006);
  });

  it.each(BAD_AMOUNTS)('rejects an amount that is $label', async ({ raw }) => {
    const res = await withoutChanges(h(), () =>
      depositRaw(`{"username":"${USER}","billing_name":"금액","amount":${raw}}`),
    );
    expectFail(res, 400, 'validation_error');
  });

  it('accepts MIN_AMOUNT and MAX_AMOUNT themselves', async () => {
    await acceptedAs('경계', '경계', 1000);
    await acceptedAs('경계', '경계', 10_000_000);
  });

  it.each(['username', 'billing_name', 'amount'])('rejects a body without %s', async (field) => {
    const body: Record<string, unknown> = { ...good };
    delete body[field];
    await rejected(body);
  });

  it.each([
    { label: 'an empty object', raw: '{}' },
    { label: 'null', raw: 'null' },
    { label: 'an array', raw: `[${JSON.stringify(good)}]` },
    { label: 'a string', raw: '"deposit"' },
    { label: 'a number', raw: '5000' },
  ])('rejects a JSON body that is $label', async ({ raw }) => {
    const res = await withoutChanges(h(), () => depositRaw(raw));
    expectFail(res, 400);
  });

  it('rejects a request without any body', async () => {
    const res = await withoutChanges(h(), () => h().api('POST', '/deposit-request'));
    expectFail(res, 400);
    const empty = await withoutChanges(h(), () => depositRaw(''));
    expectFail(empty, 400);
  });

  it('ignores unknown fields, even ones that name stored columns', async () => {
    const res = await h().api('POST', '/deposit-request', {
      body: {
        ...good,
        billing_name: '추가필드',
        status: '매칭완료',
        balance: 999_999,
        order_number: 'HACKED00000000000000',
        is_admin: true,
        user_id: 1,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.order_number).not.toBe('HACKED00000000000000');
    const stored = (await ordersOf(h(), USER)).find((o) => o.order_number === res.body.order_number);
    expect(stored).toMatchObject({ status: '대기중', amount: 5000, billing_name: '추가필드' });
    expect(await h().balanceOf(USER)).toBe(0);
    await cancelAsAdmin(h(), res.body.order_number);
  });

  it('leaves the user with no pending order and no balance after all of the above', async () => {
    const orders = await ordersOf(h(), USER);
    expect(orders.filter((o) => o.status === '대기중')).toEqual([]);
    expect(await h().balanceOf(USER)).toBe(0);
  });
});

forEachDatabase('validation: POST /cancel-order', (h) => {
  const owner = 'val_cancel';
  let pending = '';

  it('creates a user with one pending order', async () => {
    await h().createUser(owner);
    const res = await h().deposit(owner, '취소검사', 7000);
    expect(res.status).toBe(200);
    pending = res.body.order_number as string;
  });

  it.each<BodyCase>([
    { label: 'empty', body: '' },
    { label: 'lower case', body: 'abcdef0123456789abcd' },
    { label: '21 characters', body: 'A'.repeat(21) },
    { label: 'a path', body: '../admin/orders' },
    { label: 'a space inside', body: 'ABC DEF' },
    { label: 'a number', body: 12345 },
    { label: 'null', body: null },
  ])('rejects an order_number that is $label', async ({ body }) => {
    const res = await withoutChanges(h(), () =>
      h().api('POST', '/cancel-order', { body: { order_number: body } }),
    );
    expectFail(res, 400, 'validation_error');
  });

  it('rejects a body without order_number', async () => {
    const res = await withoutChanges(h(), () => h().api('POST', '/cancel-order', { body: {} }));
    expectFail(res, 400, 'validation_error');
  });

  it('answers 404 order_not_found for a well-formed unknown order', async () => {
    const res = await withoutChanges(h(), () =>
      h().api('POST', '/cancel-order', { body: { order_number: 'ZZZZZZZZZZZZZZZZZZZZ' } }),
    );
    expectFail(res, 404, 'order_not_found');
  });

  it('still cancels the real order, ignoring unknown fields', async () => {
    const res = await h().api('POST', '/cancel-order', {
      body: { order_number: pending, reason: 'ignored', status: '완료' },
    });
    expect(res.status).toBe(200);
    expect((await ordersOf(h(), owner)).map((o) => [o.order_number, o.status])).toEqual([
      [pending, '취소됨'],
    ]);
  });
});
