import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { autocommit } from '../db/tx.js';
import type { Deps } from '../deps.js';
import { actorOf } from './auth.js';
import { type ErrorBody, errorAnswer, type HttpAnswer, toAnswer } from './errors.js';
import { claimKey, completeKey, findKey, releaseKey } from './idempotency.repository.js';

const KEY_TTL_MS = 24 * 60 * 60 * 1000;
// A claim still running after this long belongs to a process that died; the key may be used again.
const RUNNING_ABANDONED_MS = 5 * 60 * 1000;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

async function runAndStore<B>(
  deps: Deps,
  id: number,
  run: () => Promise<HttpAnswer<B>>,
): Promise<HttpAnswer<B>> {
  let answer: HttpAnswer<B>;
  try {
    answer = await run();
  } catch (err) {
    const failed = toAnswer(err);
    // Neither a server-side failure nor a refused input started any work: free the key so the
    // client can retry, or correct the request and send it again under the same key.
    if (failed.statusCode >= 500 || failed.body.code === 'validation_error') {
      await autocommit(deps.db, (db) => releaseKey(db, id));
      if (failed.statusCode === 500) throw err;
      return failed;
    }
    answer = failed;
  }
  await autocommit(deps.db, (db) => completeKey(db, id, answer.statusCode, JSON.stringify(answer.body)));
  return answer;
}

/**
 * `Idempotency-Key`: the same key with the same body within 24 h replays the first answer; with
 * another body → 422; while the first is still running → 409. Keys are scoped to the caller and
 * the route, and live in the database so every instance sees them.
 */
export async function idempotent<B>(
  deps: Deps,
  request: FastifyRequest,
  route: string,
  run: () => Promise<HttpAnswer<B>>,
): Promise<HttpAnswer<B>> {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return run();
  if (typeof key !== 'string' || !KEY_RE.test(key)) return errorAnswer('validation_error', 'Idempotency-Key');
  const actor = actorOf(request);
  const scope = `${route}:${actor.kind}:${actor.id}`;
  const hash = createHash('sha256').update(stableJson(request.body)).digest('hex');
  const db = deps.db.kysely;
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = deps.clock.now();
    if (await autocommit(deps.db, (exec) => claimKey(exec, scope, key, hash, now))) {
      const claimed = await findKey(db, scope, key);
      if (!claimed) continue;
      return runAndStore(deps, claimed.id, run);
    }
    const stored = await findKey(db, scope, key);
    if (!stored) continue;
    const age = now - stored.createdAt;
    if (age >= KEY_TTL_MS || (stored.state === 'running' && age >= RUNNING_ABANDONED_MS)) {
      await autocommit(deps.db, (exec) => releaseKey(exec, stored.id));
      continue;
    }
    if (stored.requestHash !== hash) return errorAnswer('idempotency_key_reused');
    if (stored.state === 'running' || stored.responseStatus === null || stored.responseBody === null) {
      return errorAnswer('idempotency_in_progress');
    }
    // The stored body is this route's own earlier answer.
    return { statusCode: stored.responseStatus, body: JSON.parse(stored.responseBody) as B | ErrorBody };
  }
  return errorAnswer('idempotency_in_progress');
}
