import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { decodeJwt, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CliEnv,
  type CliResult,
  exitOf,
  runCli,
  spawnCli,
  stopChild,
  waitForOutput,
} from './support/cli-process.js';

/**
 * The command line as an operator uses it: real processes, their exit codes and output, one SQLite
 * file shared by the commands in order. No PAYACTION_API_KEY, so the commands run in sandbox mode.
 *
 * The three groups below are independent (each has its own data directory) and run side by side
 * to keep the file short; inside the database group the tests run in order. The database group
 * comes first so that its tests are not queued behind the many short usage tests (vitest runs at
 * most `maxConcurrency` tests at once, in the order they are declared).
 */
const COMMANDS = ['serve', 'migrate', 'user', 'token', 'verify', 'sandbox', 'expire'] as const;
const TRON = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'; // USDT's contract address, a valid Base58Check
const TRON_MISTYPED = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u'; // last character changed: checksum fails

// Generous: each process spends seconds loading TypeScript, and the groups share the machine.
const PROCESS_TEST_TIMEOUT_MS = 50_000;

const root = mkdtempSync(join(tmpdir(), 'dg-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function envFor(dir: string, extra: CliEnv = {}): CliEnv {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'development',
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`,
    ...extra,
  };
}

const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

describe.concurrent('a database through the CLI', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  const dir = join(root, 'db');
  const env = envFor(dir);
  const dbFile = join(dir, 'cli.db');

  it.sequential('migrate applies the migrations, then finds the database up to date', async () => {
    const first = await runCli(['migrate'], env);
    expect(first.code, show(first)).toBe(0);
    expect(first.stdout).toMatch(/^applied: \S+/);
    expect(existsSync(dbFile)).toBe(true);

    const second = await runCli(['migrate'], env);
    expect(second.code, show(second)).toBe(0);
    expect(second.stdout.trim()).toBe('database is up to date');
  });

  it.sequential('user create makes a user once; the same name again fails with user_exists', async () => {
    const created = await runCli(['user', 'create', 'alice'], env);
    expect(created.code, show(created)).toBe(0);
    expect(created.stdout).toMatch(/\balice\b/);

    const again = await runCli(['user', 'create', 'alice'], env);
    expect(again.code, show(again)).not.toBe(0);
    expect(again.stderr).toContain('user_exists');
  });

  it.sequential('user create --wallet accepts a valid TRON address and refuses a mistyped one', async () => {
    const [bob, carol] = await Promise.all([
      runCli(['user', 'create', 'bob', '--wallet', TRON], env),
      runCli(['user', 'create', 'carol', '--wallet', TRON_MISTYPED], env),
    ]);
    expect(bob.code, show(bob)).toBe(0);
    expect(bob.stdout).toMatch(/\bbob\b/);
    expect(carol.code, show(carol)).not.toBe(0);
    expect(carol.stderr).toContain('wallet');

    const db = new Database(dbFile, { readonly: true });
    try {
      const rows = db.prepare('SELECT username, wallet_address FROM users ORDER BY username').all();
      expect(rows).toEqual([
        { username: 'alice', wallet_address: null },
        { username: 'bob', wallet_address: TRON },
      ]);
    } finally {
      db.close();
    }
  });

  it.sequential('token prints a JWT for the user, signed with AUTH_JWT_SECRET, living --ttl seconds', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await runCli(['token', 'alice', '--ttl', '120'], env);
    const after = Math.ceil(Date.now() / 1000);
    expect(r.code, show(r)).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    const claims = decodeJwt(token);
    expect(claims.sub).toBe('alice');
    expect(claims.exp).toBeGreaterThanOrEqual(before + 120);
    expect(claims.exp).toBeLessThanOrEqual(after + 120);

    const secrets = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as Record<string, string>;
    const secret = secrets.AUTH_JWT_SECRET ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret));
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.sub).toBe('alice');
  });

  it.sequential('verify passes and expire finds nothing on a consistent database', async () => {
    const [verify, expire] = await Promise.all([runCli(['verify'], env), runCli(['expire'], env)]);
    expect(verify.code, show(verify)).toBe(0);
    expect(verify.stdout.trim()).toBe('ledger ok');
    expect(expire.code, show(expire)).toBe(0);
    expect(expire.stdout).toMatch(/^expired 0, exclude failed 0\b/);
  });

  it.sequential('verify exits 1 naming the user whose balance disagrees with the ledger', async () => {
    const db = new Database(dbFile);
    try {
      const changed = db.prepare("UPDATE users SET balance = balance + 1 WHERE username = 'alice'").run();
      expect(changed.changes).toBe(1);
    } finally {
      db.close();
    }
    const r = await runCli(['verify'], env);
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(/^user alice: balance 1 but ledger sums to 0$/m);
    expect(r.stdout).not.toMatch(/\bbob\b/);
    expect(r.stdout).toContain('ledger MISMATCH');
  });
});

describe.concurrent('sandbox', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('answers POST /order with the sandbox credentials, 401 without them, and exits 0 on SIGTERM', async () => {
    // SANDBOX_PORT=0: the system picks a free port and the command prints the address it got.
    const child = spawnCli(
      ['sandbox'],
      envFor(join(root, 'sandbox'), { SANDBOX_PORT: '0', LOG_LEVEL: 'warn' }),
    );
    try {
      const {
        groups: [url],
      } = await waitForOutput(child, [/^payaction sandbox (http:\/\/\S+)/m], 30_000);
      const order = {
        order_number: '260101CLITEST0000001',
        order_amount: 50000,
        order_date: '2026-01-01T09:00:00+09:00',
        billing_name: '홍길동',
        orderer_name: '홍길동',
      };
      const post = (headers: Record<string, string>) =>
        fetch(`${url}/order`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(order),
        });

      const ok = await post({ 'x-api-key': 'sandbox-api-key', 'x-mall-id': 'sandbox-mall' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ status: 'success' });

      const anonymous = await post({});
      expect(anonymous.status).toBe(401);
      const wrongKey = await post({ 'x-api-key': 'not-the-key', 'x-mall-id': 'sandbox-mall' });
      expect(wrongKey.status).toBe(401);

      const exited = exitOf(child, 10_000);
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
    } finally {
      await stopChild(child);
    }
  });
});

describe.concurrent('usage', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  // Nothing here may touch a database: the directory must not even be created.
  const env = envFor(join(root, 'usage-never-created'));

  it('--help exits 0 and lists every command', async () => {
    const r = await runCli(['--help'], env);
    expect(r.code, show(r)).toBe(0);
    for (const name of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(r.stderr).toBe('');
  });

  it.each(COMMANDS)('%s --help exits 0 and prints its usage', async (name) => {
    const r = await runCli([name, '--help'], env);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: deposit-gateway ${name}\\b`));
    expect(r.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(3); // usage, blank, summary
  });

  it('an unknown command exits 2 with the usage on stderr', async () => {
    const r = await runCli(['frobnicate'], env);
    expect(r.code, show(r)).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('unknown command: frobnicate');
    expect(r.stderr).toContain('usage: deposit-gateway <command>');
  });

  it('a mistyped option or an unexpected argument exits 2 with the usage, and does nothing', async () => {
    const [option, extra] = await Promise.all([
      runCli(['token', 'alice', '--tll', '120'], env),
      runCli(['migrate', '--dry-run'], env),
    ]);
    for (const r of [option, extra]) {
      expect(r.code, show(r)).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('usage: deposit-gateway <command>');
      expect(r.stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace
    }
    expect(option.stderr).toContain("'--tll'");
    expect(extra.stderr).toContain('migrate takes no arguments');
    expect(existsSync(env.DATA_DIR ?? '')).toBe(false);
  });
});
