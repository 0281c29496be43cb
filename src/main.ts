#!/usr/bin/env node
import { ConfigError, type Env, parseConfig, readEnvFile, withDevSecrets } from './config.js';
import { connect } from './db/connect.js';
import { migrateToLatest } from './db/migrations.js';
import { systemClock, systemRandom } from './deps.js';
import { isValidUsername } from './domain/input.js';
import { signUserToken } from './http/auth.js';
import { expireDueOrders } from './orders/expiry.js';
import { payactionClientFor } from './payaction/client.js';
import { buildSandbox } from './payaction/sandbox/sandbox.js';
import { closeOnSignals, createLogger, SANDBOX_RETRY_DELAYS_MS, startServer } from './server.js';
import { printWelcome } from './welcome.js';

const USAGE = `usage: deposit-gateway <command>

commands:
  serve               run the HTTP service (default)
  migrate             apply pending database migrations and exit
  token <username>    print a user JWT (default lifetime 1 h; --ttl <seconds>)
  expire              expire pending orders past their time once, then exit
  sandbox             run the Payaction sandbox alone on SANDBOX_PORT; webhooks go to
                      SANDBOX_WEBHOOK_URL (default http://127.0.0.1:PORT/webhook)`;

function loadConfig() {
  readEnvFile();
  const { env, generated } = withDevSecrets(process.env as Env);
  return { config: parseConfig(env), generated };
}

async function serve(): Promise<void> {
  const { config, generated } = loadConfig();
  const server = await startServer(config);
  closeOnSignals(server);
  if (!config.production) await printWelcome(server, generated);
}

async function migrate(): Promise<void> {
  const { config } = loadConfig();
  const db = connect(config.databaseUrl);
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  } finally {
    await db.close();
  }
}

async function token(args: string[]): Promise<void> {
  const username = args[0];
  if (!username || !isValidUsername(username)) throw new UsageError('token needs a valid username');
  const ttlIndex = args.indexOf('--ttl');
  const ttlS = ttlIndex >= 0 ? Number(args[ttlIndex + 1]) : 3600;
  if (!Number.isInteger(ttlS) || ttlS <= 0)
    throw new UsageError('--ttl must be a positive number of seconds');
  const { config } = loadConfig();
  process.stdout.write(`${await signUserToken(config.authJwtSecret, username, ttlS, Date.now())}\n`);
}

/** One expiry run. In sandbox mode it reaches the sandbox of the running service. */
async function expire(): Promise<void> {
  const { config } = loadConfig();
  const db = connect(config.databaseUrl);
  try {
    await migrateToLatest(db);
    const deps = {
      config,
      db,
      clock: systemClock,
      random: systemRandom,
      payaction: payactionClientFor(config),
    };
    const report = await expireDueOrders(deps);
    process.stdout.write(
      `expired ${report.expired}, exclude failed ${report.excludeFailed}, skipped ${report.skipped}\n`,
    );
    if (report.excludeFailed > 0) process.exitCode = 1;
  } finally {
    await db.close();
  }
}

/** The sandbox on its own, for a service running elsewhere (or several). */
async function sandbox(): Promise<void> {
  const { config } = loadConfig();
  const { apiKey, mallId, webhookKey, sandboxPort, timeoutMs } = config.payaction;
  const target = {
    url: process.env.SANDBOX_WEBHOOK_URL || `http://127.0.0.1:${config.port}/webhook`,
    webhookKey,
    mallId,
    retryDelaysMs: SANDBOX_RETRY_DELAYS_MS,
    timeoutMs,
  };
  const { app } = buildSandbox({ apiKey, mallId, webhook: target, logger: createLogger(config.logLevel) });
  const url = await app.listen({ host: '127.0.0.1', port: sandboxPort });
  process.stdout.write(
    `payaction sandbox ${url}  (x-api-key ${apiKey}, x-mall-id ${mallId}; webhooks → ${target.url})\n`,
  );
  const stop = () => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...args] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === 'serve') return serve();
  if (command === 'migrate') return migrate();
  if (command === 'token') return token(args);
  if (command === 'expire') return expire();
  if (command === 'sandbox') return sandbox();
  throw new UsageError(`unknown command: ${command}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
  } else {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
