import { percentEncode } from './hostile.js';
import {
  type BodySpec,
  ENDPOINTS,
  type EndpointName,
  type HostileCase,
  type Segment,
  type Slot,
} from './hostile-types.js';

/** Named cases: run first on every run, whatever the seed. Each stands for a bug found once or a case the brief names. */

const CLEAN = {
  segment: null,
  query: '',
  auth: { t: 'admin' },
  webhook: 'none',
  traceId: null,
  body: { t: 'none' },
  encoding: 'utf8',
  contentType: 'application/json',
  idempotencyKey: null,
  extraHeaders: [],
} as const satisfies Omit<HostileCase, 'endpoint' | 'method'>;

const named = (endpoint: EndpointName, over: Partial<HostileCase>): HostileCase => ({
  ...CLEAN,
  extraHeaders: [],
  endpoint,
  method: ENDPOINTS[endpoint].method,
  ...over,
});
const j = (t: string): Slot => ({ t: 'json', text: t });
const firstUser: Slot = { t: 'ref', ref: { t: 'user', pick: 0 } };
const lastOrder: Segment = { t: 'ref', ref: { t: 'order', pick: 0, recent: true } };
const object = (...pairs: [string, Slot][]): BodySpec => ({
  t: 'object',
  pairs: pairs.map(([k, v]) => [JSON.stringify(k), v]),
});
const deposit = (amount: string, name = '"홍길동"'): BodySpec =>
  object(['username', firstUser], ['billing_name', j(name)], ['amount', j(amount)]);

export const NAMED_CASES: HostileCase[] = [
  // A valid deposit first, so that later cases have a real order to aim at.
  named('deposit', { auth: { t: 'owner' }, body: deposit('12345') }),
  ...['9007199254740993', '1e308', '2e308', '-0', '"NaN"', '"1000"', '1000.5'].map((amount) =>
    named('deposit', { auth: { t: 'owner' }, body: deposit(amount) }),
  ),
  // Duplicate keys: the last one wins, so one of these is refused and the other is a deposit.
  named('deposit', {
    body: { t: 'raw', text: '{"username":"alice","billing_name":"김","amount":1000,"amount":"x"}' },
  }),
  named('deposit', {
    body: { t: 'raw', text: '{"username":"alice","billing_name":"김","amount":"x","amount":1000}' },
  }),
  named('createUser', { body: object(['__proto__', j('{"isAdmin":true}')], ['username', j('"proto"')]) }),
  named('createUser', {
    body: object(['constructor', j('{"prototype":{"isAdmin":true}}')], ['username', j('"ctor"')]),
  }),
  ...['"홍길동\\u200b"', '"\\u202e홍길동"', '"\\ufeff홍길동"', '"e\\u0301"', '"홍\\ud800"'].map((name) =>
    named('deposit', { auth: { t: 'owner' }, body: deposit('20000', name) }),
  ),
  // A raw lone surrogate: invalid UTF-8 on the wire.
  named('deposit', { auth: { t: 'owner' }, body: deposit('20000', '"홍\ud800"'), encoding: 'wtf8' }),
  named('createUser', { body: object(['username', j(`"' OR 1=1 --"`)]) }),
  named('createUser', { body: object(['username', j('"\\"; DROP TABLE users; --"')]) }),
  named('adminOrders', {
    query: `username=${percentEncode("' OR 1=1 --")}&status=${percentEncode('<script>')}`,
  }),
  // PostgreSQL cannot store U+0000: such text must be refused before it reaches the database.
  named('webhook', {
    webhook: 'valid',
    body: object(['order_number', j('"A\\u0000B"')], ['order_status', j('"매칭완료"')]),
  }),
  named('webhook', {
    webhook: 'valid',
    body: object(['order_number', j('"AB"')], ['order_status', j('"\\u0000"')]),
  }),
  named('complete', { segment: lastOrder, body: object(['memo', j('"지급\\u0000"')]) }),
  named('match', { segment: lastOrder, body: object(['reason', j('"확인\\u0000"')]) }),
  // Paths: traversal, bad percent-encoding, over-long parameters.
  named('history', { segment: { t: 'raw', raw: '..%2F..%2Fetc%2Fpasswd' } }),
  named('user', { segment: { t: 'raw', raw: '%' } }),
  named('user', { segment: { t: 'raw', raw: 'a'.repeat(5000) } }),
  named('complete', { segment: { t: 'raw', raw: '..%2F..%2Fadmin%2Fsummary' }, body: object() }),
  named('match', { segment: { t: 'raw', raw: '%ED%A0%80' }, body: object(['reason', j('"x"')]) }),
  // A route that answers before the error handler was set once kept Fastify's own error shape.
  named('createUser', { method: 'OPTIONS', body: object(['__proto__', j('1')]) }),
  named('createUser', { method: 'FOO' }),
  named('summary', { extraHeaders: [['x-padding', 'p'.repeat(15_000)]] }),
  named('summary', { extraHeaders: [['x-padding', 'p'.repeat(16_500)]] }),
  named('deposit', { auth: { t: 'owner' }, body: deposit('30000'), contentType: 'text/plain' }),
  named('webhook', { body: object(['order_number', j('"X"')], ['order_status', j('"매칭완료"')]) }),
];
