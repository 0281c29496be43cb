import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from './support/redis.js';

/**
 * What a newcomer gets from `npm start` on a fresh clone: SQLite under the data directory, the
 * embedded sandbox and a demo user, and a printed sequence that works when pasted.
 */
const START_TIMEOUT_MS = 30_000;

function startService(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; banner: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no banner within ${START_TIMEOUT_MS} ms:\n${out}`)),
      START_TIMEOUT_MS,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('/users/demo')) {
        clearTimeout(timer);
        resolve({ child, banner: out });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

describe('npm start on a fresh data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dg-start-'));
  let child: ChildProcess | undefined;
  let banner = '';

  beforeAll(async () => {
    ({ child, banner } = await startService(dataDir));
  }, START_TIMEOUT_MS + 5000);

  afterAll(async () => {
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the URLs, the admin token and a working deposit sequence', async () => {
    const api = /deposit-gateway\s+(http:\/\/\S+)/.exec(banner)?.[1];
    const sandbox = /sandbox at (http:\/\/\S+)/.exec(banner)?.[1];
    const token = /TOKEN=(\S+)/.exec(banner)?.[1];
    const admin = /admin token\s+(\S+)/.exec(banner)?.[1];
    expect(api && sandbox && token && admin).toBeTruthy();
    expect(admin?.length).toBeGreaterThanOrEqual(32);

    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const deposit = await fetch(`${api}/deposit-request`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ username: 'demo', billing_name: '홍길동', amount: 50000 }),
    }).then((r) => r.json());
    expect(deposit).toMatchObject({ status: 'success', amount: 50000 });

    const transfer = await fetch(`${sandbox}/_sandbox/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ billing_name: '홍길동', amount: 50000 }),
    }).then((r) => r.json());
    expect(transfer).toEqual({ status: 'success', result: 'matched', order_number: deposit.order_number });

    let balance = 0;
    for (let i = 0; i < 50 && balance === 0; i++) {
      const user = await fetch(`${api}/users/demo`, { headers: auth }).then((r) => r.json());
      balance = user.user.balance;
      if (balance === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(balance).toBe(50000);

    const admin_ = await fetch(`${api}/admin/transactions`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(((await admin_.json()).deposits as unknown[]).length).toBe(1);
  });

  it('exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child?.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('a start with REDIS_URL unreachable', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dg-start-'));
  let child: ChildProcess | undefined;

  afterAll(async () => {
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'answers with limits counted per instance and says so in /metrics',
    async () => {
      const started = await startService(dataDir, { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
      child = started.child;
      const api = /deposit-gateway\s+(http:\/\/\S+)/.exec(started.banner)?.[1];
      const token = /TOKEN=(\S+)/.exec(started.banner)?.[1];
      const admin = /admin token\s+(\S+)/.exec(started.banner)?.[1];
      const user = await fetch(`${api}/users/demo`, { headers: { authorization: `Bearer ${token}` } });
      expect(user.status).toBe(200);

      const metrics = await fetch(`${api}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
      const text = await metrics.text();
      expect(text).toMatch(/^rate_limit_fallback 1$/m);
      expect(text).toMatch(/^rate_limit_fallbacks_total 1$/m);
    },
    START_TIMEOUT_MS + 10_000,
  );
});
