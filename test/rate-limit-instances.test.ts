import { afterEach, expect, it } from 'vitest';
import { connectSharedRateLimiter, type LimiterLog } from '../src/http/redis-rate-limit.js';
import { type ApiResponse, forEachDatabase, type Harness } from './support/harness.js';
import { type Instance, startInstance } from './support/instances.js';
import { closedPort, dropKeys, REDIS_AVAILABLE, REDIS_URL, uniquePrefix } from './support/redis.js';

/**
 * Two instances of the service on one database behind one address, as a load balancer spreads a
 * client over them: with a shared Redis a limit of N per minute holds across both; with Redis
 * unreachable every request is still answered and each instance counts on its own.
 */
const LIMIT = 5;
const AUTH_FAILURES = 3;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function twoInstances(h: Harness, redisUrl: string, log?: LimiterLog): Promise<Instance[]> {
  const prefix = uniquePrefix();
  const instances: Instance[] = [];
  for (let i = 0; i < 2; i++) {
    const limiter = await connectSharedRateLimiter(redisUrl, { keyPrefix: prefix, log });
    const instance = await startInstance(h, { app: { limiter } });
    instances.push(instance);
    cleanups.push(async () => {
      await instance.close();
      await limiter.close();
    });
  }
  cleanups.push(() => dropKeys(prefix));
  return instances;
}

/** `count` requests, alternating between the instances, one after another. */
async function alternate(instances: Instance[], count: number, path: string, token: string) {
  const answers: ApiResponse[] = [];
  for (let i = 0; i < count; i++) {
    const instance = instances[i % instances.length] as Instance;
    answers.push(await instance.get(path, { authorization: `Bearer ${token}` }));
  }
  return answers;
}

class CountingLog implements LimiterLog {
  warnings = 0;
  warn(): void {
    this.warnings++;
  }
  info(): void {}
}

forEachDatabase(
  'rate limits across instances',
  (h) => {
    it.skipIf(!REDIS_AVAILABLE)(
      'holds a per-credential limit across two instances sharing Redis',
      async () => {
        await h().createUser('rl_shared');
        const instances = await twoInstances(h(), REDIS_URL);
        const token = await h().userToken('rl_shared');
        const answers = await alternate(instances, LIMIT + 3, '/users/rl_shared', token);
        expect(answers.map((a) => a.status)).toEqual([...Array(LIMIT).fill(200), 429, 429, 429]);
        const refused = answers[LIMIT] as ApiResponse;
        expect(refused.body).toEqual({ status: 'fail', msg: expect.any(String), code: 'rate_limited' });
        const retryAfter = Number(refused.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(60);
      },
    );

    it.skipIf(!REDIS_AVAILABLE)(
      'locks out an address that fails authentication on either instance',
      async () => {
        await h().createUser('rl_lockout');
        const instances = await twoInstances(h(), REDIS_URL);
        const failed = await alternate(instances, AUTH_FAILURES + 1, '/users/rl_lockout', 'not-a-token');
        expect(failed.map((a) => a.status)).toEqual([...Array(AUTH_FAILURES).fill(401), 429]);
        // The address is refused on both instances now, even with a valid token.
        const token = await h().userToken('rl_lockout');
        const after = await alternate(instances, 2, '/users/rl_lockout', token);
        expect(after.map((a) => a.status)).toEqual([429, 429]);
      },
    );

    it('counts per instance and still answers when Redis is unreachable', async () => {
      await h().createUser('rl_fallback');
      const log = new CountingLog();
      const instances = await twoInstances(h(), `redis://127.0.0.1:${await closedPort()}`, log);
      const token = await h().userToken('rl_fallback');
      const started = performance.now();
      const answers = await alternate(instances, 2 * LIMIT + 2, '/users/rl_fallback', token);
      const elapsedMs = performance.now() - started;
      expect(answers.map((a) => a.status)).toEqual([...Array(2 * LIMIT).fill(200), 429, 429]);
      expect(elapsedMs).toBeLessThan(3000);
      // One warning per instance for the whole outage, none per request.
      expect(log.warnings).toBe(2);
    });
  },
  { env: { RATE_LIMIT_PER_MINUTE: String(LIMIT), AUTH_FAILURES_PER_MINUTE: String(AUTH_FAILURES) } },
);
