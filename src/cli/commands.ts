import { parseArgs } from 'node:util';
import { type Config, type Env, parseConfig, readEnvFile, withDevSecrets } from '../config.js';
import { connect, type Db } from '../db/connect.js';
import { migrateToLatest } from '../db/migrations.js';
import { systemClock, systemRandom } from '../deps.js';
import { DomainError } from '../domain/errors.js';
import { isValidUsername } from '../domain/input.js';
import { signUserToken } from '../http/auth.js';
import { verifyLedger } from '../ledger/verify.js';
import { expireDueOrders } from '../orders/expiry.js';
import { payactionClientFor } from '../payaction/client.js';
import { buildSandbox } from '../payaction/sandbox/sandbox.js';
import { closeOnSignals, createLogger, SANDBOX_RETRY_DELAYS_MS, startServer } from '../server.js';
import { createUser } from '../users/users.service.js';
import { printWelcome } from '../welcome.js';

export class UsageError extends Error {}

export interface Command {
  usage: string;
  summary: string;
  run(args: string[]): Promise<void>;
}

function loadConfig() {
  readEnvFile();
  const { env, generated } = withDevSecrets(process.env as Env);
  return { config: parseConfig(env), generated };
}

async function withDb<T>(work: (config: Config, db: Db) => Promise<T>): Promise<T> {
  const { config } = loadConfig();
  const db = connect(config.databaseUrl);
  try {
    await migrateToLatest(db);
    return await work(config, db);
  } finally {
    await db.close();
  }
}

const say = (text: string) => process.stdout.write(`${text}\n`);

/** `parseArgs` errors (an unknown option, a missing value) are usage errors: exit 2 with the usage. */
function parseCommandArgs<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'))
      throw new UsageError((err as Error).message);
    throw err;
  }
}

/** Commands without options refuse arguments rather than ignore them (`migrate --dry-run` must not migrate). */
function noArgs(args: string[], command: string): void {
  if (args.length > 0) throw new UsageError(`${command} takes no arguments (got ${args.join(' ')})`);
}

function usernameArg(positionals: string[], command: string): string {
  const username = positionals[0];
  if (!username || !isValidUsername(username)) throw new UsageError(`${command} needs a valid username`);
  return username;
}

export const COMMANDS: Record<string, Command> = {
  serve: {
    usage: 'serve',
    summary: 'run the HTTP service (the default command)',
    async run(args) {
      noArgs(args, 'serve');
      const { config, generated } = loadConfig();
      const server = await startServer(config);
      closeOnSignals(server);
      if (!config.production) await printWelcome(server, generated);
    },
  },
  migrate: {
    usage: 'migrate',
    summary: 'apply pending database migrations and exit',
    async run(args) {
      noArgs(args, 'migrate');
      const { config } = loadConfig();
      const db = connect(config.databaseUrl);
      try {
        const applied = await migrateToLatest(db);
        say(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await db.close();
      }
    },
  },
  user: {
    usage: 'user create <username> [--wallet <address>]',
    summary: 'create a user (a TRON wallet address is checked by its checksum)',
    async run(args) {
      const { positionals, values } = parseCommandArgs(() =>
        parseArgs({ args, allowPositionals: true, options: { wallet: { type: 'string' } } }),
      );
      if (positionals[0] !== 'create') throw new UsageError('user: the only subcommand is "create"');
      const username = usernameArg(positionals.slice(1), 'user create');
      await withDb(async (config, db) => {
        const deps = {
          config,
          db,
          clock: systemClock,
          random: systemRandom,
          payaction: payactionClientFor(config),
        };
        try {
          const user = await createUser(deps, username, values.wallet ?? null);
          say(`created ${user.username}${user.walletAddress ? ` (wallet ${user.walletAddress})` : ''}`);
        } catch (err) {
          if (err instanceof DomainError)
            throw new UsageError(`user create: ${err.code}${err.detail ? ` (${err.detail})` : ''}`);
          throw err;
        }
      });
    },
  },
  token: {
    usage: 'token <username> [--ttl <seconds>]',
    summary: 'print a user JWT for integration tests (default lifetime 3600 s)',
    async run(args) {
      const { positionals, values } = parseCommandArgs(() =>
        parseArgs({ args, allowPositionals: true, options: { ttl: { type: 'string' } } }),
      );
      const username = usernameArg(positionals, 'token');
      const ttlS = values.ttl === undefined ? 3600 : Number(values.ttl);
      if (!Number.isInteger(ttlS) || ttlS <= 0)
        throw new UsageError('--ttl must be a positive number of seconds');
      const { config } = loadConfig();
      say(await signUserToken(config.authJwtSecret, username, ttlS, Date.now()));
    },
  },
  verify: {
    usage: 'verify',
    summary: 'check the ledger invariants for every user; exit 1 on a mismatch, naming it',
    async run(args) {
      noArgs(args, 'verify');
      const report = await withDb((_config, db) => verifyLedger(db));
      for (const b of report.balances) {
        say(`user ${b.username}: balance ${b.balance} but ledger sums to ${b.ledgerSum}`);
      }
      for (const o of report.orders) {
        say(
          `order ${o.orderNumber} (${o.status}, ${o.amount}): ${o.credits} credits totalling ${o.creditedAmount}`,
        );
      }
      say(report.ok ? 'ledger ok' : 'ledger MISMATCH');
      if (!report.ok) process.exitCode = 1;
    },
  },
  expire: {
    usage: 'expire',
    summary: 'expire pending orders past their time once, then exit (exit 1 if an exclude call failed)',
    async run(args) {
      noArgs(args, 'expire');
      const report = await withDb((config, db) =>
        expireDueOrders({
          config,
          db,
          clock: systemClock,
          random: systemRandom,
          payaction: payactionClientFor(config),
        }),
      );
      say(`expired ${report.expired}, exclude failed ${report.excludeFailed}, skipped ${report.skipped}`);
      if (report.excludeFailed > 0) process.exitCode = 1;
    },
  },
  sandbox: {
    usage: 'sandbox',
    summary: 'run the Payaction sandbox alone on SANDBOX_PORT; webhooks go to SANDBOX_WEBHOOK_URL',
    async run(args) {
      noArgs(args, 'sandbox');
      const { config } = loadConfig();
      const { apiKey, mallId, webhookKey, sandboxPort, timeoutMs } = config.payaction;
      const url = process.env.SANDBOX_WEBHOOK_URL || `http://127.0.0.1:${config.port}/webhook`;
      const webhook = { url, webhookKey, mallId, retryDelaysMs: SANDBOX_RETRY_DELAYS_MS, timeoutMs };
      const { app } = buildSandbox({ apiKey, mallId, webhook, logger: createLogger(config.logLevel) });
      const listening = await app.listen({ host: '127.0.0.1', port: sandboxPort });
      say(`payaction sandbox ${listening}  (x-api-key ${apiKey}, x-mall-id ${mallId}; webhooks → ${url})`);
      const stop = () => void app.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
  },
};
