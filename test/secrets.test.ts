import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/server.js';
import { ADMIN_TOKEN, forEachDatabase, JWT_SECRET, WEBHOOK_KEY } from './support/harness.js';

/** Everything the service logged in this file's runs, at the most talkative level. */
let captured = '';
const sink = new Writable({
  write(chunk, _encoding, done) {
    captured += chunk.toString();
    done();
  },
});
const log = createLogger('trace', sink);

forEachDatabase(
  'secrets stay out of logs and answers',
  (h) => {
    it('logs none of the secrets after a run that uses every one of them', async () => {
      const start = captured.length;
      const answers: string[] = [];
      const keep = (body: unknown) => answers.push(JSON.stringify(body));
      await h().createUser('sec_user');
      const userToken = await h().userToken('sec_user');
      const order = await h().api('POST', '/deposit-request', {
        token: userToken,
        body: { username: 'sec_user', billing_name: '비밀', amount: 10000 },
        headers: { 'idempotency-key': 'secret-test-1' },
      });
      keep(order.body);
      keep((await h().webhook(order.body.order_number as string)).body);
      keep((await h().api('GET', '/transaction-history/sec_user', { token: userToken })).body);
      // Failures too: wrong credentials, a failing Payaction, a bad request, an unknown route.
      keep((await h().api('GET', '/admin/summary', { token: `${ADMIN_TOKEN}x` })).body);
      keep((await h().api('GET', '/admin/summary', { token: userToken })).body);
      keep(
        (
          await h().api('POST', '/webhook', {
            token: null,
            headers: { 'x-webhook-key': `${WEBHOOK_KEY}x`, 'x-mall-id': h().stub.mallId },
            body: { order_number: 'X', order_status: '매칭완료' },
          })
        ).body,
      );
      h().stub.modes['/order'] = 'http500';
      try {
        keep((await h().deposit('sec_user', '비밀둘', 20000)).body);
      } finally {
        delete h().stub.modes['/order'];
      }
      keep(
        (
          await h().api('POST', '/deposit-request', {
            token: userToken,
            rawBody: '{"username":',
            headers: { 'content-type': 'application/json' },
          })
        ).body,
      );
      keep((await h().api('GET', '/nowhere')).body);

      const logged = captured.slice(start);
      expect(logged.length).toBeGreaterThan(1000); // the run was logged, at trace level
      const secrets = {
        ADMIN_TOKEN,
        JWT_SECRET,
        WEBHOOK_KEY,
        API_KEY: h().stub.apiKey,
        MALL_ID: h().stub.mallId,
        userToken,
      };
      for (const [name, secret] of Object.entries(secrets)) {
        expect(logged.includes(secret), `${name} in logs`).toBe(false);
        expect(answers.join('\n').includes(secret), `${name} in answers`).toBe(false);
      }
      expect(logged).toContain('[redacted]');
    });

    it('writes one JSON line per request, carrying the caller request id', async () => {
      const start = captured.length;
      const id = `req-${h().dialect}-one-line`;
      const res = await h().api('GET', '/healthz', { token: null, headers: { 'x-request-id': id } });
      expect(res.headers.get('x-request-id')).toBe(id);
      const lines = captured
        .slice(start)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { reqId?: string; msg?: string; status?: number; route?: string });
      const mine = lines.filter((l) => l.reqId === id);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ msg: 'request', status: 200, route: '/healthz' });
    });
  },
  { log, env: { LOG_LEVEL: 'trace' } },
);

describe('production start-up', () => {
  it('refuses to start, one line per problem', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        ADMIN_API_TOKEN: 'too-short',
        PAYACTION_MALL_ID: 'mall',
        PAYACTION_WEBHOOK_KEY: 'w'.repeat(40),
        DATA_DIR: '/nonexistent-data-dir',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toBe('invalid configuration:');
    expect(lines.slice(1).sort()).toEqual(
      [
        '  - ADMIN_API_TOKEN must be at least 32 characters (got 9)',
        '  - AUTH_JWT_SECRET is required',
        '  - BANK_ACCOUNT is required',
        '  - BANK_HOLDER is required',
        '  - BANK_NAME is required',
        '  - PAYACTION_API_KEY is required: the Payaction sandbox does not run in production',
      ].sort(),
    );
  });
});
