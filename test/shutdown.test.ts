import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, outputOf, spawnCli, stopChild, waitForOutput } from './support/cli-process.js';

/**
 * Graceful shutdown of the real process: deposit requests waiting on a slow Payaction when the
 * signal arrives are answered and their orders stored as registered; then the process exits 0 and
 * the port is closed.
 */
const PAYACTION_DELAY_MS = 1500;
const EXIT_BOUND_MS = 10_000;
const START_TIMEOUT_MS = 30_000;
const API_KEY = 'k';
const MALL_ID = 'm';
const ADMIN_TOKEN = 'shutdown-test-admin-token-0123456789abcdef';
const ORDER_NUMBER_RE = /^\d{6}[0-9A-Z]{14}$/;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A Payaction that registers every order it is sent, but answers only after PAYACTION_DELAY_MS and
 * not before `signalled()` (plus a moment): on a loaded machine the signal could otherwise come
 * after the answers, and the test would no longer be about requests in flight.
 */
class SlowPayaction {
  readonly received: Array<{ order_number: string; order_amount: number }> = [];
  private release: () => void = () => {};
  private readonly released = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  private readonly server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
    });
    req.on('end', () => {
      const authorised = req.headers['x-api-key'] === API_KEY && req.headers['x-mall-id'] === MALL_ID;
      if (req.method === 'POST' && req.url === '/order' && authorised) {
        this.received.push(JSON.parse(raw) as { order_number: string; order_amount: number });
      }
      void Promise.all([sleep(PAYACTION_DELAY_MS), this.released.then(() => sleep(200))]).then(() => {
        res.writeHead(authorised ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(authorised ? { status: 'success', response: {} } : { status: 'error' }));
      });
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The service has been sent its signal: answers may go out once their delay has passed. */
  signalled(): void {
    this.release();
  }

  close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

interface Answer {
  status: number;
  body: { status?: string; order_number?: string; amount?: number };
}

interface ShutdownRun {
  answers: Answer[];
  /** How many deposits had been answered when the signal was sent (none should have). */
  answeredBeforeSignal: number;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  exitAfterMs: number;
  afterExit: unknown;
  registeredAtPayaction: string[];
  output: string;
}

/** Starts the service, puts `amounts.length` deposits in flight, signals it, and records what happened. */
async function depositsThenSignal(
  dataDir: string,
  signal: 'SIGTERM' | 'SIGINT',
  username: string,
  amounts: number[],
): Promise<ShutdownRun> {
  const payaction = new SlowPayaction();
  await payaction.start();
  const child = spawnCli(['serve'], {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${join(dataDir, 'shutdown.db')}`,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    PAYACTION_API_KEY: API_KEY,
    PAYACTION_MALL_ID: MALL_ID,
    PAYACTION_BASE_URL: payaction.url,
    PAYACTION_ATTEMPTS_MAX: '1',
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    AUTH_JWT_SECRET: 'shutdown-test-jwt-secret-0123456789abcdef',
    PAYACTION_WEBHOOK_KEY: 'shutdown-test-webhook-key-0123456789abcdef',
  });
  const output = outputOf(child);
  try {
    const {
      groups: [url, admin],
    } = await waitForOutput(
      child,
      [/^deposit-gateway\s+(http:\/\/\S+)/m, /^admin token\s+(\S+)/m],
      START_TIMEOUT_MS,
    );
    expect(admin).toBe(ADMIN_TOKEN);
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

    const created = await fetch(`${url}/admin/users`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ username }),
    });
    expect(created.status).toBe(201);

    let answered = 0;
    const deposits = amounts.map((amount) =>
      fetch(`${url}/deposit-request`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ username, billing_name: '홍길동', amount }),
      }).then(async (res): Promise<Answer> => {
        answered += 1;
        return { status: res.status, body: (await res.json()) as Answer['body'] };
      }),
    );
    // Every request is now inside its handler, waiting for Payaction's answer.
    await until(() => payaction.received.length === amounts.length, 10_000, 'the orders to reach Payaction');
    const answeredBeforeSignal = answered;

    const exited = exitOf(child, EXIT_BOUND_MS + 5000);
    const signalledAt = Date.now();
    child.kill(signal);
    payaction.signalled();
    const answers = await Promise.all(deposits);
    const exit = await exited;
    const exitAfterMs = Date.now() - signalledAt;

    const afterExit = await fetch(`${url}/health`).then(
      (res) => ({ status: res.status }),
      (err: unknown) => err,
    );
    return {
      answers,
      answeredBeforeSignal,
      exit,
      exitAfterMs,
      afterExit,
      registeredAtPayaction: payaction.received.map((o) => o.order_number),
      output: output.text(),
    };
  } finally {
    await stopChild(child);
    await payaction.close();
  }
}

interface OrderRow {
  order_number: string;
  amount: number;
  status: string;
  registered_at: number | null;
  username: string;
}

function storedOrders(dataDir: string): OrderRow[] {
  const db = new Database(join(dataDir, 'shutdown.db'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        `SELECT o.order_number, o.amount, o.status, o.registered_at, u.username
           FROM orders o JOIN users u ON u.id = o.user_id ORDER BY o.amount`,
      )
      .all() as OrderRow[];
  } finally {
    db.close();
  }
}

const CASES = [
  { signal: 'SIGTERM', username: 'shutdown_term', amounts: [11_000, 12_000, 13_000, 14_000, 15_000] },
  { signal: 'SIGINT', username: 'shutdown_int', amounts: [21_000, 22_000] },
] as const;

describe.each(CASES)('$signal with $amounts.length deposits in flight', ({ signal, username, amounts }) => {
  const dataDir = mkdtempSync(join(tmpdir(), `dg-shutdown-${signal.toLowerCase()}-`));
  let run: ShutdownRun;

  beforeAll(
    async () => {
      run = await depositsThenSignal(dataDir, signal, username, [...amounts]);
    },
    START_TIMEOUT_MS + EXIT_BOUND_MS + 20_000,
  );

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('answers every deposit in flight with its order', () => {
    expect(run.answeredBeforeSignal).toBe(0); // the signal really arrived while they were running
    expect(run.answers.map((a) => a.status)).toEqual(amounts.map(() => 200));
    for (const [i, a] of run.answers.entries()) {
      expect(a.body).toMatchObject({ status: 'success', amount: amounts[i] });
      expect(a.body.order_number).toMatch(ORDER_NUMBER_RE);
    }
    const numbers = run.answers.map((a) => a.body.order_number);
    expect(new Set(numbers).size).toBe(amounts.length);
    expect([...run.registeredAtPayaction].sort()).toEqual([...numbers].sort());
  });

  it(`exits with code 0 within ${EXIT_BOUND_MS} ms`, () => {
    expect(run.exit, run.output).toEqual({ code: 0, signal: null });
    expect(run.exitAfterMs).toBeLessThan(EXIT_BOUND_MS);
  });

  it('no longer accepts connections once it has exited', () => {
    expect(run.afterExit).toBeInstanceOf(TypeError); // fetch failed
    const cause = (run.afterExit as TypeError).cause as { code?: string } | undefined;
    expect(cause?.code).toBe('ECONNREFUSED');
  });

  it('stored every order as pending and registered', () => {
    const rows = storedOrders(dataDir);
    const byNumber = new Map(run.answers.map((a) => [a.body.order_number, a.body.amount]));
    expect(rows).toHaveLength(amounts.length);
    for (const row of rows) {
      expect(row.username).toBe(username);
      expect(row.status).toBe('pending');
      expect(row.registered_at).not.toBeNull();
      expect(byNumber.get(row.order_number)).toBe(row.amount);
    }
  });
});
