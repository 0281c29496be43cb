/**
 * `npm run bench:explain`: the plan of every list query the service runs, on each reachable database,
 * written into docs/performance.md between `<!-- explain:<dialect>:start/end -->`. Queries are
 * captured from the service and repository functions themselves (a Kysely plugin records what they
 * compile), then EXPLAINed with their parameters: SQLite `EXPLAIN QUERY PLAN`, MariaDB `EXPLAIN`,
 * PostgreSQL `EXPLAIN` after `ANALYZE`.
 */

import { listAllOrders, listSettled, summary } from '../src/admin/admin.service.js';
import { parseConfig } from '../src/config.js';
import { connect, type Db, type Dialect } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations.js';
import type { Deps } from '../src/deps.js';
import { systemClock, systemRandom } from '../src/deps.js';
import { pendingKey } from '../src/domain/placement.js';
import { countAllPending, findExpiredPending, findOrder } from '../src/orders/orders.repository.js';
import { transactionHistory } from '../src/orders/orders.service.js';
import { lockedUsersNamed, pendingCounts, pendingHolders } from '../src/orders/placement.repository.js';
import { payactionClientFor } from '../src/payaction/client.js';
import { pageUsers } from '../src/users/users.service.js';
import { createDatabase, reachable, serverInfo } from './lib/databases.js';
import { parseOptions } from './lib/options.js';
import { explain, type Plan, QueryRecorder } from './lib/plans.js';
import { replaceSection } from './lib/report.js';
import { analyze, HISTORY_SPACING_MS, type OrderSeed, orderRow, seedOrders, seedUsers } from './lib/seed.js';

const options = parseOptions(process.argv.slice(2), process.env, {
  durationS: 0,
  quickDurationS: 0,
  warmupS: 0,
  databases: ['sqlite', 'mysql', 'postgres'],
});
// Large enough that the planners choose as they would in production (at a few thousand rows
// PostgreSQL prefers hash joins over a sequential scan of users).
const ORDERS = Number(process.env.BENCH_EXPLAIN_ORDERS ?? 100_000);
const USERS = Number(process.env.BENCH_EXPLAIN_USERS ?? 10_000);
const ADMIN = { kind: 'admin', id: 'admin' } as const;
const SECRET = 'explain-secret-explain-secret-explain';

interface Case {
  name: string;
  /** Runs the service's own code; every query it issues is explained. */
  run: (deps: Deps, seed: OrderSeed) => Promise<unknown>;
}

const day = (ms: number) => new Date(ms + 9 * 3600_000).toISOString().slice(0, 10);
const middle = (seed: OrderSeed) => orderRow(Math.floor(ORDERS / 2), seed);
const someUser = (seed: OrderSeed) => seed.users[7] ?? { id: 1, username: 'none' };
/** The newest pending order: its pending_key exists, so the lookup is planned as for a real deposit. */
function newestPending(seed: OrderSeed) {
  for (let i = ORDERS - 1; i >= 0; i--) {
    const row = orderRow(i, seed);
    if (row.status === 'pending') return row;
  }
  return middle(seed);
}

const CASES: Case[] = [
  {
    name: 'history: GET /transaction-history/:username',
    run: (d, s) => transactionHistory(d, ADMIN, someUser(s).username, { limit: 20 }),
  },
  {
    name: 'history, next page (cursor)',
    run: (d, s) => transactionHistory(d, ADMIN, someUser(s).username, { limit: 20, beforeId: ORDERS / 2 }),
  },
  { name: 'admin transactions: GET /admin/transactions', run: (d) => listSettled(d, { limit: 50 }) },
  {
    name: 'admin transactions, next page (cursor)',
    run: (d) => listSettled(d, { limit: 50, beforeId: ORDERS / 2 }),
  },
  { name: 'admin transactions ?status=완료', run: (d) => listSettled(d, { limit: 50, status: 'completed' }) },
  {
    name: 'admin transactions ?username=',
    run: (d, s) => listSettled(d, { limit: 50, username: someUser(s).username }),
  },
  {
    name: 'admin transactions ?from=&to= (one day)',
    run: (d, s) =>
      listSettled(d, {
        limit: 50,
        from: day(Number(middle(s).created_at)),
        to: day(Number(middle(s).created_at)),
      }),
  },
  {
    name: 'admin transactions, every filter',
    run: (d, s) =>
      listSettled(d, {
        limit: 50,
        status: 'matched',
        username: someUser(s).username,
        from: day(Number(middle(s).created_at)),
        to: day(Date.now()),
      }),
  },
  { name: 'admin orders: GET /admin/orders', run: (d) => listAllOrders(d, { limit: 50 }) },
  { name: 'admin orders ?status=대기중', run: (d) => listAllOrders(d, { limit: 50, status: 'pending' }) },
  { name: 'admin users: GET /admin/users', run: (d) => pageUsers(d, { limit: 50 }) },
  { name: 'admin users, next page (cursor)', run: (d) => pageUsers(d, { limit: 50, beforeId: USERS / 2 }) },
  { name: 'admin summary: GET /admin/summary', run: (d) => summary(d) },
  {
    name: 'deposit batch: the users, their pending orders, the holders of the pending keys',
    run: (d, s) =>
      d.db.kysely.transaction().execute(async (trx) => {
        const names = [someUser(s).username, 'none'];
        const newest = newestPending(s);
        const keys = [pendingKey(String(newest.billing_name), Number(newest.amount)), pendingKey('none', 1)];
        const statements = [
          lockedUsersNamed(d.db, names),
          pendingCounts(d.db, names),
          pendingHolders(d.db, keys),
        ];
        // One by one, each as itself (in a trip they travel as one text, which the recorder misses).
        for (const q of statements.flatMap((st) => st.queries)) await trx.executeQuery(q);
      }),
  },
  {
    name: 'webhook: order by order_number',
    run: (d, s) => findOrder(d.db.kysely, String(middle(s).order_number)),
  },
  {
    name: 'expiry scan: pending orders past expires_at',
    run: (d) => findExpiredPending(d.db.kysely, Date.now(), 100),
  },
  { name: 'metrics: count of all pending orders', run: (d) => countAllPending(d.db.kysely) },
];

function depsFor(db: Db): Deps {
  const config = parseConfig({
    ADMIN_API_TOKEN: SECRET,
    AUTH_JWT_SECRET: SECRET,
    PAYACTION_WEBHOOK_KEY: SECRET,
  });
  return { config, db, clock: systemClock, random: systemRandom, payaction: payactionClientFor(config) };
}

/** The order list's 17 selected columns make every statement long; they are the same each time. */
const brief = (sql: string) =>
  sql.replace(/^select (.+?) from ([`"])/, (all, columns: string, quote: string) =>
    columns.length > 80 ? `select <${columns.split(',').length} columns> from ${quote}` : all,
  );

function markdown(dialect: Dialect, version: string, results: { name: string; plans: Plan[] }[]): string {
  const out = [
    `Plans on ${version}, ${ORDERS.toLocaleString('en')} orders over ${USERS.toLocaleString('en')} users${dialect === 'sqlite' ? ', with the statistics the service gathers when it opens the database' : ', after ANALYZE'}.`,
    '',
  ];
  out.push('| query | indexes used | warnings |', '|---|---|---|');
  for (const r of results) {
    const indexes = [...new Set(r.plans.flatMap((p) => p.indexes))].join(', ') || '–';
    const warnings = [...new Set(r.plans.flatMap((p) => p.warnings))].join('; ');
    out.push(`| ${r.name} | ${indexes} | ${warnings ? `⚠ ${warnings}` : ''} |`);
  }
  for (const r of results) {
    out.push('', `#### ${r.name}`, '');
    for (const p of r.plans) out.push('```sql', brief(p.sql), '```', '```text', ...p.lines, '```');
  }
  return out.join('\n');
}

async function explainOn(dialect: Dialect): Promise<{ text: string; warnings: string[] }> {
  const target = await createDatabase(dialect);
  let db = connect(target.url);
  try {
    await migrateToLatest(db);
    const nowMs = Date.now();
    const users = await seedUsers(db, USERS, nowMs);
    // The newest orders are recent: some of the last day's are pending, the rest settled or cancelled.
    // As in bench:scale: 100,000 orders span five weeks, one day holds about 3% of them.
    const spacingMs = HISTORY_SPACING_MS;
    const seed: OrderSeed = {
      users,
      from: 0,
      count: ORDERS,
      mix: 'history',
      baseMs: nowMs - ORDERS * spacingMs,
      spacingMs,
      nowMs,
    };
    await seedOrders(db, seed);
    if (dialect !== 'sqlite') await analyze(db);
    else {
      // Opened again, SQLite gathers its statistics as the service does when it starts.
      await db.close();
      db = connect(target.url);
    }
    const results: { name: string; plans: Plan[] }[] = [];
    for (const c of CASES) {
      const recorder = new QueryRecorder(db);
      const recorded: Db = { ...db, kysely: db.kysely.withPlugin(recorder) };
      await c.run(depsFor(recorded), seed);
      const plans: Plan[] = [];
      for (const q of recorder.queries) if (/^\s*select/i.test(q.sql)) plans.push(await explain(db, q));
      results.push({ name: c.name, plans });
    }
    const version = (await serverInfo(dialect)).version ?? dialect;
    const warnings = results
      .filter((r) => r.plans.some((p) => p.warnings.length > 0))
      .map((r) => `${dialect}: ${r.name}: ${[...new Set(r.plans.flatMap((p) => p.warnings))].join('; ')}`);
    return { text: markdown(dialect, version, results), warnings };
  } finally {
    await db.close();
    await target.drop();
  }
}

async function main(): Promise<void> {
  for (const dialect of options.databases) {
    if (!(await reachable(dialect))) {
      process.stderr.write(`[explain] ${dialect} is not reachable: its section is left as it was\n`);
      continue;
    }
    const { text, warnings } = await explainOn(dialect);
    replaceSection(`explain:${dialect}`, text);
    process.stdout.write(`[explain] ${dialect}: ${CASES.length} queries written to docs/performance.md\n`);
    for (const w of warnings) process.stdout.write(`  ⚠ ${w}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
