import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from './connect.js';
import { migrateToLatest } from './migrations.js';
import { autocommit, inTransaction } from './tx.js';

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
});
