import type { Child } from './child.js';
import { peakRssMiB } from './child.js';
import { type Measured, measureLoad, type RequestSpec } from './load.js';
import { type Cell, markdownTable } from './report.js';
import { depositRequests, type Endpoint, historyRequests, webhookRequests } from './scenarios.js';
import { type FloorServer, type Secrets, startFloorServer } from './service.js';

/** The request shapes the floor server answers: a deposit, a webhook delivery, a page of history. */
export const FLOOR_ENDPOINTS = [
  'deposit-request',
  'webhook',
  'transaction-history',
] as const satisfies Endpoint[];
type FloorEndpoint = (typeof FLOOR_ENDPOINTS)[number];
export const FLOOR_SERVERS: readonly FloorServer[] = ['node:http', 'fastify'];

export interface FloorRow extends Partial<Measured> {
  server: FloorServer;
  endpoint: FloorEndpoint;
  connections: number;
  peakRssMiB?: number;
  failure?: string;
}

/** The service's own request generators: the same headers, tokens and bodies. */
function floorRequests(endpoint: FloorEndpoint, secrets: Secrets): Promise<() => RequestSpec | undefined> {
  const ctx = { secrets, idempotency: false };
  const users = ['bench_user_1'];
  if (endpoint === 'deposit-request') return depositRequests(ctx, users);
  // The floor stores no orders: any number of deliveries can be made up.
  if (endpoint === 'webhook') return Promise.resolve(webhookRequests(ctx, Number.MAX_SAFE_INTEGER));
  return historyRequests(ctx, users);
}

export interface FloorPlan {
  servers: readonly FloorServer[];
  endpoints: readonly FloorEndpoint[];
  connections: number[];
  durationS: number;
  warmupS: number;
  secrets: Secrets;
  /** A Payaction stand-in answering at once. */
  stub: Child;
}

/** Each floor server, started once, under the same load generator as the service. */
export async function measureFloor(plan: FloorPlan, log: (line: string) => void): Promise<FloorRow[]> {
  const rows: FloorRow[] = [];
  for (const server of plan.servers) {
    let child: Child | undefined;
    try {
      child = await startFloorServer(server, plan.secrets, plan.stub.url);
      for (const endpoint of plan.endpoints) {
        for (const connections of plan.connections) {
          log(`[bench] floor ${server} ${endpoint}@${connections} …`);
          const row: FloorRow = { server, endpoint, connections };
          const next = await floorRequests(endpoint, plan.secrets);
          Object.assign(row, await measureLoad(child.pid, { url: child.url, connections, next }, plan));
          if (row.result && row.result.ok === 0) row.failure = 'no 2xx answer';
          rows.push(row);
          log(
            `[bench]   ${row.result?.rps} req/s, ${row.cpuUsPerRequest} µs CPU/req (machine ${row.hostCpuUsPerRequest} at ${row.hostBusyPercent}% busy)`,
          );
        }
      }
      for (const row of rows) if (row.server === server) row.peakRssMiB = peakRssMiB(child.pid);
    } catch (err) {
      rows.push({
        server,
        endpoint: plan.endpoints[0] ?? 'transaction-history',
        connections: plan.connections[0] ?? 0,
        failure: err instanceof Error ? err.message : String(err),
      });
    } finally {
      await child?.stop();
    }
  }
  return rows;
}

/** The service's CPU per answer for the same request and connections, when this run measured it. */
export type ServiceCpu = (endpoint: FloorEndpoint, connections: number) => number | undefined;

export function floorTable(rows: FloorRow[], serviceCpu: ServiceCpu): string {
  const headers = [
    'server',
    'request',
    'conns',
    'req/s',
    'p50 ms',
    'p99 ms',
    'CPU µs/req',
    'host CPU µs/req',
    'host busy %',
    'SQLite service CPU µs/req',
    'service ÷ floor',
    'note',
  ];
  const cells: Cell[][] = rows.map((r) => {
    const service = serviceCpu(r.endpoint, r.connections);
    const ratio =
      service !== undefined && r.cpuUsPerRequest ? `${(service / r.cpuUsPerRequest).toFixed(1)}×` : undefined;
    return [
      r.server,
      r.endpoint,
      r.connections,
      r.result?.rps,
      r.result?.p50Ms,
      r.result?.p99Ms,
      r.cpuUsPerRequest,
      r.hostCpuUsPerRequest,
      r.hostBusyPercent,
      service,
      ratio,
      r.failure ? `FAILED: ${r.failure.split('\n')[0]}` : '',
    ];
  });
  const numeric = headers.map((h) => !['server', 'request', 'note'].includes(h));
  return markdownTable(headers, cells, numeric);
}
