import type SQLite from 'better-sqlite3';
import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';

type Row = Record<string, unknown>;

/**
 * Kysely's connection to better-sqlite3, reading rows as arrays and making the objects here.
 * better-sqlite3 builds each row object through V8's generic property API; objects built in
 * JavaScript with the same keys in the same order share one shape, which costs about a third less
 * for a page of history and more for the admin list's wide rows.
 */
export class ArrayRowsSqliteConnection implements DatabaseConnection {
  private readonly rowMakers = new WeakMap<SQLite.Statement, (values: unknown[]) => Row>();

  constructor(private readonly database: SQLite.Database) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.database.prepare(query.sql);
    const parameters = query.parameters as unknown[];
    if (statement.reader) return Promise.resolve({ rows: this.read(statement, parameters) as R[] });
    const { changes, lastInsertRowid } = statement.run(parameters);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  }

  // Nothing in the service streams; Kysely's own SQLite connection streams selects only, one row at a time.
  // biome-ignore lint/correctness/useYield: refuses before the first row
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries is not supported');
  }

  private read(statement: SQLite.Statement, parameters: unknown[]): Row[] {
    let toRow = this.rowMakers.get(statement);
    if (!toRow) {
      // Statements are cached (connect.ts) and used only through this connection, so the mode sticks.
      statement.raw(true);
      toRow = rowMaker(statement.columns().map((c) => c.name));
      this.rowMakers.set(statement, toRow);
    }
    return (statement.all(parameters) as unknown[][]).map(toRow);
  }
}

/**
 * One object literal per statement: a single function filling rows of every statement's columns
 * would see so many shapes that its property stores go generic, which is slower than what it replaces.
 * The names are the statement's own column names, quoted as JSON string literals.
 */
function rowMaker(names: string[]): (values: unknown[]) => Row {
  const fields = names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ');
  return new Function('v', `return { ${fields} };`) as (values: unknown[]) => Row;
}
