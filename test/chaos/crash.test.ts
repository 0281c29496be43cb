import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Child } from '../../bench/lib/child.js';
import { newSecrets, type Secrets } from '../../bench/lib/service.js';
import type { Db } from '../../src/db/connect.js';
import { CREDITED_STATUSES } from '../../src/domain/order.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { type FaultPlan, HttpFaultProxy } from '../support/http-fault-proxy.js';
import { PayactionStub } from '../support/payaction-stub.js';
import {
  type Answer,
  type Caller,
  callerFor,
  compiledEntry,
  killHard,
  maxOf,
  type ServiceEntry,
  sleep,
  spoolDrained,
  spooledFiles,
  startSandbox,
  startServiceProcess,
  storedOrders,
  until,
  withDb,
} from './process.js';
import { chaosSeed, Rng } from './rng.js';
import { report, sized } from './size.js';

/**
 * Crash: the service process runs a mix of deposit requests, matched webhooks for created orders
 * and cancels, and is killed with SIGKILL at a random moment; then it is started again on the same
 * database and the same spool directory. Whatever it acknowledged before dying must still be true
 * afterwards: every acknowledged order exists and is registered with Payaction, every acknowledged
 * webhook is applied, every acknowledged cancel holds, nothing is credited twice, and the ledger
 * invariants hold. Requests that got no answer are sent again after the restart, as a client (or
 * Payaction, for webhooks) would.
 */
const ROUNDS = sized(3, 20);
const WORKERS = sized(6, 12);
const USERS = 12;
// The kill falls somewhere in this stretch of load, so each round dies in a different place.
const LOAD_MS_MIN = 200;
const LOAD_MS_MAX = sized(1200, 2500);
// Spooled deliveries are replayed at start and then every 5 s.
const SPOOL_DRAIN_MS = 15_000;
// Widens the stretch between storing an order and recording its registration, where a kill is
// most telling.
const PAYACTION_LATENCY_MS = 15;
const PROBLEMS_SHOWN_MAX = 20;
const SEED = chaosSeed();

interface DepositBody {
  username: string;
  billing_name: string;
  amount: number;
}

interface AckedDeposit extends DepositBody {
  orderNumber: string;
}

/** Everything the service acknowledged, and what is still to be sent again. */
class Acks {
  readonly deposits = new Map<string, AckedDeposit>();
  readonly orderNumbers: string[] = [];
  /** Acknowledged webhook deliveries: trace id → order number. */
  readonly webhooks = new Map<string, string>();
  readonly tracesByOrder = new Map<string, string[]>();
  readonly cancels = new Set<string>();
  lostDeposits: DepositBody[] = [];
  lostWebhooks: Array<{ orderNumber: string; traceId: string }> = [];
  lostCancels: string[] = [];
  /** Answers no client should ever get (5xx, unknown failures). */
  readonly unexpected: string[] = [];
  readonly answerMs: number[] = [];
  lost = 0;
  seq = 0;
  /** Set just before the kill: from then on a request without an answer is expected. */
  dying = false;

  answered(what: string, answer: Answer, expected: ReadonlyArray<[number, string?]>): boolean {
    if (answer.status === 0) {
      this.lost++;
      if (!this.dying) this.unexpected.push(`${what} → no answer from a live service: ${answer.error}`);
      return false;
    }
    this.answerMs.push(answer.ms);
    const fits = expected.some(
      ([s, code]) => s === answer.status && (code === undefined || code === answer.body.code),
    );
    if (!fits) this.unexpected.push(`${what} → ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.status >= 200 && answer.status < 300;
  }
}

async function deposit(caller: Caller, rec: Acks, body: DepositBody): Promise<void> {
  const answer = await caller.admin('POST', '/deposit-request', body);
  if (answer.status === 0) rec.lostDeposits.push(body);
  const acked = rec.answered(`deposit ${JSON.stringify(body)}`, answer, [[200], [409, 'too_many_pending']]);
  if (!acked) return;
  const orderNumber = String(answer.body.order_number);
  if (!rec.deposits.has(orderNumber)) rec.orderNumbers.push(orderNumber);
  rec.deposits.set(orderNumber, { ...body, orderNumber });
}

async function webhook(caller: Caller, rec: Acks, orderNumber: string, traceId: string): Promise<void> {
  const answer = await caller.webhook(orderNumber, traceId);
  if (answer.status === 0) rec.lostWebhooks.push({ orderNumber, traceId });
  if (!rec.answered(`webhook ${orderNumber} ${traceId}`, answer, [[200]])) return;
  rec.webhooks.set(traceId, orderNumber);
}

async function cancel(caller: Caller, rec: Acks, orderNumber: string): Promise<void> {
  const answer = await caller.admin('POST', '/cancel-order', { order_number: orderNumber });
  if (answer.status === 0) rec.lostCancels.push(orderNumber);
  // 409: a webhook matched the order first.
  if (!rec.answered(`cancel ${orderNumber}`, answer, [[200], [409, 'invalid_state']])) return;
  rec.cancels.add(orderNumber);
}

/** One operation of the mix: half deposits, the rest webhooks (some redelivered) and cancels. */
function oneOperation(caller: Caller, rec: Acks, rng: Rng): Promise<void> {
  const roll = rng.next();
  if (roll < 0.5 || rec.orderNumbers.length === 0) {
    const n = rec.seq++;
    const body = {
      username: `crash_u${n % USERS}`,
      billing_name: `크래시${n}`,
      amount: 1000 + n,
    };
    return deposit(caller, rec, body);
  }
  const orderNumber = rng.pick(rec.orderNumbers);
  if (roll < 0.8) {
    const earlier = rec.tracesByOrder.get(orderNumber) ?? [];
    // Payaction may deliver one event twice, or report one match under two trace ids.
    const traceId = earlier.length > 0 && rng.chance(0.25) ? rng.pick(earlier) : `crash-t${rec.seq++}`;
    if (!earlier.includes(traceId)) rec.tracesByOrder.set(orderNumber, [...earlier, traceId]);
    return webhook(caller, rec, orderNumber, traceId);
  }
  return cancel(caller, rec, orderNumber);
}

/** Sends again what got no answer before the crash. */
async function resendLost(caller: Caller, rec: Acks): Promise<void> {
  const [deposits, webhooks, cancels] = [rec.lostDeposits, rec.lostWebhooks, rec.lostCancels];
  rec.lostDeposits = [];
  rec.lostWebhooks = [];
  rec.lostCancels = [];
  await Promise.all([
    ...deposits.map((body) => deposit(caller, rec, body)),
    ...webhooks.map((w) => webhook(caller, rec, w.orderNumber, w.traceId)),
    ...cancels.map((n) => cancel(caller, rec, n)),
  ]);
}

interface Look {
  problems: string[];
  /** Pending orders never registered with Payaction and never acknowledged: the crash cut them short. */
  orphans: number;
}

/** Compares the database (and the Payaction stand-in) with everything acknowledged so far. */
async function look(db: Db, rec: Acks, stub: PayactionStub): Promise<Look> {
  const orders = await storedOrders(db);
  const registered = new Set(stub.callsTo('/order').map((c) => String(c.body.order_number)));
  const excluded = new Set(stub.callsTo('/order-exclude').map((c) => String(c.body.order_number)));
  const problems: string[] = [];
  for (const d of rec.deposits.values()) {
    const o = orders.get(d.orderNumber);
    if (!o) problems.push(`acknowledged order ${d.orderNumber} is missing`);
    else if (o.username !== d.username || o.amount !== d.amount || o.billingName !== d.billing_name)
      problems.push(`acknowledged order ${d.orderNumber} stored as ${JSON.stringify(o)}`);
    else if (!registered.has(d.orderNumber))
      problems.push(`acknowledged order ${d.orderNumber} (${o.status}) was never registered with Payaction`);
    else if (!o.registered)
      problems.push(`acknowledged order ${d.orderNumber} (${o.status}) not marked registered`);
  }
  for (const [traceId, orderNumber] of rec.webhooks) {
    const o = orders.get(orderNumber);
    if (!o || !CREDITED_STATUSES.includes(o.status) || o.credits !== 1)
      problems.push(`acknowledged webhook ${traceId} for ${orderNumber} unapplied: ${JSON.stringify(o)}`);
  }
  for (const orderNumber of rec.cancels) {
    const o = orders.get(orderNumber);
    const holds = o?.status === 'cancelled' || (o?.status === 'matched' && o.lateMatch);
    if (!holds) problems.push(`acknowledged cancel of ${orderNumber} does not hold: ${JSON.stringify(o)}`);
    if (!excluded.has(orderNumber))
      problems.push(`cancelled order ${orderNumber} was never excluded at Payaction`);
  }
  let orphans = 0;
  for (const o of orders.values()) {
    if (o.credits > 1) problems.push(`order ${o.orderNumber} credited ${o.credits} times`);
    if (o.status === 'pending' && !o.registered && !rec.deposits.has(o.orderNumber)) orphans++;
  }
  const verified = await verifyLedger(db);
  if (!verified.ok) problems.push(`ledger invariants broken: ${JSON.stringify(verified)}`);
  if (db.dialect === 'sqlite') {
    const { rows } = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db.kysely);
    const result = rows.map((r) => r.integrity_check).join('; ');
    if (result !== 'ok') problems.push(`integrity_check: ${result}`);
  }
  return { problems, orphans };
}

function shown(problems: string[]): string[] {
  return problems.length <= PROBLEMS_SHOWN_MAX
    ? problems
    : [...problems.slice(0, PROBLEMS_SHOWN_MAX), `… ${problems.length - PROBLEMS_SHOWN_MAX} more`];
}

let entry: ServiceEntry | undefined;

beforeAll(() => {
  entry = compiledEntry();
}, 180_000);

afterAll(() => entry?.remove());

for (const { dialect, available } of DIALECTS) {
  describe.skipIf(!available)(`crash: SIGKILL under load, restart [${dialect}]`, () => {
    let database: TestDatabase | undefined;
    let stub: PayactionStub | undefined;
    let child: Child | undefined;
    const dataDir = mkdtempSync(join(tmpdir(), `dg-crash-${dialect}-`));
    const secrets: Secrets = newSecrets();

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      stub = await new PayactionStub(secrets.apiKey, secrets.mallId).start();
      stub.delayMs = PAYACTION_LATENCY_MS;
    });

    afterAll(async () => {
      if (child) await killHard(child);
      await stub?.stop();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it(
      `keeps everything it acknowledged across ${ROUNDS} kills`,
      async () => {
        if (!database || !stub || !entry) throw new Error('not set up');
        const { url } = database;
        const rng = new Rng(SEED ^ dialect.length);
        const rec = new Acks();
        const started = Date.now();
        let orphansMax = 0;
        let spooledAtKillMax = 0;
        let restartMsMax = 0;
        for (let round = 0; round <= ROUNDS; round++) {
          const label = `${dialect}, seed ${SEED}, after ${round} kill(s)`;
          const startedAt = Date.now();
          child = await startServiceProcess({
            entry,
            databaseUrl: url,
            dataDir,
            payactionUrl: stub.url,
            secrets,
          });
          restartMsMax = Math.max(restartMsMax, Date.now() - startedAt);
          rec.dying = false;
          const caller = callerFor(child.url, secrets);
          await spoolDrained(dataDir, SPOOL_DRAIN_MS);
          const after = await withDb(url, (db) => look(db, rec, stub as PayactionStub));
          orphansMax = Math.max(orphansMax, after.orphans);
          expect(shown(after.problems), label).toEqual([]);

          if (round === 0) {
            for (let u = 0; u < USERS; u++) {
              const created = await caller.admin('POST', '/admin/users', { username: `crash_u${u}` });
              expect(created.status, JSON.stringify(created)).toBe(201);
            }
          }
          await resendLost(caller, rec);
          if (round === ROUNDS) {
            const final = await withDb(url, (db) => look(db, rec, stub as PayactionStub));
            expect(shown(final.problems), `${label}, after resending`).toEqual([]);
            expect(await child.stop(), child.tail()).toBe(0);
            break;
          }

          const killAfterMs = rng.int(LOAD_MS_MIN, LOAD_MS_MAX);
          let killed = false;
          const worker = async () => {
            while (!killed) await oneOperation(caller, rec, rng);
          };
          const load = Promise.all(Array.from({ length: WORKERS }, worker));
          await new Promise((resolve) => setTimeout(resolve, killAfterMs));
          rec.dying = true;
          await killHard(child);
          killed = true;
          await load;
          spooledAtKillMax = Math.max(spooledAtKillMax, spooledFiles(dataDir));
        }
        expect(shown(rec.unexpected), `unexpected answers (${dialect}, seed ${SEED})`).toEqual([]);
        report(`crash ${dialect}`, {
          seed: SEED,
          rounds: ROUNDS,
          acked_deposits: rec.deposits.size,
          acked_webhooks: rec.webhooks.size,
          acked_cancels: rec.cancels.size,
          unanswered: rec.lost,
          spooled_at_kill_max: spooledAtKillMax,
          unregistered_pending_max: orphansMax,
          restart_ms_max: restartMsMax,
          answer_ms_max: Math.round(maxOf(rec.answerMs)),
          duration_s: Math.round((Date.now() - started) / 1000),
        });
      },
      sized(240_000, 1_800_000),
    );
  });
}

/**
 * The same crash made deterministic: the service dies while its deposit request waits for
 * Payaction's answer to the registration — once after Payaction registered the order, once before
 * it saw it. Asked again with the same body after the restart, the service must answer with that
 * order and have it registered, or nobody's transfer to it could ever be matched. Never asked
 * again, the order must expire like any other.
 */
const CUT_CASES = [
  { when: 'after Payaction registered it', forward: true, billingName: '중단후', amount: 12_345 },
  { when: 'before Payaction saw it', forward: false, billingName: '중단전', amount: 23_456 },
] as const;

for (const { dialect, available } of DIALECTS) {
  describe.skipIf(!available)(`crash: a deposit request cut short [${dialect}]`, () => {
    const secrets: Secrets = newSecrets();
    const plans: FaultPlan[] = [];
    let database: TestDatabase | undefined;
    let standIn: Awaited<ReturnType<typeof startSandbox>> | undefined;
    let proxy: HttpFaultProxy | undefined;
    let child: Child | undefined;
    const dataDir = mkdtempSync(join(tmpdir(), `dg-crash-cut-${dialect}-`));

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      standIn = await startSandbox(secrets);
      proxy = await new HttpFaultProxy(standIn.url, () => plans.shift() ?? { fault: 'pass' }).start();
    });

    afterAll(async () => {
      if (child) await killHard(child);
      await proxy?.stop();
      await standIn?.sandbox.app.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const start = (env: Record<string, string> = {}) =>
      startServiceProcess({
        entry: entry as ServiceEntry,
        databaseUrl: (database as TestDatabase).url,
        dataDir,
        payactionUrl: (proxy as HttpFaultProxy).url,
        secrets,
        // Long enough that the kill, not the client's timeout, ends the wait.
        env: { PAYACTION_TIMEOUT_MS: '30000', ...env },
      });

    /** Kills the service while its deposit request waits for Payaction; returns the order number. */
    async function cutShort(forward: boolean, body: DepositBody): Promise<string> {
      if (!proxy) throw new Error('not set up');
      child = await start();
      const caller = callerFor(child.url, secrets);
      expect((await caller.admin('POST', '/admin/users', { username: body.username })).status).toBe(201);
      const seen = proxy.calls.length;
      plans.push({ fault: 'no_answer', forward });
      const first = caller.admin('POST', '/deposit-request', body);
      await until(() => proxy?.calls[seen]?.forwarded === forward, 10_000, 'the registration to arrive');
      await killHard(child);
      expect((await first).status).toBe(0);
      return String(proxy.calls[seen]?.body.order_number);
    }

    it.each(CUT_CASES)('killed $when, asked again', async ({ forward, billingName, amount }) => {
      if (!database || !standIn) throw new Error('not set up');
      const body = { username: `cut_${forward ? 'after' : 'before'}`, billing_name: billingName, amount };
      const orderNumber = await cutShort(forward, body);
      child = await start();
      const again = await callerFor(child.url, secrets).admin('POST', '/deposit-request', body);
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect(again.body.order_number).toBe(orderNumber);
      expect(standIn.sandbox.state.order(orderNumber)?.state).toBe('pending');
      const stored = await withDb(database.url, async (db) => (await storedOrders(db)).get(orderNumber));
      expect(stored).toMatchObject({ status: 'pending', registered: true });
      expect(await child.stop(), child.tail()).toBe(0);
    });

    // Nobody holds the number of such an order, so nobody transfers to it; it must still expire
    // like any other rather than stay pending, holding its name and amount, for good.
    it.each(CUT_CASES)(
      'killed $when, never asked again: expires',
      async ({ forward, billingName, amount }) => {
        if (!database) throw new Error('not set up');
        const body = {
          username: `gone_${forward ? 'after' : 'before'}`,
          billing_name: `${billingName}만료`,
          amount,
        };
        const orderNumber = await cutShort(forward, body);
        // Its time runs out.
        await withDb(database.url, (db) =>
          db.kysely
            .updateTable('orders')
            .set({ expires_at: 0 })
            .where('order_number', '=', orderNumber)
            .execute(),
        );
        child = await start({ EXPIRY_INTERVAL_SECONDS: '1' });
        const deadline = Date.now() + 15_000;
        let stored = await withDb(database.url, async (db) => (await storedOrders(db)).get(orderNumber));
        while (stored?.status === 'pending' && Date.now() < deadline) {
          await sleep(200);
          stored = await withDb(database.url, async (db) => (await storedOrders(db)).get(orderNumber));
        }
        expect(stored).toMatchObject({ status: 'cancelled', cancelReason: 'expired' });
        expect(standIn?.sandbox.state.order(orderNumber)?.state).not.toBe('pending');
        expect(await child.stop(), child.tail()).toBe(0);
      },
    );
  });
}
