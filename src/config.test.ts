import { describe, expect, it } from 'vitest';
import { ConfigError, type Env, parseConfig } from './config.js';

const SECRET = 'x'.repeat(32);
const base: Env = { ADMIN_API_TOKEN: SECRET, AUTH_JWT_SECRET: SECRET, PAYACTION_WEBHOOK_KEY: SECRET };

function problemsOf(env: Env): string[] {
  try {
    parseConfig({ ...base, ...env });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('configuration of shared limits and database timeouts', () => {
  it('defaults to per-instance limits and a 5 s query bound', () => {
    const config = parseConfig(base);
    expect(config.redisUrl).toBe('');
    expect(config.dbQueryTimeoutMs).toBe(5000);
  });

  it('takes a redis:// or rediss:// URL and refuses anything else', () => {
    expect(parseConfig({ ...base, REDIS_URL: 'redis://:pw@cache:6379/2' }).redisUrl).toBe(
      'redis://:pw@cache:6379/2',
    );
    expect(problemsOf({ REDIS_URL: 'rediss://cache.internal:6380' })).toEqual([]);
    expect(problemsOf({ REDIS_URL: 'cache:6379' })).toEqual([
      'REDIS_URL must be a redis:// or rediss:// URL',
    ]);
    expect(problemsOf({ REDIS_URL: 'http://cache' })).toHaveLength(1);
  });

  it('takes DB_POOL_SIZE as a number of connections, 10 unless set', () => {
    expect(parseConfig(base).dbPoolSize).toBe(10);
    expect(parseConfig({ ...base, DB_POOL_SIZE: '40' }).dbPoolSize).toBe(40);
    expect(problemsOf({ DB_POOL_SIZE: '0' })).toHaveLength(1);
    expect(problemsOf({ DB_POOL_SIZE: 'many' })[0]).toMatch(/^DB_POOL_SIZE must be a whole number/);
  });

  it('takes DB_QUERY_TIMEOUT_MS in milliseconds, 0 meaning unbounded', () => {
    expect(parseConfig({ ...base, DB_QUERY_TIMEOUT_MS: '0' }).dbQueryTimeoutMs).toBe(0);
    expect(parseConfig({ ...base, DB_QUERY_TIMEOUT_MS: '1500' }).dbQueryTimeoutMs).toBe(1500);
    expect(problemsOf({ DB_QUERY_TIMEOUT_MS: '-1' })).toHaveLength(1);
    expect(problemsOf({ DB_QUERY_TIMEOUT_MS: '5s' })[0]).toMatch(
      /^DB_QUERY_TIMEOUT_MS must be a whole number/,
    );
  });
});
