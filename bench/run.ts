/**
 * `npm run bench`: the real service (a child process, restarted for every scenario on a fresh
 * database) under autocannon load, with a Payaction stand-in in its own process. Prints one table
 * and writes bench/results/<timestamp>-bench.json. See docs/performance.md.
 */
import { loadavg } from 'node:os';
import { connect, type Dialect } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations.js';
import type { Child } from './lib/child.js';
import { peakRssMiB } from './lib/child.js';
import { createDatabase, localServerPids, reachable, serverInfo } from './lib/databases.js';
import { FLOOR_ENDPOINTS, FLOOR_SERVERS, type FloorRow, floorTable, measureFloor } from './lib/floor.js';
import { type Measured, measureLoad, type RequestSpec } from './lib/load.js';
import { parseOptions } from './lib/options.js';
import {
  describeMachine,
  machineInfo,
  markdownTable,
  replaceSection,
  round1,
  writeResults,
} from './lib/report.js';
import { prepare, type Scenario, scenarioName, scenarios } from './lib/scenarios.js';
import { newSecrets, type Secrets, serviceEntry, startService, startStub } from './lib/service.js';

/** More than this share of failed requests (non-2xx and socket errors) means the tool, or the service, broke. */
const MAX_ERROR_RATE = 0.01;

const options = parseOptions(process.argv.slice(2), process.env, {
  durationS: 10,
  quickDurationS: 1.5,
  warmupS: 2,
  databases: ['sqlite', 'mysql', 'postgres'],
});
const idempotency = process.env.BENCH_IDEMPOTENCY === '1';

/** A scenario's figures: the load and CPU of `measureLoad`, and what the run checked afterwards. */
interface Row extends Scenario, Partial<Measured> {
  database: Dialect;
  /** Peak RSS (VmHWM) of the service process, which is started anew for every scenario. */
  peakRssMiB?: number;
  /** Webhook scenarios: orders found matched afterwards (each 2xx delivery must have matched one). */
  matched?: number;
  /** Deposit scenarios: orders the stand-in registered meanwhile (each 2xx deposit must have one). */
  registered?: number;
  failure?: string;
}

const log = (text: string) => process.stderr.write(`${text}\n`);

/** Orders registered with the stand-in so far (it is shared by the scenarios of one latency). */
async function registeredAt(stub: Child): Promise<number> {
  const res = await fetch(`${stub.url}/_stats`, { signal: AbortSignal.timeout(5000) });
  return ((await res.json()) as Record<string, number>)['/order'] ?? 0;
}

async function countMatched(url: string): Promise<number> {
  const db = connect(url);
  try {
    const row = await db.kysely
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', 'matched')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  } finally {
    await db.close();
  }
}

/**
 * The tool fails on breakage, never on speed: more than 1% of answers not 2xx or of requests lost to
 * connection errors (timeouts are reported, not failed), a webhook that did not match its order, or
 * one request sent after the load not answered 2xx within PROBE_TIMEOUT_MS.
 */
function failureOf(row: Row): string | undefined {
  const r = row.result;
  if (!r) return 'no result';
  const sent = r.responses + r.socketErrors;
  if (r.non2xx > sent * MAX_ERROR_RATE)
    return `${r.non2xx} of ${sent} answers not 2xx (${JSON.stringify(r.statusCodes)})`;
  const dropped = r.socketErrors - r.timeouts;
  if (dropped > sent * MAX_ERROR_RATE) return `${dropped} of ${sent} requests lost to connection errors`;
  const answered = r.ok + (row.warmup?.ok ?? 0);
  if (row.matched !== undefined && row.matched < answered * (1 - MAX_ERROR_RATE))
    return `only ${row.matched} of ${answered} webhooks matched an order`;
  if (row.registered !== undefined && row.registered < answered * (1 - MAX_ERROR_RATE))
    return `only ${row.registered} of ${answered} deposits were registered with Payaction`;
  return undefined;
}

const PROBE_TIMEOUT_MS = 30_000;

/** One more request of the scenario once the load is over: it must be answered 2xx. */
async function probe(url: string, spec: RequestSpec | undefined): Promise<string | undefined> {
  if (!spec) return undefined;
  try {
    const res = await fetch(`${url}${spec.path}`, {
      method: spec.method,
      headers: spec.headers,
      body: spec.body,
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    const text = await res.text();
    return res.ok ? undefined : `probe answered ${res.status}: ${text.slice(0, 200)}`;
  } catch (err) {
    return `probe failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

interface RunContext {
  secrets: Secrets;
  entry: string[];
}

async function runScenario(
  database: Dialect,
  scenario: Scenario,
  stub: Child,
  ctx: RunContext,
): Promise<Row> {
  const { secrets } = ctx;
  const row: Row = { ...scenario, database };
  const target = await createDatabase(database);
  let service: Child | undefined;
  try {
    const db = connect(target.url);
    const prepared = await (async () => {
      try {
        await migrateToLatest(db);
        return await prepare(scenario.endpoint, {
          db,
          secrets,
          loadS: options.durationS + options.warmupS,
          idempotency,
        });
      } finally {
        await db.close();
      }
    })();
    service = await startService({
      entry: ctx.entry,
      databaseUrl: target.url,
      dataDir: target.dir,
      payactionUrl: stub.url,
      secrets,
      cpuProfDir: options.cpuProfDir,
    });
    const registeredBefore = await registeredAt(stub);
    const load = { url: service.url, connections: scenario.connections, next: prepared.next };
    Object.assign(row, await measureLoad(service.pid, load, options, () => localServerPids(database)));
    const probeFailure = await probe(service.url, prepared.next());
    row.peakRssMiB = peakRssMiB(service.pid);
    if (!service.alive()) throw new Error(`the service exited during the run:\n${service.tail()}`);
    await service.stop();
    if (scenario.endpoint === 'webhook') row.matched = await countMatched(target.url);
    if (scenario.endpoint === 'deposit-request')
      row.registered = (await registeredAt(stub)) - registeredBefore;
    row.failure = probeFailure ?? failureOf(row);
  } catch (err) {
    row.failure = err instanceof Error ? err.message : String(err);
  } finally {
    await service?.stop();
    await target.drop().catch((err: unknown) => log(`could not drop ${target.url}: ${String(err)}`));
  }
  return row;
}

function note(r: Row): string {
  if (r.failure) return `FAILED: ${r.failure.split('\n')[0]}`;
  const notes = [];
  if (r.result?.exhausted) notes.push('orders ran out, stopped early');
  if (r.result?.ok === 0) notes.push('no answer within the run');
  if (r.result?.timeouts) notes.push(`${r.result.timeouts} timeouts`);
  return notes.join('; ');
}

function table(rows: Row[]): string {
  const headers = [
    'endpoint',
    'database',
    'conns',
    'payaction',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'CPU µs/req',
    'DB CPU µs/req',
    'host CPU µs/req',
    'host busy %',
    'peak RSS MiB',
    'note',
  ];
  const cells = rows.map((r) => [
    r.endpoint,
    r.database,
    r.connections,
    `${r.payactionLatencyMs} ms`,
    r.result?.rps,
    r.result?.p50Ms,
    r.result?.p99Ms,
    r.result && r.result.non2xx + r.result.socketErrors,
    r.cpuUsPerRequest,
    r.dbCpuUsPerRequest,
    r.hostCpuUsPerRequest,
    r.hostBusyPercent,
    r.peakRssMiB,
    note(r),
  ]);
  const numeric = headers.map((h) => !['endpoint', 'database', 'note'].includes(h));
  return markdownTable(headers, cells, numeric);
}

async function main(): Promise<number> {
  const started = new Date();
  const machine = machineInfo();
  const secrets = newSecrets();
  const entry = serviceEntry(options.service);
  const connections = options.connections ?? (options.quick ? [32] : [8, 32, 256]);
  const wanted = scenarios(connections, true).filter(
    (s) => options.only.length === 0 || options.only.some((o) => scenarioName(s).includes(o)),
  );
  const databases: Dialect[] = [];
  for (const d of options.databases) {
    if (await reachable(d)) databases.push(d);
    else log(`[bench] ${d} is not reachable: skipped`);
  }
  const serverInfos: Record<string, Record<string, string>> = {};
  for (const d of databases) serverInfos[d] = await serverInfo(d);
  // The floor runs with every full bench, or alone with `--only floor`.
  const floorWanted = options.only.length === 0 || options.only.includes('floor');
  const latencies = [...new Set([...(floorWanted ? [0] : []), ...wanted.map((s) => s.payactionLatencyMs)])];
  const stubs = new Map<number, Child>();
  for (const ms of latencies) stubs.set(ms, await startStub(secrets, ms));
  const rows: Row[] = [];
  let floorRows: FloorRow[] = [];
  try {
    for (const database of databases) {
      for (const scenario of wanted) {
        const stub = stubs.get(scenario.payactionLatencyMs);
        if (!stub) throw new Error('no stand-in for this latency');
        log(`[bench] ${database} ${scenarioName(scenario)} …`);
        const row = await runScenario(database, scenario, stub, { secrets, entry });
        rows.push(row);
        log(
          `[bench]   ${row.failure ? `FAILED: ${row.failure}` : `${row.result?.rps} req/s, p99 ${row.result?.p99Ms} ms, ${row.cpuUsPerRequest} µs CPU/req (database ${row.dbCpuUsPerRequest ?? '–'}, machine ${row.hostCpuUsPerRequest} at ${row.hostBusyPercent}% busy)`}`,
        );
      }
    }
    const stub = stubs.get(0);
    if (floorWanted && stub) {
      floorRows = await measureFloor(
        {
          servers: FLOOR_SERVERS,
          endpoints: FLOOR_ENDPOINTS,
          connections: options.connections ?? [32],
          durationS: options.durationS,
          warmupS: options.warmupS,
          secrets,
          stub,
        },
        log,
      );
    }
  } finally {
    for (const stub of stubs.values()) await stub.stop();
  }
  machine.loadAverage.end = round1(loadavg()[0] ?? 0);
  const text = table(rows);
  const floorText = floorTable(
    floorRows,
    (endpoint, connections) =>
      rows.find(
        (r) =>
          r.database === 'sqlite' &&
          r.endpoint === endpoint &&
          r.connections === connections &&
          r.payactionLatencyMs === 0 &&
          !r.failure,
      )?.cpuUsPerRequest,
  );
  if (rows.length > 0) process.stdout.write(`\n${text}\n\n`);
  if (floorRows.length > 0) process.stdout.write(`${floorText}\n\n`);
  process.stdout.write(`${describeMachine(machine)}\n`);
  const seconds = Math.round((Date.now() - started.getTime()) / 1000);
  const data = {
    kind: 'bench',
    startedAt: started.toISOString(),
    seconds,
    options: { ...options, connections, idempotency },
    machine,
    databases: serverInfos,
    scenarios: rows,
    floor: floorRows,
  };
  const file = writeResults('bench', data, options.publish);
  log(
    `[bench] ${rows.length} scenarios and ${floorRows.length} floor runs in ${seconds} s; figures in ${file}`,
  );
  if (options.publish) {
    const versions = Object.values(serverInfos)
      .map((i) => i.version)
      .join('; ');
    replaceSection(
      'bench:figures',
      `Measured ${started.toISOString().slice(0, 16)}Z by \`npm run bench\` (${options.durationS} s per scenario, ` +
        `${options.warmupS} s warm-up, service restarted per scenario, run ${options.service === 'tsx' ? 'under tsx' : 'compiled'}) on ${describeMachine(machine)}.\n` +
        `Databases: ${versions}.\n\n${text}`,
    );
    if (floorRows.length > 0) {
      replaceSection(
        'bench:floor',
        `Measured in the same run (${options.durationS} s each after ${options.warmupS} s of warm-up, the same load generator).\n\n${floorText}`,
      );
    }
  }
  const failed = [...rows, ...floorRows].filter((r) => r.failure);
  if (failed.length > 0) log(`[bench] ${failed.length} run(s) FAILED`);
  return failed.length > 0 || rows.length + floorRows.length === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
