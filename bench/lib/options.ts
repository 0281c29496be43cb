import { parseArgs } from 'node:util';
import type { Dialect } from '../../src/db/connect.js';

/** Settings shared by the bench scripts: flags win over environment variables, which win over defaults. */
export interface CommonOptions {
  quick: boolean;
  /** Seconds of measured load per scenario. */
  durationS: number;
  /** Seconds of unmeasured load before each measurement (JIT, pools, caches). */
  warmupS: number;
  databases: Dialect[];
  /** Replace the figures in docs/performance.md and bench/results/latest*.json. */
  publish: boolean;
  /** Start the service with `--cpu-prof` and write its profiles here. */
  cpuProfDir: string | undefined;
  /** Only scenarios whose name contains one of these. */
  only: string[];
  connections: number[] | undefined;
  service: 'compiled' | 'tsx';
}

const DIALECTS: readonly Dialect[] = ['sqlite', 'mysql', 'postgres'];

const list = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function dialects(raw: string | undefined, fallback: Dialect[]): Dialect[] {
  const names = list(raw).map((n) => (n === 'mariadb' ? 'mysql' : n === 'postgresql' ? 'postgres' : n));
  if (names.length === 0) return fallback;
  const unknown = names.filter((n) => !DIALECTS.includes(n as Dialect));
  if (unknown.length > 0)
    throw new Error(`unknown database(s): ${unknown.join(', ')} (sqlite, mysql, postgres)`);
  return DIALECTS.filter((d) => names.includes(d));
}

function positive(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number (got "${raw}")`);
  return n;
}

const truthy = (raw: string | undefined) => raw !== undefined && raw !== '' && raw !== '0' && raw !== 'false';

export interface Defaults {
  durationS: number;
  quickDurationS: number;
  warmupS: number;
  databases: Dialect[];
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, defaults: Defaults): CommonOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      databases: { type: 'string' },
      publish: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      only: { type: 'string' },
      connections: { type: 'string' },
      service: { type: 'string' },
    },
  });
  const quick = values.quick ?? truthy(env.BENCH_QUICK);
  const duration = values.duration ?? env.BENCH_DURATION;
  const warmup = values.warmup ?? env.BENCH_WARMUP;
  const connections = list(values.connections ?? env.BENCH_CONNECTIONS).map(Number);
  if (connections.some((c) => !Number.isInteger(c) || c < 1))
    throw new Error('connections must be whole numbers');
  const service = values.service ?? env.BENCH_SERVICE ?? 'compiled';
  if (service !== 'compiled' && service !== 'tsx') throw new Error('service must be compiled or tsx');
  return {
    service,
    quick,
    durationS: positive(duration, 'duration', quick ? defaults.quickDurationS : defaults.durationS),
    warmupS: positive(warmup, 'warmup', quick ? 0.5 : defaults.warmupS),
    databases: dialects(values.databases ?? env.BENCH_DATABASES, defaults.databases),
    publish: values.publish ?? truthy(env.BENCH_PUBLISH),
    cpuProfDir: values['cpu-prof'] ?? (env.BENCH_CPU_PROF || undefined),
    only: list(values.only ?? env.BENCH_ONLY),
    connections: connections.length > 0 ? connections : undefined,
  };
}
