import { availableParallelism } from 'node:os';
import autocannon from 'autocannon';
import { cpuSeconds, cpuSecondsEach, cpuSpent, hostBusySeconds } from './cpu.js';

/** One request of a load run; `undefined` from the generator means the prepared data ran out. */
export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  next: () => RequestSpec | undefined;
  /** Seconds a request may take before it counts as a timeout (a socket error). */
  timeoutS?: number;
}

export interface LoadResult {
  /** Responses received (any status). */
  responses: number;
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  socketErrors: number;
  timeouts: number;
  durationS: number;
  /** 2xx responses per second of the run. */
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  statusCodes: Record<string, number>;
  /** The generator ran out of prepared data and the run stopped early. */
  exhausted: boolean;
}

/** Exact percentiles over every 2xx latency (autocannon's own histogram has 1 ms resolution). */
class Latencies {
  private values = new Float64Array(1 << 16);
  private n = 0;
  add(ms: number): void {
    if (this.n === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.n++] = ms;
  }
  percentiles(): { p50: number; p90: number; p99: number; max: number } {
    const sorted = this.values.slice(0, this.n).sort();
    const at = (q: number) => sorted[Math.min(this.n - 1, Math.floor(q * this.n))] ?? 0;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[this.n - 1] ?? 0 };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Drives `connections` keep-alive connections for `durationS` seconds (or until `next` runs dry). */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies = new Latencies();
  let exhausted = false;
  let ok = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationS,
        timeout: spec.timeoutS ?? 10,
        requests: [
          {
            setupRequest: (request) => {
              const next = spec.next();
              if (!next) {
                if (!exhausted) setImmediate(() => instance.stop());
                exhausted = true;
                return { ...request, method: 'GET', path: '/healthz', headers: {}, body: undefined };
              }
              return { ...request, ...next };
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const { p50, p90, p99, max } = latencies.percentiles();
        const statusCodes: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
          statusCodes[code] = stat.count ?? 0;
        const durationS = (result.finish.getTime() - result.start.getTime()) / 1000;
        resolve({
          responses: result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'],
          ok,
          non2xx: result.non2xx,
          socketErrors: result.errors,
          timeouts: result.timeouts,
          durationS,
          rps: Math.round(ok / durationS),
          p50Ms: round(p50),
          p90Ms: round(p90),
          p99Ms: round(p99),
          maxMs: round(max),
          statusCodes,
          exhausted,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      // After the data ran out the stand-in requests (/healthz) are not counted.
      if (exhausted || statusCode < 200 || statusCode > 299) return;
      ok++;
      latencies.add(responseTime);
    });
  });
}

export interface Measured {
  warmup?: LoadResult;
  result: LoadResult;
  /** The server's CPU time (all its threads, user and system) per answer of the measured run. */
  cpuUsPerRequest?: number;
  /** The same for the database server's processes, where it runs on this machine. */
  dbCpuUsPerRequest?: number;
  /** The whole machine's busy CPU time (every process and the kernel) per answer. */
  hostCpuUsPerRequest?: number;
  /** How busy the machine's cores were during the measured run, 100 = every core all the time. */
  hostBusyPercent?: number;
}

const perAnswer = (seconds: number | undefined, answers: number) =>
  seconds !== undefined && answers > 0 ? Math.round((seconds * 1e6) / answers) : undefined;
const spent = (before: number | undefined, after: number | undefined) =>
  before !== undefined && after !== undefined ? after - before : undefined;

/**
 * Unmeasured warm-up load, then the measured run, with the CPU time process `pid` spent on it; and
 * that of the database server's processes (`databasePids`, listed before and after: PostgreSQL
 * starts one per connection) and of the whole machine, which show what else bounds the run.
 */
export async function measureLoad(
  pid: number,
  load: Omit<LoadSpec, 'durationS'>,
  timing: { durationS: number; warmupS: number },
  databasePids: () => number[] = () => [],
): Promise<Measured> {
  const warmup = timing.warmupS > 0 ? await runLoad({ ...load, durationS: timing.warmupS }) : undefined;
  const databaseBefore = cpuSecondsEach(databasePids());
  const hostBefore = hostBusySeconds();
  const cpuBefore = cpuSeconds(pid);
  const startedMs = performance.now();
  const result = await runLoad({ ...load, durationS: timing.durationS });
  const wallS = (performance.now() - startedMs) / 1000;
  const cpuAfter = cpuSeconds(pid);
  const hostAfter = hostBusySeconds();
  const databaseAfter = cpuSecondsEach(databasePids());
  const host = spent(hostBefore, hostAfter);
  return {
    warmup,
    result,
    cpuUsPerRequest: perAnswer(spent(cpuBefore, cpuAfter), result.responses),
    dbCpuUsPerRequest:
      databaseAfter.size > 0
        ? perAnswer(cpuSpent(databaseBefore, databaseAfter), result.responses)
        : undefined,
    hostCpuUsPerRequest: perAnswer(host, result.responses),
    hostBusyPercent:
      host === undefined ? undefined : Math.round((100 * host) / (wallS * availableParallelism())),
  };
}
