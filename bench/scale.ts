/**
 * `npm run bench:scale`: history and admin-list pages (first page and a deep cursor) at 10k, 100k
 * and 1M orders. Each size has its own database, seeded in bulk, and its own service; all of them
 * run at once, and each round measures every page at every size, one size right after the other,
 * so that the host's drift and a start's speed fall on all sizes alike. A row gives the round of
 * median p99. Prints a table and writes bench/results/<ts>-scale.json.
 */
import { loadavg } from 'node:os';
import { connect, type Db, type Dialect } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { SETTLED_STATUSES } from '../src/domain/order.js';
import { encodeCursor } from '../src/http/pagination.js';
import { peakRssMiB } from './lib/child.js';
import { createDatabase, reachable, serverInfo } from './lib/databases.js';
import { type LoadResult, type RequestSpec, runLoad } from './lib/load.js';
import { parseOptions } from './lib/options.js';
import {
  describeMachine,
  machineInfo,
  markdownTable,
  replaceSection,
  round1,
  writeResults,
} from './lib/report.js';
import { analyze, HISTORY_SPACING_MS, type SeedUser, seedOrders, seedUsers } from './lib/seed.js';
import { newSecrets, type Secrets, serviceEntry, startService } from './lib/service.js';
import { mintUserTokens } from './lib/tokens.js';

// Five short rounds rather than one long run: a slow moment of the host spoils a round, and the
// median of five outlasts two of them.
const options = parseOptions(process.argv.slice(2), process.env, {
  durationS: 2,
  quickDurationS: 1,
  warmupS: 1,
  databases: ['sqlite'],
});
const SIZES = (process.env.BENCH_SCALE_SIZES ?? (options.quick ? '1000,10000' : '10000,100000,1000000'))
  .split(',')
  .map(Number);
// 400 users give each one 25 orders at 10k: history pages are full (20 items) at every size, so
// their p99s compare like with like.
const USERS = Number(process.env.BENCH_SCALE_USERS ?? (options.quick ? 40 : 400));
const CONNECTIONS = options.connections?.[0] ?? 32;
const ROUNDS = Number(process.env.BENCH_SCALE_ROUNDS ?? (options.quick ? 1 : 5));
/** ~50 pages deep: history pages of 20, admin pages of 50. */
const HISTORY_DEPTH = 50 * 20;
const ADMIN_DEPTH = 50 * 50;
const SAMPLED_USERS = 100;
const KST_MS = 9 * 3600_000;

interface Measurement {
  database: Dialect;
  size: number;
  page: string;
  /** Rows skipped before the page (average over the users for history). */
  depth: number;
  /** Items on the page a single request got before the load. */
  items: number;
  /** The round of median p99, with the errors and timeouts of every round. */
  result: LoadResult;
  rounds: LoadResult[];
  peakRssMiB?: number;
}

const log = (text: string) => process.stderr.write(`${text}\n`);

/** The id at `offset` of a newest-first list: a page starting after it is `offset + 1` rows deep. */
async function idAt(db: Db, offset: number, userId?: number): Promise<number | undefined> {
  const row = await db.kysely
    .selectFrom('orders')
    .select('id')
    .$if(userId !== undefined, (q) => q.where('user_id', '=', userId as number))
    .$if(userId === undefined, (q) => q.where('status', 'in', [...SETTLED_STATUSES]))
    .orderBy('id', 'desc')
    .limit(1)
    .offset(offset)
    .executeTakeFirst();
  return row ? Number(row.id) : undefined;
}

interface Page {
  name: string;
  depth: number;
  requests: RequestSpec[];
}

interface SizeContext {
  db: Db;
  url: string;
  size: number;
  /** created_at of order 0. */
  baseMs: number;
  users: SeedUser[];
  secrets: Secrets;
  database: Dialect;
}

async function pages({ db, size, baseMs, users, secrets }: SizeContext): Promise<Page[]> {
  const sample = users.slice(0, SAMPLED_USERS);
  const tokens = await mintUserTokens(
    secrets.jwtSecret,
    sample.map((u) => u.username),
  );
  const user = (u: SeedUser, query: string): RequestSpec => ({
    method: 'GET',
    path: `/transaction-history/${u.username}?limit=20${query}`,
    headers: { authorization: `Bearer ${tokens.get(u.username)}` },
  });
  const perUser = Math.floor(size / users.length);
  const userDepth = Math.max(1, Math.min(HISTORY_DEPTH, perUser - 20));
  const deep: RequestSpec[] = [];
  for (const u of sample) {
    const id = await idAt(db, userDepth - 1, u.id);
    if (id !== undefined) deep.push(user(u, `&cursor=${encodeCursor(id)}`));
  }
  const admin = (query: string): RequestSpec => ({
    method: 'GET',
    path: `/admin/transactions?limit=50${query}`,
    headers: { authorization: `Bearer ${secrets.adminToken}` },
  });
  const adminDepth = Math.max(1, Math.min(ADMIN_DEPTH, Math.floor(size * 0.75) - 50));
  const adminCursor = await idAt(db, adminDepth - 1);
  // The KST day of the middle order: a day full of orders at every size.
  const day = new Date(baseMs + Math.floor(size / 2) * HISTORY_SPACING_MS + KST_MS)
    .toISOString()
    .slice(0, 10);
  return [
    { name: 'history first page', depth: 0, requests: sample.map((u) => user(u, '')) },
    { name: 'history deep cursor', depth: userDepth, requests: deep },
    { name: 'admin first page', depth: 0, requests: [admin('')] },
    {
      name: 'admin deep cursor',
      depth: adminDepth,
      requests: adminCursor ? [admin(`&cursor=${encodeCursor(adminCursor)}`)] : [],
    },
    { name: `admin one day (from=to)`, depth: 0, requests: [admin(`&from=${day}&to=${day}`)] },
  ];
}

async function itemsOf(url: string, spec: RequestSpec): Promise<number> {
  const res = await fetch(`${url}${spec.path}`, {
    headers: spec.headers,
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { transactions?: unknown[]; deposits?: unknown[] };
  if (!res.ok) throw new Error(`${spec.path} answered ${res.status}: ${JSON.stringify(body)}`);
  return (body.transactions ?? body.deposits ?? []).length;
}

/**
 * Requests still queued in the service when the load stops would slow the next measurement: wait
 * until /readyz (a database round trip behind them) answers.
 */
async function settle(url: string): Promise<void> {
  await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(120_000) }).then((r) => r.text());
}

/** One size, ready to be measured: its own database and its own running service. */
interface Size {
  ctx: SizeContext;
  pages: Page[];
  /** Items on each page's first request. */
  items: number[];
  /** Each page's measurements, one per round. */
  rounds: LoadResult[][];
  pid: number;
  seedSeconds: number;
  close(): Promise<void>;
}

async function prepareSize(
  database: Dialect,
  size: number,
  secrets: Secrets,
  entry: string[],
): Promise<Size> {
  const target = await createDatabase(database);
  const db = connect(target.url);
  const closers: (() => Promise<void>)[] = [() => target.drop(), () => db.close()];
  // Last opened, first closed.
  const close = async () => {
    for (let c = closers.pop(); c; c = closers.pop()) await c();
  };
  try {
    await migrateToLatest(db);
    const nowMs = Date.now();
    const users = await seedUsers(db, USERS, nowMs);
    // The newest order of every size is now; ids and created_at grow together.
    const baseMs = nowMs - size * HISTORY_SPACING_MS;
    const t0 = performance.now();
    await seedOrders(db, {
      users,
      mix: 'history',
      spacingMs: HISTORY_SPACING_MS,
      nowMs,
      baseMs,
      from: 0,
      count: size,
    });
    // SQLite gathers its statistics when the service opens it (src/db/connect.ts); MariaDB and
    // PostgreSQL keep theirs by themselves.
    if (database !== 'sqlite') await analyze(db);
    const seedSeconds = round1((performance.now() - t0) / 1000);
    log(`[scale] ${database}: ${size} orders seeded in ${seedSeconds} s`);
    const service = await startService({
      entry,
      databaseUrl: target.url,
      dataDir: target.dir,
      payactionUrl: 'http://127.0.0.1:9',
      secrets,
      cpuProfDir: options.cpuProfDir,
    });
    closers.push(async () => {
      await service.stop();
    });
    const ctx: SizeContext = { db, url: service.url, size, baseMs, users, secrets, database };
    const list = await pages(ctx);
    const items: number[] = [];
    for (const page of list) {
      if (page.requests.length === 0) throw new Error(`no data for ${page.name} at ${size}`);
      items.push(await itemsOf(service.url, page.requests[0] as RequestSpec));
    }
    const rounds = list.map((): LoadResult[] => []);
    return { ctx, pages: list, items, rounds, pid: service.pid, seedSeconds, close };
  } catch (err) {
    await close();
    throw err;
  }
}

interface DatabaseRun {
  measurements: Measurement[];
  seeding: { size: number; seconds: number }[];
}

async function runDatabase(database: Dialect, secrets: Secrets, entry: string[]): Promise<DatabaseRun> {
  const sizes: Size[] = [];
  try {
    for (const size of SIZES) sizes.push(await prepareSize(database, size, secrets, entry));
    const pageCount = sizes[0]?.pages.length ?? 0;
    for (let round = 1; round <= ROUNDS; round++) {
      for (let p = 0; p < pageCount; p++) {
        for (const s of sizes) {
          const page = s.pages[p] as Page;
          const result = await measurePage(s.ctx.url, page);
          s.rounds[p]?.push(result);
          log(
            `[scale]   round ${round}, ${s.ctx.size} orders, ${page.name}: ${result.rps} req/s, p99 ${result.p99Ms} ms`,
          );
        }
      }
    }
    const measurements = sizes.flatMap((s) => {
      const peak = peakRssMiB(s.pid);
      return s.pages.map((page, p) => {
        const all = s.rounds[p] ?? [];
        return {
          database,
          size: s.ctx.size,
          page: page.name,
          depth: page.depth,
          items: s.items[p] ?? 0,
          result: medianRound(all),
          rounds: all,
          peakRssMiB: peak,
        };
      });
    });
    return { measurements, seeding: sizes.map((s) => ({ size: s.ctx.size, seconds: s.seedSeconds })) };
  } finally {
    for (const s of sizes) await s.close();
  }
}

async function measurePage(url: string, page: Page): Promise<LoadResult> {
  let i = 0;
  const next = () => page.requests[i++ % page.requests.length];
  const load = { url, connections: CONNECTIONS, next };
  if (options.warmupS > 0) await runLoad({ ...load, durationS: options.warmupS });
  await settle(url);
  const result = await runLoad({ ...load, durationS: options.durationS });
  await settle(url);
  return result;
}

/** The round of median p99 (the lower of the middle two), carrying every round's errors. */
function medianRound(rounds: LoadResult[]): LoadResult {
  const sorted = [...rounds].sort((a, b) => a.p99Ms - b.p99Ms);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as LoadResult;
  const sum = (f: (r: LoadResult) => number) => rounds.reduce((n, r) => n + f(r), 0);
  return {
    ...median,
    non2xx: sum((r) => r.non2xx),
    socketErrors: sum((r) => r.socketErrors),
    timeouts: sum((r) => r.timeouts),
    responses: sum((r) => r.responses),
  };
}

function table(rows: Measurement[]): string {
  const baseP99 = new Map<string, number>();
  for (const r of rows)
    if (!baseP99.has(`${r.database}/${r.page}`)) baseP99.set(`${r.database}/${r.page}`, r.result.p99Ms);
  const cells = rows.map((r) => {
    const base = baseP99.get(`${r.database}/${r.page}`) ?? 0;
    return [
      r.database,
      r.size.toLocaleString('en'),
      r.page,
      r.depth,
      r.items,
      r.result.rps,
      r.result.p50Ms,
      r.result.p99Ms,
      r.rounds.length > 1
        ? `${Math.min(...r.rounds.map((x) => x.p99Ms))}–${Math.max(...r.rounds.map((x) => x.p99Ms))}`
        : undefined,
      base > 0 && r.result.ok > 0 ? `${(r.result.p99Ms / base).toFixed(2)}×` : undefined,
      r.result.non2xx + r.result.socketErrors,
      r.result.ok === 0
        ? 'no answer within the run'
        : r.result.timeouts
          ? `${r.result.timeouts} timeouts`
          : '',
    ];
  });
  const headers = [
    'database',
    'orders',
    'page',
    'depth',
    'items',
    'req/s',
    'p50 ms',
    'p99 ms',
    'p99 of the rounds',
    'p99 vs smallest',
    'errors',
    'note',
  ];
  const textColumns = new Set(['database', 'page', 'note']);
  return markdownTable(
    headers,
    cells,
    headers.map((h) => !textColumns.has(h)),
  );
}

async function main(): Promise<number> {
  const started = new Date();
  const machine = machineInfo();
  const secrets = newSecrets();
  const entry = serviceEntry(options.service);
  const measurements: Measurement[] = [];
  const seeding: Record<string, { size: number; seconds: number }[]> = {};
  const servers: Record<string, Record<string, string>> = {};
  for (const database of options.databases) {
    if (!(await reachable(database))) {
      log(`[scale] ${database} is not reachable: skipped`);
      continue;
    }
    servers[database] = await serverInfo(database);
    const run = await runDatabase(database, secrets, entry);
    measurements.push(...run.measurements);
    seeding[database] = run.seeding;
  }
  machine.loadAverage.end = round1(loadavg()[0] ?? 0);
  const text = table(measurements);
  process.stdout.write(`\n${text}\n\n${describeMachine(machine)}\n`);
  const seconds = Math.round((Date.now() - started.getTime()) / 1000);
  const data = {
    kind: 'scale',
    startedAt: started.toISOString(),
    seconds,
    options: { ...options, sizes: SIZES, users: USERS, connections: CONNECTIONS, rounds: ROUNDS },
    machine,
    databases: servers,
    seeding,
    measurements,
  };
  const file = writeResults('scale', data, options.publish);
  log(`[scale] done in ${seconds} s; figures in ${file}`);
  if (options.publish) {
    const head = `Measured ${started.toISOString().slice(0, 16)}Z by \`npm run bench:scale\` (${CONNECTIONS} connections, ${ROUNDS} rounds of ${options.durationS} s per page and size, ${USERS} users) on ${describeMachine(machine)}.`;
    replaceSection('bench:scale', `${head}\n\n${text}`);
  }
  const broken = measurements.filter(
    (m) => m.result.non2xx + m.result.socketErrors - m.result.timeouts > 0.01 * (m.result.responses + 1),
  );
  return broken.length > 0 || measurements.length === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
