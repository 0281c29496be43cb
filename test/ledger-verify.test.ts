import { type Kysely, sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import type { Database } from '../src/db/schema.js';
import { type VerifyReport, verifyLedger } from '../src/ledger/verify.js';
import { forEachDatabase, type Harness } from './support/harness.js';

/**
 * The ledger check against deliberately corrupted data. A consistent state is built over HTTP;
 * then each case writes what one faulty write would have written, with direct SQL, and holds that
 * the check names exactly that problem. Where a corrupt row would also throw a balance off, the
 * balance is moved with it, so that each case breaks one rule and the report shows only that one;
 * one case leaves the balance alone and is seen from both sides. Each case runs in a transaction
 * that is rolled back, so the next one starts from the consistent state again.
 */
const OK: VerifyReport = { ok: true, balances: [], orders: [] };
const T0 = Date.UTC(2026, 10, 28, 3, 0, 0);

class Rollback extends Error {}

/** Runs `corrupt` and the check in one transaction, then rolls both back. */
async function verifyCorrupted(h: Harness, corrupt: (db: Kysely<Database>) => Promise<void>) {
  let report: VerifyReport | undefined;
  await h.db.kysely
    .transaction()
    .execute(async (trx) => {
      await corrupt(trx);
      report = await verifyLedger({ ...h.db, kysely: trx });
      // Read one id at a time, the check must find the same: no span loses or repeats a row.
      expect(await verifyLedger({ ...h.db, kysely: trx }, { userSpanIds: 1, orderSpanIds: 1 })).toEqual(
        report,
      );
      throw new Rollback();
    })
    .catch((err: unknown) => {
      if (!(err instanceof Rollback)) throw err;
    });
  expect(await verifyLedger(h.db)).toEqual(OK);
  return report;
}

async function orderId(db: Kysely<Database>, orderNumber: string): Promise<number> {
  const row = await db
    .selectFrom('orders')
    .select('id')
    .where('order_number', '=', orderNumber)
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

async function userId(db: Kysely<Database>, username: string): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('username', '=', username)
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

async function addToBalance(db: Kysely<Database>, username: string, amount: number): Promise<void> {
  await sql`UPDATE users SET balance = balance + ${amount} WHERE username = ${username}`.execute(db);
}

async function insertCredit(db: Kysely<Database>, username: string, orderNumber: string, amount: number) {
  const [user, order] = [await userId(db, username), await orderId(db, orderNumber)];
  // An explicit id: the duplicate case runs on a copy of the table that has no id default.
  const { max } = await db
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.max('id').as('max'))
    .executeTakeFirstOrThrow();
  await sql`INSERT INTO ledger_entries (id, user_id, order_id, amount, balance_after, reason, created_at)
    VALUES (${Number(max) + 1}, ${user}, ${order}, ${amount}, ${amount}, 'deposit', ${T0})`.execute(db);
}

/** Lets the ledger hold two credits for one order, as a database that does not enforce the constraint would. */
async function dropCreditUniqueness(h: Harness): Promise<void> {
  const db = h.db.kysely;
  if (h.dialect === 'postgres') {
    await sql`ALTER TABLE ledger_entries DROP CONSTRAINT ledger_order_reason_uq`.execute(db);
  } else if (h.dialect === 'mysql') {
    // The unique index also serves the foreign key on order_id; another index takes that over.
    await sql`ALTER TABLE ledger_entries ADD INDEX ledger_order_idx (order_id), DROP INDEX ledger_order_reason_uq`.execute(
      db,
    );
  } else {
    // SQLite cannot drop a table constraint: the table is copied without it.
    await sql`CREATE TABLE ledger_loose AS SELECT * FROM ledger_entries`.execute(db);
    await sql`DROP TABLE ledger_entries`.execute(db);
    await sql`ALTER TABLE ledger_loose RENAME TO ledger_entries`.execute(db);
  }
}

forEachDatabase('ledger check against corrupted rows', (h) => {
  const orders: Record<'matched' | 'completed' | 'pending' | 'cancelled' | 'negative', string> = {
    matched: '',
    completed: '',
    pending: '',
    cancelled: '',
    negative: '',
  };

  beforeAll(async () => {
    for (const username of ['lv_a', 'lv_b', 'lv_n']) await h().createUser(username);
    const place = async (username: string, amount: number) => {
      const res = await h().deposit(username, '검증', amount);
      expect(res.status).toBe(200);
      return res.body.order_number as string;
    };
    orders.matched = await place('lv_a', 10_000);
    orders.completed = await place('lv_a', 20_000);
    orders.pending = await place('lv_a', 30_000);
    orders.cancelled = await place('lv_a', 40_000);
    orders.negative = await place('lv_n', 50_000);
    for (const n of [orders.matched, orders.completed, orders.negative])
      expect((await h().webhook(n)).status).toBe(200);
    expect((await h().api('POST', `/admin/orders/${orders.completed}/complete`, { body: {} })).status).toBe(
      200,
    );
    expect(
      (await h().api('POST', '/cancel-order', { body: { order_number: orders.cancelled } })).status,
    ).toBe(200);
  });

  it('reports ok on the untouched state', async () => {
    expect(await h().balanceOf('lv_a')).toBe(30_000);
    expect(await verifyLedger(h().db)).toEqual(OK);
  });

  it('reports a balance off by one', async () => {
    const report = await verifyCorrupted(h(), (db) => addToBalance(db, 'lv_a', 1));
    expect(report).toEqual({
      ok: false,
      balances: [{ username: 'lv_a', balance: 30_001, ledgerSum: 30_000 }],
      orders: [],
    });
  });

  it('reports a negative balance', async () => {
    const report = await verifyCorrupted(h(), (db) => addToBalance(db, 'lv_b', -1));
    expect(report).toEqual({
      ok: false,
      balances: [{ username: 'lv_b', balance: -1, ledgerSum: 0 }],
      orders: [],
    });
  });

  it('reports a negative balance even when its ledger rows agree with it', async () => {
    const report = await verifyCorrupted(h(), async (db) => {
      const id = await orderId(db, orders.negative);
      await sql`UPDATE orders SET amount = -amount WHERE id = ${id}`.execute(db);
      await sql`UPDATE ledger_entries SET amount = -amount WHERE order_id = ${id}`.execute(db);
      await addToBalance(db, 'lv_n', -100_000);
    });
    expect(report).toEqual({
      ok: false,
      balances: [{ username: 'lv_n', balance: -50_000, ledgerSum: -50_000 }],
      orders: [],
    });
  });

  it('reports a credit row for a pending order', async () => {
    const report = await verifyCorrupted(h(), async (db) => {
      await insertCredit(db, 'lv_a', orders.pending, 30_000);
      await addToBalance(db, 'lv_a', 30_000);
    });
    expect(report).toEqual({
      ok: false,
      balances: [],
      orders: [
        {
          orderNumber: orders.pending,
          status: 'pending',
          amount: 30_000,
          credits: 1,
          creditedAmount: 30_000,
        },
      ],
    });
  });

  it('reports a credit row for a cancelled order', async () => {
    const report = await verifyCorrupted(h(), async (db) => {
      await insertCredit(db, 'lv_a', orders.cancelled, 40_000);
      await addToBalance(db, 'lv_a', 40_000);
    });
    expect(report).toEqual({
      ok: false,
      balances: [],
      orders: [
        {
          orderNumber: orders.cancelled,
          status: 'cancelled',
          amount: 40_000,
          credits: 1,
          creditedAmount: 40_000,
        },
      ],
    });
  });

  it('reports a matched order whose credit row is missing', async () => {
    const report = await verifyCorrupted(h(), async (db) => {
      await sql`DELETE FROM ledger_entries WHERE order_id = ${await orderId(db, orders.matched)}`.execute(db);
      await addToBalance(db, 'lv_a', -10_000);
    });
    expect(report).toEqual({
      ok: false,
      balances: [],
      orders: [
        { orderNumber: orders.matched, status: 'matched', amount: 10_000, credits: 0, creditedAmount: 0 },
      ],
    });
  });

  it('reports a ledger amount that differs from its order', async () => {
    const report = await verifyCorrupted(h(), async (db) => {
      const id = await orderId(db, orders.completed);
      await sql`UPDATE ledger_entries SET amount = amount + 1 WHERE order_id = ${id}`.execute(db);
      await addToBalance(db, 'lv_a', 1);
    });
    expect(report).toEqual({
      ok: false,
      balances: [],
      orders: [
        {
          orderNumber: orders.completed,
          status: 'completed',
          amount: 20_000,
          credits: 1,
          creditedAmount: 20_001,
        },
      ],
    });
  });

  it('sees a stray credit row from both sides when the balance was left alone', async () => {
    const report = await verifyCorrupted(h(), (db) => insertCredit(db, 'lv_a', orders.pending, 30_000));
    expect(report).toEqual({
      ok: false,
      balances: [{ username: 'lv_a', balance: 30_000, ledgerSum: 60_000 }],
      orders: [
        {
          orderNumber: orders.pending,
          status: 'pending',
          amount: 30_000,
          credits: 1,
          creditedAmount: 30_000,
        },
      ],
    });
  });

  // Last: it changes the schema (DDL commits on MySQL, so it cannot be rolled back there).
  it('reports a duplicated credit row where the database let one in', async () => {
    await dropCreditUniqueness(h());
    const db = h().db.kysely;
    await insertCredit(db, 'lv_a', orders.matched, 10_000);
    await addToBalance(db, 'lv_a', 10_000);
    expect(await verifyLedger(h().db)).toEqual({
      ok: false,
      balances: [],
      orders: [
        {
          orderNumber: orders.matched,
          status: 'matched',
          amount: 10_000,
          credits: 2,
          creditedAmount: 20_000,
        },
      ],
    });
    const { max } = await db
      .selectFrom('ledger_entries')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirstOrThrow();
    await sql`DELETE FROM ledger_entries WHERE id = ${Number(max)}`.execute(db);
    await addToBalance(db, 'lv_a', -10_000);
    expect(await verifyLedger(h().db)).toEqual(OK);
  });
});
