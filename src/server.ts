import type { FastifyServerOptions } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { connect } from './db/connect.js';
import { migrateToLatest } from './db/migrations.js';
import { type Deps, systemClock, systemRandom } from './deps.js';
import type { App } from './http/types.js';
import { HttpPayactionClient } from './payaction/client.js';

const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  app: App;
  deps: Deps;
  url: string;
  close(): Promise<void>;
}

export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-webhook-key"]'],
      censor: '[redacted]',
    },
  };
}

/** Connects, migrates, builds the app and listens. The only place that opens a port for the API. */
export async function startServer(config: Config): Promise<RunningServer> {
  const db = connect(config.databaseUrl);
  await migrateToLatest(db);
  const payaction = new HttpPayactionClient({
    baseUrl: config.payaction.baseUrl,
    apiKey: config.payaction.apiKey,
    mallId: config.payaction.mallId,
    timeoutMs: config.payaction.timeoutMs,
    attemptsMax: config.payaction.attemptsMax,
  });
  const deps: Deps = { config, db, clock: systemClock, random: systemRandom, payaction };
  const app = await buildApp(deps, { logger: loggerOptions(config) });
  const url = await app.listen({ host: config.host, port: config.port });
  return {
    app,
    deps,
    url,
    close: async () => {
      await app.close();
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
