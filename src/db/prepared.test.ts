import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Db } from './connect.js';
import { migrateToLatest } from './migrations.js';
import { inlinedInteger, prepared, preparedShapes } from './prepared.js';
import type { Database } from './schema.js';

describe('prepared queries', () => {
  const db = connect('sqlite::memory:');
  beforeAll(() => migrateToLatest(db));
  afterAll(() => db.close());

  const insert = prepared((k, p: { username: string; at: number }) =>
    k.insertInto('users').values({ username: p.username, created_at: p.at, updated_at: 7 }),
  );
  const byName = prepared((k, p: { username: string }) =>
    k.selectFrom('users').select(['username', 'created_at', 'updated_at']).where('username', '=', p.username),
  );

  it('binds each call’s arguments and keeps the constants of the query', async () => {
    await insert(db.kysely, { username: 'kim', at: 1 });
    await insert(db.kysely, { at: 2, username: 'lee' });
    expect((await byName(db.kysely, { username: 'lee' })).rows).toEqual([
      { username: 'lee', created_at: 2, updated_at: 7 },
    ]);
    expect((await byName(db.kysely, { username: 'kim' })).rows).toEqual([
      { username: 'kim', created_at: 1, updated_at: 7 },
    ]);
  });

  it('runs inside transactions of the same database', async () => {
    await db.kysely.transaction().execute(async (trx) => {
      await insert(trx, { username: 'park', at: 3 });
      expect((await byName(trx, { username: 'park' })).rows).toHaveLength(1);
    });
  });

  it('refuses a query that writes an argument into its text', () => {
    const inlined = prepared((k, p: { username: string }) =>
      k.selectFrom('users').select('id').where(sql.lit(p.username), '=', 'x'),
    );
    expect(() => inlined(db.kysely, { username: 'kim' })).toThrow(/inlined a parameter/);
  });

  it('hands every query to a database with plugins, which may rewrite it', async () => {
    const seen: string[] = [];
    const recording = db.kysely.withPlugin({
      transformQuery: (args) => {
        seen.push(args.node.kind);
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    await byName(recording, { username: 'kim' });
    await byName(recording, { username: 'lee' });
    expect(seen).toEqual(['SelectQueryNode', 'SelectQueryNode']);
    expect((await byName(recording, { username: 'lee' })).rows).toHaveLength(1);
  });

  it('keeps one prepared query per shape, each binding its own conditions', async () => {
    const since = preparedShapes(
      ({ after }: { after: boolean }) =>
        (k, p: { at: number }) =>
          k
            .selectFrom('users')
            .select('username')
            .$if(after, (q) => q.where('created_at', '>', p.at))
            .orderBy('username'),
    );
    expect(since({ after: true })).toBe(since({ after: true }));
    expect(since({ after: true })).not.toBe(since({ after: false }));
    // Shapes that differ only in which of two flags is on, or in a count's digits, stay apart.
    const pair = preparedShapes(
      ({ a, n }: { a: boolean; n: number }) =>
        (k, _p: object) =>
          k
            .selectFrom('users')
            .select('username')
            .limit(a ? n : n + 1),
    );
    expect(pair({ a: true, n: 1 })).not.toBe(pair({ a: false, n: 1 }));
    expect(pair({ a: true, n: 1 })).not.toBe(pair({ a: true, n: 11 }));
    expect(pair({ a: true, n: 11 })).toBe(pair({ a: true, n: 11 }));
    expect((await since({ after: true })(db.kysely, { at: 1 })).rows.map((r) => r.username)).toEqual([
      'lee',
      'park',
    ]);
    expect((await since({ after: false })(db.kysely, { at: 1 })).rows.map((r) => r.username)).toEqual([
      'kim',
      'lee',
      'park',
    ]);
  });
});

describe('inlined integers', () => {
  const statements: string[] = [];
  const kysely = new Kysely<Database>({
    dialect: new SqliteDialect({ database: new SQLite(':memory:') }),
    log: (event) => {
      statements.push(event.query.sql);
    },
  });
  const db: Db = { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
  beforeAll(async () => {
    await migrateToLatest(db);
    for (const [i, username] of ['kim', 'lee', 'park'].entries())
      await kysely.insertInto('users').values({ username, created_at: i, updated_at: i }).execute();
  });
  afterAll(() => db.close());

  const newest = prepared((k, p: { limit: number; before: number }) =>
    k
      .selectFrom('users')
      .select('username')
      .where('created_at', '<', p.before)
      .orderBy('created_at', 'desc')
      .limit(inlinedInteger(p.limit)),
  );

  it('writes each call’s number into the text and binds the rest', async () => {
    statements.length = 0;
    expect((await newest(kysely, { limit: 1, before: 9 })).rows).toEqual([{ username: 'park' }]);
    expect((await newest(kysely, { limit: 2, before: 2 })).rows).toEqual([
      { username: 'lee' },
      { username: 'kim' },
    ]);
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/ limit 1$/);
    expect(statements[1]).toMatch(/ limit 2$/);
    expect(statements.join()).not.toMatch(/limit \?/);
  });

  it('writes the number when the query is built for a database with plugins', async () => {
    const plain = kysely.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => args.result,
    });
    statements.length = 0;
    expect((await newest(plain, { limit: 3, before: 9 })).rows).toHaveLength(3);
    expect(statements[0]).toMatch(/ limit 3$/);
  });

  it('refuses anything but a whole number, before the database sees it', () => {
    statements.length = 0;
    for (const limit of [1.5, Number.NaN, 2 ** 53, '1; drop table users' as unknown as number])
      expect(() => newest(kysely, { limit, before: 9 })).toThrow(/whole number/);
    expect(() => inlinedInteger(0.5)).toThrow(/whole number/);
    expect(statements).toEqual([]);
  });
});
