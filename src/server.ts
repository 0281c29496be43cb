import type { Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type DestinationStream, type Logger, pino } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { connect } from './db/connect.js';
import { migrateToLatest } from './db/migrations.js';
import { type Deps, systemClock, systemRandom } from './deps.js';
import { MemoryRateLimiter, type RateLimiter } from './http/rate-limit.js';
import type { App } from './http/types.js';
import { startLedgerCheckJob } from './ops/ledger-check.js';
import { metricsFor } from './ops/ops.routes.js';
import { startExpiryJob } from './orders/expiry.js';
import { payactionClientFor } from './payaction/client.js';
import { instrumented } from './payaction/instrumented.js';
import { buildSandbox, type Sandbox } from './payaction/sandbox/sandbox.js';
import type { WebhookTarget } from './payaction/sandbox/webhook-sender.js';
import { startSpoolReplayer } from './webhook/intake.js';
import { WebhookSpool } from './webhook/spool.js';

const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  app: App;
  deps: Deps;
  url: string;
  sandbox?: { url: string; sandbox: Sandbox };
  close(): Promise<void>;
}

/**
 * The service's logger: JSON lines, or readable lines with `pretty` (development on a terminal).
 * `destination` defaults to stdout. Secret-bearing headers are redacted either way.
 */
export function createLogger(level: string, destination?: DestinationStream, pretty = false): Logger {
  return pino(
    {
      level,
      ...(pretty && !destination
        ? {
            transport: {
              target: 'pino-pretty',
              options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
            },
          }
        : {}),
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          'req.headers["x-webhook-key"]',
          'req.headers["x-mall-id"]',
        ],
        censor: '[redacted]',
      },
      // Request logs carry no headers by default; these serializers add the useful ones so that
      // redaction is exercised rather than assumed.
      serializers: {
        req: (req: { method: string; url: string; ip?: string; headers: Record<string, unknown> }) => ({
          method: req.method,
          url: req.url,
          ip: req.ip,
          headers: req.headers,
        }),
      },
    },
    destination,
  );
}

/** Webhook resend delays of the embedded sandbox (Payaction's policy: up to 3 resends). */
export const SANDBOX_RETRY_DELAYS_MS = [1000, 2000, 4000];

/**
 * With no Payaction credentials (never in production) the service starts the sandbox on its own
 * port and talks to it over HTTP through the same client as to the real Payaction.
 */
async function startEmbeddedSandbox(
  config: Config,
): Promise<{ sandbox: Sandbox; target: WebhookTarget; url: string }> {
  const target: WebhookTarget = {
    url: '',
    webhookKey: config.payaction.webhookKey,
    mallId: config.payaction.mallId,
    retryDelaysMs: SANDBOX_RETRY_DELAYS_MS,
    timeoutMs: config.payaction.timeoutMs,
  };
  const sandbox = buildSandbox({
    apiKey: config.payaction.apiKey,
    mallId: config.payaction.mallId,
    webhook: target,
  });
  const url = await sandbox.app.listen({ host: '127.0.0.1', port: config.payaction.sandboxPort });
  return { sandbox, target, url };
}

/**
 * Node's `server.close()` closes the connections that are idle at that moment only: a keep-alive
 * connection whose request is still running stays open after its response until the keep-alive
 * timeout (72 s), which held the shutdown past its grace period and made it exit 1. The returned
 * function, called when shutting down, makes every response still to be sent carry
 * `Connection: close`, so each of those connections ends with its response.
 */
function closeConnectionsAfterResponses(server: Server): () => void {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };
  server.on('request', (_req, res: ServerResponse) => {
    if (draining) return closeAfter(res);
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  return () => {
    draining = true;
    for (const res of inFlight) closeAfter(res);
  };
}

/** Migrations run on a connection of their own without the query bound: building an index may take long. */
async function migrate(config: Config): Promise<void> {
  const db = connect(config.databaseUrl);
  try {
    await migrateToLatest(db);
  } finally {
    await db.close();
  }
}

/** Connects, migrates, builds the app and listens. The only place that opens a port for the API. */
export async function startServer(config: Config): Promise<RunningServer> {
  await migrate(config);
  const db = connect(config.databaseUrl, {
    queryTimeoutMs: config.dbQueryTimeoutMs,
    poolSize: config.dbPoolSize,
  });
  const embedded = config.payaction.sandbox ? await startEmbeddedSandbox(config) : undefined;
  const metrics = metricsFor({ db });
  const payaction = instrumented(payactionClientFor(config, embedded?.url), metrics);
  const log = createLogger(config.logLevel, undefined, !config.production && process.stdout.isTTY === true);
  const spool = new WebhookSpool(join(config.dataDir, 'webhook-spool'));
  const deps: Deps = { config, db, clock: systemClock, random: systemRandom, payaction, log, metrics, spool };
  // The Redis client is loaded only when limits are shared through it.
  const limiter: RateLimiter = config.redisUrl
    ? await (await import('./http/redis-rate-limit.js')).connectSharedRateLimiter(config.redisUrl, {
        log,
        onFallback: (active) => metrics.rateLimitFallback(active),
      })
    : new MemoryRateLimiter();
  const app = await buildApp(deps, { logger: log, sandboxUrl: embedded?.url, limiter });
  const drain = closeConnectionsAfterResponses(app.server);
  const url = await app.listen({ host: config.host, port: config.port });
  const stopJobs = [
    startSpoolReplayer(deps),
    config.expiryIntervalSeconds > 0 ? startExpiryJob(deps, config.expiryIntervalSeconds * 1000) : undefined,
    config.ledgerCheckIntervalSeconds > 0
      ? startLedgerCheckJob(deps, config.ledgerCheckIntervalSeconds * 1000)
      : undefined,
  ];
  if (embedded) embedded.target.url = `http://127.0.0.1:${new URL(url).port}/webhook`;
  return {
    app,
    deps,
    url,
    sandbox: embedded && { url: embedded.url, sandbox: embedded.sandbox },
    close: async () => {
      for (const stop of stopJobs) stop?.();
      drain();
      await app.close();
      await embedded?.sandbox.app.close();
      await limiter.close();
      await db.close();
    },
  };
}

/** Stops accepting on SIGTERM/SIGINT, lets requests in flight finish, closes the database, exits. */
export function closeOnSignals(server: RunningServer): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    server.app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      server.app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    timer.unref();
    server.close().then(
      () => process.exit(0),
      (err) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
