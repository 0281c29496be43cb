import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { connect } from './connect.js';
import { migrateToLatest } from './migrations.js';
import { prepared } from './prepared.js';
import { autocommit, inTransaction, type Tx } from './tx.js';

describe('SQLite group commit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-gc-'));
  const db = connect(`sqlite:${join(dir, 'gc.db')}`);
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insertUser = (username: string) =>
    inTransaction(db, async (trx) => {
      await trx.insertInto('users').values({ username, created_at: 0, updated_at: 0 }).execute();
      if (username.startsWith('fail')) throw new Error(`refused ${username}`);
      return username;
    });

  it('shares commits between concurrent transactions, each failing alone', async () => {
    await migrateToLatest(db);
    const before = { ...(db.groupCommit?.stats ?? { commits: 0, units: 0 }) };
    const names = Array.from({ length: 40 }, (_, i) => (i % 10 === 3 ? `fail${i}` : `ok${i}`));
    const results = await Promise.allSettled(names.map(insertUser));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(36);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(4);
    const stored = await db.kysely.selectFrom('users').select('username').execute();
    expect(stored.map((r) => r.username).sort()).toEqual(names.filter((n) => n.startsWith('ok')).sort());
    const stats = db.groupCommit?.stats ?? { commits: 0, units: 0 };
    expect(stats.units - before.units).toBe(40);
    expect(stats.commits - before.commits).toBeLessThan(10);
  });

  it('lets a failed single statement fail alone, without a savepoint', async () => {
    const insert = (username: string) =>
      autocommit(db, (exec) =>
        exec.insertInto('users').values({ username, created_at: 0, updated_at: 0 }).execute(),
      );
    // ok0 exists since the first test: its insert violates the unique name and fails by itself.
    const names = ['single1', 'ok0', 'single2', 'ok1', 'single3'];
    const results = await Promise.allSettled(names.map(insert));
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const stored = await db.kysely
      .selectFrom('users')
      .select('username')
      .where('username', 'like', 'single%')
      .execute();
    expect(stored.map((r) => r.username).sort()).toEqual(['single1', 'single2', 'single3']);
  });

  const insertNamed = prepared((k, p: { username: string }) =>
    k.insertInto('users').values({ username: p.username, created_at: 0, updated_at: 0 }),
  );
  const countNamed = prepared((k, p: { username: string }) =>
    k
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('username', '=', p.username),
  );

  it('runs a unit’s prepared queries on its transaction’s connection, past Kysely’s executor', async () => {
    const seen = await inTransaction(db, async (trx) => {
      const viaKysely = vi.spyOn(trx, 'executeQuery');
      await insertNamed(trx, { username: 'direct1' });
      // The unit sees its own write before the batch commits: the same connection, the same transaction.
      const { rows } = await countNamed(trx, { username: 'direct1' });
      return { calls: viaKysely.mock.calls.length, n: rows[0]?.n };
    });
    expect(seen).toEqual({ calls: 0, n: 1 });
  });

  it('turns a driver’s thrown error into a rejection, as Kysely does', async () => {
    const outcome = await inTransaction(db, async (trx) => {
      let promise: Promise<unknown> | undefined;
      // `ok0` exists since the first test: better-sqlite3 throws the constraint error from its call.
      expect(() => {
        promise = insertNamed(trx, { username: 'ok0' });
      }).not.toThrow();
      return promise?.then(
        () => 'stored',
        (err: Error) => err.message,
      );
    });
    expect(outcome).toMatch(/UNIQUE/);
  });

  it('sends a transaction’s queries through Kysely again once its batch is over', async () => {
    let kept: Tx | undefined;
    await inTransaction(db, async (trx) => {
      kept = trx;
    });
    await expect((async () => countNamed(kept as Tx, { username: 'ok1' }))()).rejects.toThrow(/committed/);
  });

  it('runs a prepared read outside any transaction at once, past Kysely’s executor', async () => {
    const viaKysely = vi.spyOn(db.kysely, 'executeQuery');
    const { rows } = await countNamed(db.kysely, { username: 'direct1' });
    expect({ calls: viaKysely.mock.calls.length, n: rows[0]?.n }).toEqual({ calls: 0, n: 1 });
    viaKysely.mockRestore();
  });

  it('keeps a read outside the batch out of it while the batch is open', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let stored = () => {};
    const written = new Promise<void>((resolve) => {
      stored = resolve;
    });
    const unit = inTransaction(db, async (trx) => {
      await insertNamed(trx, { username: 'undone1' });
      stored();
      await gate;
      throw new Error('undone');
    });
    await written;
    let answered = false;
    const read = countNamed(db.kysely, { username: 'undone1' }).finally(() => {
      answered = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Read inside the open transaction it would have seen the row that is about to be undone.
    expect(answered).toBe(false);
    release();
    await expect(unit).rejects.toThrow('undone');
    expect((await read).rows[0]?.n).toBe(0);
  });
});
