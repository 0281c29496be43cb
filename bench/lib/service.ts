import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Child, startChild } from './child.js';

/** The repository root: the service and the stand-in run from here. */
export const ROOT = new URL('../../', import.meta.url).pathname;

/** Secrets of one bench run, ≥ 32 characters as the service requires. */
export interface Secrets {
  adminToken: string;
  jwtSecret: string;
  webhookKey: string;
  apiKey: string;
  mallId: string;
}

export function newSecrets(): Secrets {
  const secret = () => randomBytes(24).toString('base64url');
  return {
    adminToken: secret(),
    jwtSecret: secret(),
    webhookKey: secret(),
    apiKey: secret(),
    mallId: 'bench-mall',
  };
}

/** The Payaction stand-in as its own process, answering after `latencyMs`. */
export function startStub(secrets: Secrets, latencyMs: number): Promise<Child> {
  return startChild({
    name: `payaction stand-in (${latencyMs} ms)`,
    args: ['--import', 'tsx', 'bench/payaction-stub.ts'],
    cwd: ROOT,
    env: {
      ...process.env,
      STUB_LATENCY_MS: String(latencyMs),
      STUB_API_KEY: secrets.apiKey,
      STUB_MALL_ID: secrets.mallId,
    },
    ready: /^payaction-stub (http:\/\/\S+)$/,
  });
}

/** Which HTTP layer `bench/floor-server.ts` answers with. */
export type FloorServer = 'node:http' | 'fastify';

/**
 * The floor server (no database, no checks), with the node flags and environment `npm start` gives
 * the service, so that the two spend memory alike; its deposits register with the stand-in at
 * `payactionUrl`.
 */
export function startFloorServer(kind: FloorServer, secrets: Secrets, payactionUrl: string): Promise<Child> {
  const start = startCommand();
  return startChild({
    name: `floor server (${kind})`,
    args: [...start.flags, '--import', 'tsx', 'bench/floor-server.ts'],
    cwd: ROOT,
    env: {
      ...process.env,
      ...start.env,
      FLOOR_SERVER: kind,
      FLOOR_PAYACTION_URL: payactionUrl,
      FLOOR_API_KEY: secrets.apiKey,
      FLOOR_MALL_ID: secrets.mallId,
    },
    ready: /^floor-server (http:\/\/\S+)$/,
  });
}

/**
 * How the service runs: `compiled` (default) is src/ compiled by tsc into node_modules/.cache, run by
 * plain node as `npm start` runs dist/; `tsx` is `node --import tsx src/main.ts`, whose module loader
 * thread adds about 60 MiB to the resident set (same speed once loaded).
 */
export type ServiceMode = 'compiled' | 'tsx';

const BUILD_DIR = join(ROOT, 'node_modules', '.cache', 'deposit-gateway-bench');

/** The node arguments that start the service: compiles the current src/ first in `compiled` mode. */
export function serviceEntry(mode: ServiceMode): string[] {
  if (mode === 'tsx') return ['--import', 'tsx', join('src', 'main.ts')];
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const main = join(BUILD_DIR, 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`compiling the service failed:\n${build.stdout}${build.stderr}`);
  if (build.status !== 0)
    process.stderr.write(`[bench] tsc reported errors; running what it emitted:\n${build.stdout}`);
  return [main];
}

export interface ServiceSpec {
  /** From `serviceEntry`. */
  entry: string[];
  databaseUrl: string;
  dataDir: string;
  payactionUrl: string;
  secrets: Secrets;
  /** Write a V8 CPU profile here when the service exits. */
  cpuProfDir?: string;
  env?: Record<string, string>;
}

/** Pending orders a bench user may hold; the deposit scenario spreads its requests over enough users. */
export const MAX_PENDING_PER_USER = 1000;

/** package.json's `start` script: the environment it sets before `node`, and node's flags after it. */
function startCommand(): { env: Record<string, string>; flags: string[] } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const words = (pkg.scripts?.start ?? '').split(/\s+/);
  const node = words.indexOf('node');
  const env: Record<string, string> = {};
  for (const word of words.slice(0, node)) {
    const [, name, value] = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word) ?? [];
    if (name !== undefined && value !== undefined) env[name] = value;
  }
  return { env, flags: words.slice(node + 1).filter((w) => w.startsWith('--')) };
}

/** `node <entry> serve` on a free port of 127.0.0.1, limits off, background jobs off. */
export function startService(spec: ServiceSpec): Promise<Child> {
  mkdirSync(spec.dataDir, { recursive: true });
  const profiling = spec.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', spec.cpuProfDir] : [];
  // The node flags and environment `npm start` runs with (memory budget), then any flags given for
  // an experiment (NODE_OPTIONS would reach tsc too).
  const start = startCommand();
  const nodeArgs = [...start.flags, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  return startChild({
    name: 'service',
    args: [...nodeArgs, ...profiling, ...spec.entry, 'serve'],
    cwd: ROOT,
    env: {
      ...process.env,
      ...start.env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: spec.databaseUrl,
      DATA_DIR: spec.dataDir,
      LOG_LEVEL: 'warn',
      ADMIN_API_TOKEN: spec.secrets.adminToken,
      AUTH_JWT_SECRET: spec.secrets.jwtSecret,
      PAYACTION_WEBHOOK_KEY: spec.secrets.webhookKey,
      PAYACTION_API_KEY: spec.secrets.apiKey,
      PAYACTION_MALL_ID: spec.secrets.mallId,
      PAYACTION_BASE_URL: spec.payactionUrl,
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_IP_PER_MINUTE: '0',
      AUTH_FAILURES_PER_MINUTE: '0',
      MAX_PENDING_PER_USER: String(MAX_PENDING_PER_USER),
      EXPIRY_INTERVAL_SECONDS: '0',
      LEDGER_CHECK_INTERVAL_SECONDS: '0',
      ...spec.env,
    },
    ready: /^deposit-gateway {2}(http:\/\/\S+)$/,
  });
}
