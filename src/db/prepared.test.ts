import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from './connect.js';
import { migrateToLatest } from './migrations.js';
import { prepared, preparedShapes } from './prepared.js';

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
