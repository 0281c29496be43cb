import {
  CompiledQuery,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import type { Db } from '../../src/db/connect.js';

/** Records every query a repository or service function runs, so its plan can be asked for afterwards. */
export class QueryRecorder implements KyselyPlugin {
  readonly queries: CompiledQuery[] = [];
  // Kysely hands plugins every query it builds, subqueries included; only those that ran are kept.
  private readonly built = new Map<string, CompiledQuery>();
  constructor(private readonly db: Db) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.built.set(args.queryId.queryId, this.db.kysely.getExecutor().compileQuery(args.node, args.queryId));
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const query = this.built.get(args.queryId.queryId);
    if (query) this.queries.push(query);
    this.built.delete(args.queryId.queryId);
    return args.result;
  }
}

export interface Plan {
  sql: string;
  parameters: readonly unknown[];
  /** The plan as the database prints it, one line per row or node. */
  lines: string[];
  /** Indexes named in the plan. */
  indexes: string[];
  /** What a reader must look at: full scans and sorts of the orders table. */
  warnings: string[];
}

const explainPrefix = { sqlite: 'explain query plan ', mysql: 'explain ', postgres: 'explain ' } as const;

function sqliteLines(rows: UnknownRow[]): string[] {
  const depth = new Map<unknown, number>();
  return rows.map((r) => {
    const d = (depth.get(r.parent) ?? -1) + 1;
    depth.set(r.id, d);
    return `${'  '.repeat(d)}${String(r.detail)}`;
  });
}

function mysqlLines(rows: UnknownRow[]): string[] {
  return rows.map(
    (r) =>
      `${String(r.table)}: type=${String(r.type)} key=${String(r.key)} rows=${String(r.rows)}` +
      `${r.Extra ? ` extra="${String(r.Extra)}"` : ''}`,
  );
}

/** A sort of fewer rows than this (a user's orders, one status's few pending) costs little. */
const SORT_ROWS_WARN = 1000;

/**
 * How many rows the plan sorts, by the planner's estimate: PostgreSQL's Sort node, MariaDB's rows on
 * the filesorted table; SQLite gives no estimate (Infinity). Undefined when nothing is sorted.
 */
function sortedRows(dialect: Db['dialect'], text: string): number | undefined {
  if (dialect === 'sqlite') return /TEMP B-TREE FOR ORDER BY/.test(text) ? Infinity : undefined;
  const re = dialect === 'mysql' ? /rows=(\d+)[^\n]*filesort/g : /(?:^|\s)Sort\s+\(cost=\S+ rows=(\d+)/gm;
  const counts = [...text.matchAll(re)].map((m) => Number(m[1]));
  return counts.length > 0 ? Math.max(...counts) : undefined;
}

/**
 * SQLite names the columns an index search is constrained by, `(status=? AND id<?)`. A range or
 * owner condition of the query that is not among them is checked on every row the search reads.
 */
function sqliteRowFilters(dialect: Db['dialect'], sql: string, text: string): string[] {
  if (dialect !== 'sqlite') return [];
  const search = /SEARCH orders USING (?:COVERING )?INDEX \w+ \(([^)]*)\)/.exec(text);
  if (!search) return [];
  // Every condition, the subqueries' too (a merged page's ranges sit inside its `in (…)`).
  const where = sql
    .split(/ where /i)
    .slice(1)
    .join(' where ');
  // A search bounded by ids on both sides (a date window's own ids) reads only that window.
  const idWindow = /\b(?:id|rowid)>\? AND (?:id|rowid)<\?/.test(search[1] ?? '');
  return ['created_at', 'user_id'].filter(
    (c) => where.includes(`"${c}"`) && !search[1]?.includes(c) && !(c === 'created_at' && idWindow),
  );
}

function analyse(dialect: Db['dialect'], sql: string, lines: string[]): Pick<Plan, 'indexes' | 'warnings'> {
  const ordered = /order by .* limit/i.test(sql);
  const text = lines.join('\n');
  const indexes = new Set<string>();
  const warnings = new Set<string>();
  const patterns = {
    sqlite: [/USING (?:COVERING )?INDEX (\w+)/g, /USING (INTEGER PRIMARY KEY)/g],
    mysql: [/key=(\w+)/g],
    postgres: [/using (\w+)/gi],
  }[dialect];
  for (const re of patterns)
    for (const m of text.matchAll(re)) if (m[1] && m[1].toLowerCase() !== 'null') indexes.add(m[1]);
  const fullScan =
    dialect === 'sqlite'
      ? /^\s*SCAN (orders|users)\s*$/m.exec(text)
      : dialect === 'mysql'
        ? /^(orders|users): type=ALL/m.exec(text)
        : /Seq Scan on (orders|users)/.exec(text);
  // SQLite's bare `SCAN t` under `order by id desc limit` walks the table newest first, stopping at the LIMIT.
  // MariaDB's `type=index` under ORDER BY … LIMIT walks a whole index in order, checking the WHERE on
  // every row: every row newer than the first match is read when matches are rare.
  const walk = dialect === 'mysql' ? /^orders: type=index key=(\w+)/m.exec(text) : null;
  if (walk && / where /i.test(sql))
    warnings.add(`walks the ${walk[1]} index checking the conditions row by row`);
  if (fullScan && !(dialect === 'sqlite' && ordered && !/TEMP B-TREE/.test(text)))
    warnings.add(`full scan of ${fullScan[1]}`);
  const sorted = sortedRows(dialect, text);
  if (sorted !== undefined && sorted >= SORT_ROWS_WARN)
    warnings.add(
      `${ordered ? 'sorts every matching row before the LIMIT' : 'sorts'}${sorted < Infinity ? ` (~${sorted} rows)` : ''}`,
    );
  for (const column of sqliteRowFilters(dialect, sql, text))
    warnings.add(`filters ${column} row by row: may read far more rows than the page`);
  if (dialect === 'mysql' && /temporary/.test(text)) warnings.add('temporary table');
  return { indexes: [...indexes], warnings: [...warnings] };
}

/** The database's plan for one compiled query, with its parameters bound. */
export async function explain(db: Db, query: CompiledQuery): Promise<Plan> {
  const result = await db.kysely.executeQuery<UnknownRow>(
    CompiledQuery.raw(`${explainPrefix[db.dialect]}${query.sql}`, [...query.parameters]),
  );
  const lines =
    db.dialect === 'sqlite'
      ? sqliteLines(result.rows)
      : db.dialect === 'mysql'
        ? mysqlLines(result.rows)
        : result.rows.map((r) => String(r['QUERY PLAN']));
  return { sql: query.sql, parameters: query.parameters, lines, ...analyse(db.dialect, query.sql, lines) };
}
