import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Child } from '../../bench/lib/child.js';
import { newSecrets, type Secrets } from '../../bench/lib/service.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { SANDBOX_DUPLICATE_MESSAGE } from '../../src/payaction/sandbox/sandbox.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import {
  type FaultPlan,
  HTTP_FAULTS,
  HttpFaultProxy,
  type ProxiedCall,
} from '../support/http-fault-proxy.js';
import {
  type Answer,
  type Caller,
  callerFor,
  killHard,
  maxOf,
  type ServiceEntry,
  startSandbox,
  startServiceProcess,
  storedOrders,
  tsxEntry,
  withDb,
} from './process.js';
import { chaosSeed, Rng } from './rng.js';
import { report, sized } from './size.js';

/**
 * Payaction faults: an HTTP proxy in front of the Payaction stand-in makes each call of the
 * service's client slow, cut, refused, unanswered, half-answered or refused with HTTP 200, chosen
 * from a seed. Over many deposit requests and cancels, every request must be answered within the
 * client's bound, no logical call may make more than PAYACTION_ATTEMPTS_MAX attempts (and only
 * failures that may pass on a second try are retried), every order left pending here must be
 * registered at Payaction, and no order may be cancelled here unless Payaction excluded it.
 */
const CALLS = sized(60, 500);
const CONCURRENCY = 8;
const USERS = 4;
const TIMEOUT_MS = 1000;
const ATTEMPTS_MAX = 3;
// The client waits 200 ms × 2^(attempt-2), jittered down to half, before each retry.
const BACKOFF_BASE_MS = 200;
const BACKOFF_TOTAL_MS_MAX = BACKOFF_BASE_MS * (2 ** (ATTEMPTS_MAX - 1) - 1);
// Room for the service's own database work and a loaded 2-core machine.
const MARGIN_MS = 1500;
const ANSWER_WITHIN_MS = TIMEOUT_MS * ATTEMPTS_MAX + BACKOFF_TOTAL_MS_MAX + MARGIN_MS;
const LATENCY_MS_MAX = 3000;
// A delay this close below the client's timeout may land on either side of it.
const LATENCY_UNCERTAIN_MS = 150;
const SEED = chaosSeed();

/** Each fault with its weight; the rest of the calls pass. */
const FAULT_WEIGHTS: ReadonlyArray<[(typeof HTTP_FAULTS)[number], number]> = [
  ['pass', 30],
  ['latency', 16],
  ['reset_before', 8],
  ['reset_after', 8],
  ['http_5xx', 8],
  ['no_answer', 8],
  ['truncated', 10],
  ['error_200', 12],
];

function planner(rng: Rng): () => FaultPlan {
  const total = FAULT_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
  return () => {
    let roll = rng.next() * total;
    let fault: (typeof HTTP_FAULTS)[number] = 'pass';
    for (const [candidate, weight] of FAULT_WEIGHTS) {
      roll -= weight;
      if (roll < 0) {
        fault = candidate;
        break;
      }
    }
    return {
      fault,
      delayMs: rng.int(0, LATENCY_MS_MAX),
      status: rng.pick([500, 502, 503, 504]),
      forward: rng.chance(0.5),
    };
  };
}

/** What the client made of one attempt, judged from what the proxy did with it. */
type Seen = 'success' | 'refused' | 'transient' | 'uncertain';

function seenByClient(call: ProxiedCall, retried: boolean): Seen {
  if (call.delivered === 'fake_refusal') return 'refused';
  if (call.delivered !== 'answer') return 'transient';
  const nearTimeout =
    call.plan.fault === 'latency' && (call.plan.delayMs ?? 0) > TIMEOUT_MS - LATENCY_UNCERTAIN_MS;
  if (nearTimeout) return 'uncertain';
  const answer = JSON.parse(call.upstreamText ?? '{}') as {
    status?: string;
    response?: { message?: string };
  };
  if (answer.status === 'success') return 'success';
  // A retried registration that Payaction calls a duplicate was registered by an earlier attempt.
  if (retried && call.path === '/order' && answer.response?.message === SANDBOX_DUPLICATE_MESSAGE)
    return 'success';
  return 'refused';
}

/**
 * The client's contract for one logical call: at most ATTEMPTS_MAX attempts; only a transient
 * failure is followed by another attempt, and one is always followed by another while attempts
 * remain. Returns what the call must have ended in, or a breach of the contract.
 */
function expectedEnd(attempts: ProxiedCall[]): { end: 'ok' | 'fail' | 'either' } | { breach: string } {
  if (attempts.length === 0) return { breach: 'no attempt reached Payaction' };
  if (attempts.length > ATTEMPTS_MAX) return { breach: `${attempts.length} attempts` };
  const seen = attempts.map((a, i) => seenByClient(a, i > 0));
  for (const [i, s] of seen.entries()) {
    const last = i === seen.length - 1;
    if (!last && (s === 'success' || s === 'refused'))
      return { breach: `retried after ${s}: ${seen.join(',')}` };
    if (last && s === 'transient' && seen.length < ATTEMPTS_MAX)
      return { breach: `gave up after ${seen.length} transient failure(s)` };
  }
  const last = seen[seen.length - 1];
  return { end: last === 'success' ? 'ok' : last === 'uncertain' ? 'either' : 'fail' };
}

/** Some attempt reached Payaction, which acted on it, but its answer may not have come back. */
function answerLost(attempts: ProxiedCall[]): boolean {
  return attempts.some((a, i) => a.forwarded && ['transient', 'uncertain'].includes(seenByClient(a, i > 0)));
}

interface Logical {
  kind: 'deposit' | 'cancel';
  /** Billing name of a deposit, order number of a cancel. */
  key: string;
  answer: Answer;
}

function isPayactionFailure(answer: Answer): boolean {
  return (
    answer.status === 502 &&
    answer.body.status === 'fail' &&
    answer.body.code === 'payaction_error' &&
    answer.body.msg === 'PayAction API 오류'
  );
}

async function runCalls(caller: Caller, rng: Rng): Promise<Logical[]> {
  const done: Logical[] = [];
  const cancellable: string[] = [];
  let started = 0;
  const worker = async () => {
    while (started < CALLS) {
      const n = started++;
      if (cancellable.length > 0 && rng.chance(0.4)) {
        const orderNumber = cancellable.splice(rng.int(0, cancellable.length - 1), 1)[0] as string;
        const answer = await caller.admin('POST', '/cancel-order', { order_number: orderNumber });
        done.push({ kind: 'cancel', key: orderNumber, answer });
        continue;
      }
      const billingName = `결함${n}`;
      const answer = await caller.admin('POST', '/deposit-request', {
        username: `fault_u${n % USERS}`,
        billing_name: billingName,
        amount: 1000 + n,
      });
      done.push({ kind: 'deposit', key: billingName, answer });
      if (answer.status === 200) cancellable.push(String(answer.body.order_number));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return done;
}

for (const { dialect, available } of DIALECTS) {
  describe.skipIf(!available)(`Payaction faults through a proxy [${dialect}]`, () => {
    const secrets: Secrets = newSecrets();
    const dataDir = mkdtempSync(join(tmpdir(), `dg-pafault-${dialect}-`));
    const entry: ServiceEntry = tsxEntry();
    const rng = new Rng(SEED ^ dialect.length);
    let database: TestDatabase | undefined;
    let standIn: Awaited<ReturnType<typeof startSandbox>> | undefined;
    let proxy: HttpFaultProxy | undefined;
    let child: Child | undefined;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      standIn = await startSandbox(secrets);
      proxy = await new HttpFaultProxy(standIn.url).start();
      child = await startServiceProcess({
        entry,
        databaseUrl: database.url,
        dataDir,
        payactionUrl: proxy.url,
        secrets,
        env: { PAYACTION_TIMEOUT_MS: String(TIMEOUT_MS), PAYACTION_ATTEMPTS_MAX: String(ATTEMPTS_MAX) },
      });
    });

    afterAll(async () => {
      if (child) await killHard(child);
      await proxy?.stop();
      await standIn?.sandbox.app.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it(
      `answers ${CALLS} deposits and cancels in time and keeps Payaction and the database in step`,
      async () => {
        if (!database || !standIn || !proxy || !child) throw new Error('not set up');
        const caller = callerFor(child.url, secrets, 60_000);
        for (let u = 0; u < USERS; u++) {
          expect((await caller.admin('POST', '/admin/users', { username: `fault_u${u}` })).status).toBe(201);
        }
        proxy.choose = planner(rng);
        const started = Date.now();
        const calls = await runCalls(caller, rng);
        const durationMs = Date.now() - started;
        const label = `${dialect}, seed ${SEED}`;
        const state = standIn.sandbox.state;
        const orders = await withDb(database.url, storedOrders);
        const byName = new Map([...orders.values()].map((o) => [o.billingName, o]));
        const problems: string[] = [];
        const problem = (text: string) => problems.push(text);
        let payactionFailures = 0;
        let excludedButPending = 0;

        for (const call of calls) {
          const { answer } = call;
          const what = `${call.kind} ${call.key} → ${answer.status} ${JSON.stringify(answer.body)}`;
          if (answer.status === 0 || answer.ms > ANSWER_WITHIN_MS)
            problem(`${what} took ${Math.round(answer.ms)} ms (bound ${ANSWER_WITHIN_MS})`);
          const ok = answer.status === 200 && answer.body.status === 'success';
          if (!ok && !isPayactionFailure(answer))
            problem(`${what}: neither success nor the Payaction failure`);
          if (!ok) payactionFailures++;

          const orderNumber =
            call.kind === 'cancel' ? call.key : (byName.get(call.key)?.orderNumber ?? '(none stored)');
          const path = call.kind === 'deposit' ? '/order' : '/order-exclude';
          const attempts = proxy.callsFor(path, orderNumber);
          const expected = expectedEnd(attempts);
          if ('breach' in expected) problem(`${what}: ${expected.breach}`);
          else if (expected.end !== 'either' && (expected.end === 'ok') !== ok)
            problem(`${what}: Payaction's answers say ${expected.end}`);

          const stored = orders.get(orderNumber);
          const atPayaction = state.order(orderNumber)?.state;
          if (call.kind === 'deposit') {
            if (ok && answer.body.order_number !== orderNumber) problem(`${what}: stored as ${orderNumber}`);
            if (ok && (!stored?.registered || atPayaction === undefined))
              problem(`${what}: not registered (${atPayaction}, ${JSON.stringify(stored)})`);
            if (!ok && (stored?.status !== 'cancelled' || stored.cancelReason !== 'registration_failed'))
              problem(`${what}: a failed registration left ${JSON.stringify(stored)}`);
            continue;
          }
          if (ok && (stored?.status !== 'cancelled' || atPayaction !== 'excluded'))
            problem(`${what}: cancelled as ${JSON.stringify(stored)}, at Payaction ${atPayaction}`);
          if (!ok && stored?.status !== 'pending')
            problem(`${what}: a failed cancel left ${JSON.stringify(stored)}`);
          if (!ok && atPayaction === 'excluded') {
            // The exclusion reached Payaction but no attempt brought its answer back: the service
            // cannot know, keeps the order, and the expiry run excludes it again later.
            excludedButPending++;
            if (!answerLost(attempts)) problem(`${what}: excluded at Payaction without a lost answer`);
          }
        }

        // From the database's side: nothing pending that Payaction does not hold, nothing cancelled
        // by a person that Payaction still matches.
        let cancelledButLive = 0;
        for (const o of orders.values()) {
          const atPayaction = state.order(o.orderNumber)?.state;
          if (o.status === 'pending' && atPayaction === undefined)
            problem(`pending order ${o.orderNumber} is not registered at Payaction`);
          if (
            o.status === 'cancelled' &&
            o.cancelReason !== 'registration_failed' &&
            atPayaction !== 'excluded'
          )
            problem(`order ${o.orderNumber} cancelled (${o.cancelReason}) but ${atPayaction} at Payaction`);
          if (
            o.status === 'cancelled' &&
            o.cancelReason === 'registration_failed' &&
            atPayaction === 'pending'
          ) {
            // Registered by an attempt whose answer was lost, then given up: a transfer to it would
            // still be credited, as a late match.
            cancelledButLive++;
            const lost = answerLost(proxy.callsFor('/order', o.orderNumber));
            if (!lost) problem(`order ${o.orderNumber} given up though Payaction answered its registration`);
          }
        }
        const verified = await withDb(database.url, verifyLedger);
        if (!verified.ok) problem(`ledger: ${JSON.stringify(verified)}`);
        expect(problems.slice(0, 20), label).toEqual([]);
        expect(calls).toHaveLength(CALLS);

        const attemptsPerCall = new Map<string, number>();
        for (const c of proxy.calls) {
          const key = `${c.path} ${String(c.body.order_number)}`;
          attemptsPerCall.set(key, (attemptsPerCall.get(key) ?? 0) + 1);
        }
        const faults = Object.fromEntries(
          HTTP_FAULTS.map((f) => [`fault_${f}`, proxy?.calls.filter((c) => c.plan.fault === f).length ?? 0]),
        );
        report(`payaction-faults ${dialect}`, {
          seed: SEED,
          calls: calls.length,
          deposits: calls.filter((c) => c.kind === 'deposit').length,
          cancels: calls.filter((c) => c.kind === 'cancel').length,
          answered_502: payactionFailures,
          proxied_attempts: proxy.calls.length,
          attempts_per_call_max: maxOf([...attemptsPerCall.values()]),
          answer_ms_max: Math.round(maxOf(calls.map((c) => c.answer.ms))),
          answer_bound_ms: ANSWER_WITHIN_MS,
          pending_here_excluded_there: excludedButPending,
          failed_registration_live_there: cancelledButLive,
          duration_s: Math.round(durationMs / 1000),
          ...faults,
        });
      },
      sized(240_000, 1_800_000),
    );
  });
}
