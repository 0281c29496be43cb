import SQLite from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArrayRowsSqliteConnection } from './sqlite-rows.js';

describe('ArrayRowsSqliteConnection', () => {
  let database: SQLite.Database;
  let connection: ArrayRowsSqliteConnection;
  const run = (sql: string, ...parameters: unknown[]) =>
    connection.executeQuery<Record<string, unknown>>(CompiledQuery.raw(sql, parameters));

  beforeEach(() => {
    database = new SQLite(':memory:');
    database.exec('create table t (id integer primary key, name text, amount integer, memo text)');
    connection = new ArrayRowsSqliteConnection(database);
  });
  afterEach(() => database.close());

  it('reports the rows a write changed and the id it inserted', async () => {
    const first = await run('insert into t (name, amount) values (?, ?)', '홍길동', 1000);
    const second = await run('insert into t (name, amount) values (?, ?)', '김철수', 2000);
    expect(first).toEqual({ numAffectedRows: 1n, insertId: 1n, rows: [] });
    expect(second.insertId).toBe(2n);
    expect((await run('update t set amount = amount + 1')).numAffectedRows).toBe(2n);
  });

  it('reads the rows better-sqlite3 would, as objects keyed by column name', async () => {
    await run('insert into t (name, amount, memo) values (?, ?, ?), (?, ?, ?)', 'a', 1, null, 'b', 2, 'x');
    const sql = 'select id, name, amount, memo from t order by id';
    const expected = database.prepare(sql).all();
    expect((await run(sql)).rows).toEqual(expected);
    // The same statement again (it is now in array mode), and with other parameters.
    expect((await run(sql)).rows).toEqual(expected);
    expect((await run('select name from t where amount > ?', 1)).rows).toEqual([{ name: 'b' }]);
    expect((await run('select name from t where amount > ?', 5)).rows).toEqual([]);
  });

  it('keys columns whose names need quoting, and keeps the last of two equal names', async () => {
    const { rows } = await run(`select 1 as "a""b", 2 as "x'}; throw 1; //", 3 as n, 4 as n`);
    const plain = database.prepare(`select 1 as "a""b", 2 as "x'}; throw 1; //", 3 as n, 4 as n`).all();
    expect(rows).toEqual(plain);
    expect(rows).toEqual([{ 'a"b': 1, "x'}; throw 1; //": 2, n: 4 }]);
  });

  it('does not stream', async () => {
    await expect(connection.streamQuery().next()).rejects.toThrow('not supported');
  });
});
