import { expect, it } from 'vitest';
import { expectFail, ordersOf, withoutChanges } from './support/checks.js';
import { forEachDatabase } from './support/harness.js';

/**
 * Input rules of the user and operator endpoints (SPEC.md, "Beyond the seed"): usernames in bodies
 * and paths, wallet addresses, order numbers in paths, manual-match reasons. Every rejection is a
 * 4xx in the error shape and changes nothing.
 */

const VALID_TRON = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
// The same address with one character changed: the Base58Check checksum no longer holds.
const BAD_TRON = [
  { label: 'its last character changed', value: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u' },
  { label: 'two characters swapped', value: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLjt6' },
  { label: 'one letter in the wrong case', value: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLJ6t' },
  { label: 'a character missing', value: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6' },
  { label: 'a character too many', value: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6tt' },
  { label: 'a non-Base58 character (0)', value: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj60' },
];

/** Usernames that the body and path rules refuse (1–64 of letters, digits, `_ . - @`). */
const BAD_USERNAMES = [
  { label: 'empty', value: '' },
  { label: '65 characters', value: 'a'.repeat(65) },
  { label: 'a space inside', value: 'new user' },
  { label: 'Hangul', value: '홍길동' },
  { label: 'a path', value: '../../etc/passwd' },
  { label: 'a slash', value: 'a/b' },
  { label: 'a backslash', value: 'a\\b' },
  { label: 'a tab', value: 'a\tb' },
  { label: 'a NUL byte', value: 'a\u0000b' },
  { label: 'an asterisk', value: 'user*' },
  { label: 'a percent sign', value: 'user%' },
];

/** Path parameters that must not reach a user: traversal, separators, non-ASCII, too long. */
const BAD_PATH_USERNAMES = [
  { label: 'an encoded traversal', value: '..%2F..' },
  { label: 'an encoded traversal to an admin path', value: '..%2F..%2Fadmin%2Fusers' },
  { label: 'lower-case encoded dots and slash', value: '%2e%2e%2f%2e%2e%2fval_admin' },
  { label: 'an encoded backslash', value: '..%5C..' },
  { label: 'an encoded space', value: 'val%20admin' },
  { label: 'encoded Hangul', value: encodeURIComponent('홍길동') },
  { label: 'an encoded NUL', value: 'val_admin%00' },
  { label: '65 characters', value: 'a'.repeat(65) },
];

forEachDatabase('validation: users and wallets', (h) => {
  const createUser = (body: unknown) => h().api('POST', '/admin/users', { body });

  it('creates users whose names use every allowed character, up to 64 long', async () => {
    for (const username of ['val_admin', 'a.b-c_d@e.f', 'Z9', 'u'.repeat(64)]) {
      const res = await createUser({ username });
      expect(res.status).toBe(201);
      expect(res.body.user).toMatchObject({ username, balance: 0, wallet_address: null });
    }
  });

  it.each(BAD_USERNAMES)('POST /admin/users rejects a username that is $label', async ({ value }) => {
    const res = await withoutChanges(h(), () => createUser({ username: value }));
    expectFail(res, 400, 'validation_error');
  });

  it.each([
    { label: 'missing', body: {} },
    { label: 'a number', body: { username: 42 } },
    { label: 'null', body: { username: null } },
  ])('POST /admin/users rejects a username that is $label', async ({ body }) => {
    const res = await withoutChanges(h(), () => createUser(body));
    expectFail(res, 400, 'validation_error');
  });

  it('answers 409 user_exists for an existing username and keeps the stored user', async () => {
    const res = await withoutChanges(h(), () =>
      createUser({ username: 'val_admin', wallet_address: VALID_TRON }),
    );
    expectFail(res, 409, 'user_exists');
    const user = await h().api('GET', '/users/val_admin');
    expect(user.body.user).toMatchObject({ username: 'val_admin', wallet_address: null });
  });

  it.each(BAD_TRON)('POST /admin/users rejects a TRON address with $label', async ({ value }) => {
    const res = await withoutChanges(h(), () =>
      createUser({ username: 'val_wallet', wallet_address: value }),
    );
    expectFail(res, 400, 'validation_error');
  });

  it('POST /admin/users stores a valid TRON address', async () => {
    const res = await createUser({ username: 'val_wallet', wallet_address: VALID_TRON });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ username: 'val_wallet', wallet_address: VALID_TRON });
  });

  it.each(BAD_TRON)('PATCH /admin/users rejects a TRON address with $label', async ({ value }) => {
    const res = await withoutChanges(h(), () =>
      h().api('PATCH', '/admin/users/val_admin', { body: { wallet_address: value } }),
    );
    expectFail(res, 400, 'validation_error');
  });

  it.each([
    { label: 'no wallet_address', body: {} },
    { label: 'a number', body: { wallet_address: 12345 } },
    { label: 'an address over 64 characters', body: { wallet_address: `T${'1'.repeat(64)}` } },
  ])('PATCH /admin/users rejects $label', async ({ body }) => {
    const res = await withoutChanges(h(), () => h().api('PATCH', '/admin/users/val_admin', { body }));
    expectFail(res, 400, 'validation_error');
  });

  it('PATCH /admin/users sets and clears a valid address', async () => {
    const set = await h().api('PATCH', '/admin/users/val_admin', { body: { wallet_address: VALID_TRON } });
    expect(set.status).toBe(200);
    expect(set.body.user).toMatchObject({ username: 'val_admin', wallet_address: VALID_TRON });
    const cleared = await h().api('PATCH', '/admin/users/val_admin', { body: { wallet_address: null } });
    expect(cleared.body.user).toMatchObject({ username: 'val_admin', wallet_address: null });
  });

  it('PATCH /admin/users answers 404 user_not_found for an unknown user', async () => {
    const res = await withoutChanges(h(), () =>
      h().api('PATCH', '/admin/users/ghost_user', { body: { wallet_address: VALID_TRON } }),
    );
    expectFail(res, 404, 'user_not_found');
  });

  for (const [method, template] of [
    ['GET', '/users/:u'],
    ['GET', '/transaction-history/:u'],
    ['PATCH', '/admin/users/:u'],
  ] as const) {
    it.each(BAD_PATH_USERNAMES)(`${method} ${template} rejects $label`, async ({ value }) => {
      const path = template.replace(':u', value);
      const body = method === 'PATCH' ? { wallet_address: VALID_TRON } : undefined;
      const res = await withoutChanges(h(), () => h().api(method, path, { body }));
      expectFail(res, 400, 'validation_error');
    });

    if (method === 'GET') {
      it(`${method} ${template} answers 404 user_not_found for an unknown user`, async () => {
        const res = await h().api(method, template.replace(':u', 'ghost_user'));
        expectFail(res, 404, 'user_not_found');
      });
    }
  }

  it('still shows val_admin without a wallet (the PATCH cases above changed nothing)', async () => {
    const res = await h().api('GET', '/users/val_admin');
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ username: 'val_admin', balance: 0, wallet_address: null });
  });
});

forEachDatabase('validation: operator actions on orders', (h) => {
  const user = 'val_match';
  let pending = '';

  it('creates a user with a pending order', async () => {
    await h().createUser(user);
    const res = await h().deposit(user, '수동매칭', 12000);
    expect(res.status).toBe(200);
    pending = res.body.order_number as string;
  });

  it.each([
    { label: 'an empty reason', body: { reason: '' } },
    { label: 'a reason of spaces', body: { reason: '     ' } },
    { label: 'a reason of tabs and newlines', body: { reason: '\t\n\r ' } },
    { label: 'a reason of ideographic spaces', body: { reason: '\u3000\u3000' } },
    { label: 'no reason', body: {} },
    { label: 'a reason that is a number', body: { reason: 1 } },
    { label: 'a reason that is null', body: { reason: null } },
  ])('manual match rejects $label and credits nothing', async ({ body }) => {
    const res = await withoutChanges(h(), () => h().api('POST', `/admin/orders/${pending}/match`, { body }));
    expectFail(res, 400, 'validation_error');
    expect(await h().balanceOf(user)).toBe(0);
  });

  it.each([
    { label: 'lower case', value: 'abcdefghij0123456789' },
    { label: 'an encoded traversal', value: '..%2F..%2Fusers' },
    { label: '21 characters', value: 'A'.repeat(21) },
    { label: 'an encoded space', value: 'ABC%20DEF' },
  ])('order actions reject an order number that is $label', async ({ value }) => {
    for (const action of ['match', 'complete']) {
      const res = await withoutChanges(h(), () =>
        h().api('POST', `/admin/orders/${value}/${action}`, { body: { reason: '통장 확인' } }),
      );
      expectFail(res, 400, 'validation_error');
    }
  });

  it('order actions answer 404 order_not_found for a well-formed unknown order', async () => {
    for (const action of ['match', 'complete']) {
      const res = await withoutChanges(h(), () =>
        h().api('POST', `/admin/orders/ZZZZZZZZZZZZZZZZZZZZ/${action}`, { body: { reason: '통장 확인' } }),
      );
      expectFail(res, 404, 'order_not_found');
    }
  });

  it('complete rejects a memo that is not a string', async () => {
    const res = await withoutChanges(h(), () =>
      h().api('POST', `/admin/orders/${pending}/complete`, { body: { memo: 7 } }),
    );
    expectFail(res, 400, 'validation_error');
  });

  it('matches with a real reason (trimmed) and credits once', async () => {
    const res = await h().api('POST', `/admin/orders/${pending}/match`, {
      body: { reason: '  통장 확인  ' },
    });
    expect(res.status).toBe(200);
    expect(res.body.order).toMatchObject({ order_number: pending, status: '매칭완료' });
    expect(await h().balanceOf(user)).toBe(12000);
    expect((await ordersOf(h(), user)).map((o) => o.status)).toEqual(['매칭완료']);
    await h().expectLedgerConsistent();
  });
});
