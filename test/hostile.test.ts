import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fingerprint } from './support/fingerprint.js';
import { forEachDatabase } from './support/harness.js';
import { anyCase } from './support/hostile-cases.js';
import { NAMED_CASES } from './support/hostile-named.js';
import type { HostileCase } from './support/hostile-types.js';
import { describeRequest, problemWith, resolve, World } from './support/hostile-world.js';
import { closeRawAgent, sendRaw } from './support/raw-http.js';

/**
 * Property: whatever arrives — wrong types, injections, broken Unicode, traversal, huge headers,
 * duplicate and prototype keys, any content type, any credential — the answer is below 500 and in
 * the spec's JSON shape, a refused request changes nothing, and the ledger stays consistent.
 *
 * HOSTILE_RUNS cases per database (default 3000; `npm run test:hostile` runs 100,000), HOSTILE_SEED
 * to replay a run: the seed is printed, and one seed drives every database of a run.
 */
const RUNS = Number(process.env.HOSTILE_RUNS ?? 3000);
const SEED =
  process.env.HOSTILE_SEED === undefined
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env.HOSTILE_SEED);
const LEDGER_CHECK_EVERY = 250;
// A few milliseconds a case; room for a loaded machine.
const TIMEOUT_MS = 60_000 + RUNS * 60;

afterAll(() => closeRawAgent());

forEachDatabase('hostile input on every endpoint', (h) => {
  let world: World;

  beforeAll(async () => {
    world = new World(h());
    for (const username of world.users) await h().createUser(username);
  });

  it(
    `answers ${RUNS} hostile requests below 500, in shape, changing nothing when refused`,
    async () => {
      const base = new URL(h().url);
      const mallId = h().stub.mallId;
      const tally = { cases: 0, refused: 0, succeeded: 0, byStatus: new Map<number, number>() };
      console.info(`[hostile] ${h().dialect}: ${RUNS} cases, seed ${SEED} (HOSTILE_SEED=${SEED} replays it)`);
      const started = Date.now();

      const property = fc.asyncProperty(anyCase, async (c: HostileCase) => {
        h().clock.advance(1);
        const resolved = await resolve(world, mallId, c);
        const before = await fingerprint(h());
        const res = await sendRaw(base, resolved.request);
        const verdict = problemWith(c, resolved, res);
        const context = () =>
          `${describeRequest(resolved.request)}\n→ ${res.status} ${res.text.slice(0, 400)}`;
        if (verdict.problem !== undefined) throw new Error(`${verdict.problem}\n${context()}`);
        tally.cases++;
        tally.byStatus.set(res.status, (tally.byStatus.get(res.status) ?? 0) + 1);
        if (res.status >= 400) {
          tally.refused++;
          const after = await fingerprint(h());
          if (after !== before)
            throw new Error(`a refused request changed state\n${before}\n≠\n${after}\n${context()}`);
        } else {
          tally.succeeded++;
          await world.learn(verdict.body);
        }
        if (tally.cases % LEDGER_CHECK_EVERY === 0) await h().expectLedgerConsistent();
      });

      await fc.assert(property, {
        numRuns: RUNS,
        seed: SEED,
        examples: NAMED_CASES.map((c): [HostileCase] => [c]),
      });
      await h().expectLedgerConsistent();

      const statuses = [...tally.byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
      const credits = await h()
        .db.kysely.selectFrom('ledger_entries')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      console.info(
        `[hostile] ${h().dialect}: ${tally.cases} cases in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
          `${tally.succeeded} succeeded, ${tally.refused} refused; ${world.orders.length} orders, ` +
          `${Number(credits.n)} credits, ${world.users.length} users; statuses ${statuses.join(' ')}`,
      );
      // The mix must reach both sides: state that changes, and requests that are refused.
      expect(world.orders.length).toBeGreaterThan(0);
      if (RUNS >= 500) {
        expect(tally.succeeded).toBeGreaterThan(RUNS / 20);
        expect(tally.refused).toBeGreaterThan(RUNS / 2);
      }
    },
    TIMEOUT_MS,
  );
});
