import fc from 'fast-check';
import {
  type Encoding,
  extraKeyText,
  extraValueText,
  headerValue,
  hostileString,
  hostileValueText,
  junkBody,
  percentEncode,
  w,
} from './hostile.js';
import { auth, CONTENT_TYPES, extraHeaders, OTHER_METHODS } from './hostile-headers.js';
import {
  type BodySpec,
  ENDPOINTS,
  type EndpointName,
  type HostileCase,
  type Ref,
  type Segment,
  type Slot,
  WEBHOOK_AUTHS,
  type WebhookAuth,
} from './hostile-types.js';

/** Generated requests to every endpoint: the endpoint's own parts, clean or hostile. */

const json = (values: readonly (string | number | null)[]) =>
  fc.constantFrom(...values).map((v) => JSON.stringify(v));

// ---- slots and segments

const userRef: fc.Arbitrary<Ref> = fc.nat(1000).map((pick) => ({ t: 'user' as const, pick }));
const orderRef: fc.Arbitrary<Ref> = fc
  .tuple(fc.nat(1000), fc.boolean())
  .map(([pick, recent]) => ({ t: 'order' as const, pick, recent }));

const text = (arb: fc.Arbitrary<string>): fc.Arbitrary<Slot> =>
  arb.map((t) => ({ t: 'json' as const, text: t }));
const ref = (arb: fc.Arbitrary<Ref>): fc.Arbitrary<Slot> => arb.map((r) => ({ t: 'ref' as const, ref: r }));

function slot(hostile: boolean, valid: fc.Arbitrary<Slot>): fc.Arbitrary<Slot> {
  if (!hostile) return valid;
  return fc.oneof(w(6, valid), w(4, text(hostileValueText)));
}

const TRAVERSALS = [
  '..%2F..%2Fetc%2Fpasswd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..%5C..%5Cwindows%5Cwin.ini',
  '%252e%252e%252f',
  '%C0%AE%C0%AE%2F',
  '..',
  '.',
  '%2e%2e',
  'a%2Fb',
  '%2F',
  '%00',
  'alice%00',
  'alice%00.json',
  '%',
  '%ZZ',
  '%E0%A4%A',
  '%ED%A0%80',
  '%EF%BB%BFalice',
  'alice%E2%80%8B',
  '%E2%80%AEecila',
  'alice;x',
  'alice%3Bx',
  'ALICE',
  'alice%20',
  '%27%20OR%201%3D1%20--',
  "'OR'1'='1",
  '*',
  '~',
];

function segment(hostile: boolean, valid: fc.Arbitrary<Ref>): fc.Arbitrary<Segment> {
  const good = valid.map((r) => ({ t: 'ref' as const, ref: r }));
  if (!hostile) return good;
  const raw = (arb: fc.Arbitrary<string>) => arb.map((s) => ({ t: 'raw' as const, raw: s }));
  return fc.oneof(
    w(6, good),
    w(2, raw(fc.constantFrom(...TRAVERSALS))),
    w(2, raw(hostileString.map(percentEncode).filter((s) => s.length > 0))),
    w(1, raw(fc.integer({ min: 60, max: 5000 }).map((n) => 'a'.repeat(n)))),
  );
}

// ---- query strings

const LIST_VALUES: Record<string, fc.Arbitrary<string>> = {
  limit: fc.oneof(
    fc.integer({ min: 1, max: 1000 }).map(String),
    fc.constantFrom('0', '1001', '-1', '1e3', '9999'),
  ),
  cursor: fc
    .oneof(fc.integer({ min: 1, max: 1e6 }), fc.constant(Number.MAX_SAFE_INTEGER))
    .map((n) => Buffer.from(`o${n}`).toString('base64url')),
  status: fc.constantFrom(
    '대기중',
    '매칭완료',
    '완료',
    '취소됨',
    'pending',
    'matched',
    'completed',
    'cancelled',
  ),
  from: fc.constantFrom('2026-11-28', '2026-01-01', '2026-02-30', '0000-00-00', '9999-12-31', '1970-01-01'),
  to: fc.constantFrom('2026-11-28', '2026-12-31', '2026-13-01', '2100-01-01'),
  username: fc.constantFrom('alice', 'bob', 'nobody'),
};
const QUERY_KEYS = [...Object.keys(LIST_VALUES), 'x', '__proto__', 'constructor', 'limit[]', 'status[0]'];

const queryPair: fc.Arbitrary<string> = fc.oneof(
  w(
    4,
    fc
      .constantFrom(...Object.keys(LIST_VALUES))
      .chain((k) => (LIST_VALUES[k] ?? fc.constant('')).map((v) => `${k}=${percentEncode(v)}`)),
  ),
  w(
    2,
    fc
      .tuple(fc.constantFrom(...QUERY_KEYS), hostileString)
      .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`),
  ),
  w(
    1,
    fc.constantFrom('limit', 'limit=', '=', '&', '%', '%ZZ', 'limit=%', 'status=%ED%A0%80', 'a[b]=c', '+'),
  ),
);

function query(hostile: boolean, list: boolean): fc.Arbitrary<string> {
  if (!hostile) return list ? fc.constantFrom('', 'limit=10', 'limit=1000') : fc.constant('');
  return fc.oneof(
    w(3, fc.constant('')),
    w(
      6,
      fc.array(queryPair, { minLength: 1, maxLength: 4 }).map((pairs) => pairs.join('&')),
    ),
    w(
      1,
      fc.integer({ min: 100, max: 8000 }).map((n) => `limit=${'1'.repeat(n)}`),
    ),
  );
}

// ---- bodies

type Fields = [name: string, value: fc.Arbitrary<Slot>][];

function objectBody(hostile: boolean, fields: Fields): fc.Arbitrary<BodySpec> {
  const entry = ([name, value]: Fields[number]) =>
    (hostile ? fc.option(value, { freq: 12 }) : value.map((v) => v as Slot | null)).map(
      (v): [string, Slot][] => (v === null ? [] : [[JSON.stringify(name), v]]),
    );
  const object = fc.tuple(...fields.map(entry)).map((entries) => entries.flat());
  if (!hostile) return object.map((pairs) => ({ t: 'object' as const, pairs }));
  const names = fields.map(([n]) => JSON.stringify(n));
  const extra = fc.tuple(
    fc.oneof(extraKeyText, ...(names.length > 0 ? [fc.constantFrom(...names)] : [])),
    fc.oneof(extraValueText, hostileValueText),
  );
  const extras = fc.oneof(w(5, fc.constant([])), w(2, fc.array(extra, { minLength: 1, maxLength: 3 })));
  return fc.oneof(
    w(
      10,
      fc.tuple(object, extras, fc.boolean()).map(([pairs, more, first]) => {
        const added = more.map(([k, v]): [string, Slot] => [k, { t: 'json', text: v }]);
        return { t: 'object' as const, pairs: first ? [...added, ...pairs] : [...pairs, ...added] };
      }),
    ),
    w(
      1,
      junkBody.map((t) => ({ t: 'raw' as const, text: t })),
    ),
    w(1, fc.constant({ t: 'none' as const })),
  );
}

// ---- the endpoints' own parts

const NAMES = [
  '홍길동',
  '김철수',
  'Kim Lee',
  '(주)가나다',
  'A-1.B',
  ' 이영희 ',
  '\u1112\u1169\u11bc\u1100\u1175\u11af',
  '박'.repeat(20),
];
const AMOUNTS = fc.oneof(
  fc.constantFrom(1000, 5000, 10_000, 50_000, 10_000_000),
  fc.integer({ min: 1000, max: 10_000_000 }),
);
const WALLETS = [
  'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
  'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u',
  '0x52908400098527886E0F7030069857D2E4169EE7',
  null,
];

interface Parts {
  segment: fc.Arbitrary<Segment | null>;
  query: fc.Arbitrary<string>;
  body: fc.Arbitrary<BodySpec>;
}

function parts(endpoint: EndpointName, h: boolean): Parts {
  const none = {
    segment: fc.constant(null),
    query: query(h, false),
    body: fc.constant({ t: 'none' as const }),
  };
  const listing = { ...none, query: query(h, true) };
  const user = slot(h, ref(userRef));
  const order = slot(h, ref(orderRef));
  switch (endpoint) {
    case 'deposit':
      return {
        ...none,
        body: objectBody(h, [
          ['username', user],
          ['billing_name', slot(h, text(json(NAMES)))],
          ['amount', slot(h, text(AMOUNTS.map(String)))],
        ]),
      };
    case 'cancel':
      return { ...none, body: objectBody(h, [['order_number', order]]) };
    case 'history':
      return { ...listing, segment: segment(h, userRef) };
    case 'user':
      return { ...none, segment: segment(h, userRef) };
    case 'createUser':
      return {
        ...none,
        body: objectBody(h, [
          ['username', slot(h, text(fc.stringMatching(/^[a-c]{1,3}$/).map((s) => JSON.stringify(s))))],
          ['wallet_address', slot(h, text(json(WALLETS)))],
        ]),
      };
    case 'patchUser':
      return {
        ...none,
        segment: segment(h, userRef),
        body: objectBody(h, [['wallet_address', slot(h, text(json(WALLETS)))]]),
      };
    case 'complete':
      return {
        ...none,
        segment: segment(h, orderRef),
        body: objectBody(h, [['memo', slot(h, text(json(['지급 완료', 'ok', ''])))]]),
      };
    case 'match':
      return {
        ...none,
        segment: segment(h, orderRef),
        body: objectBody(h, [['reason', slot(h, text(json(['통장 확인', '입금 확인됨'])))]]),
      };
    case 'webhook':
      return {
        ...none,
        body: objectBody(h, [
          ['order_number', order],
          ['order_status', slot(h, text(json(['매칭완료', '매칭완료', '매칭완료', '대기중'])))],
          ['processing_date', slot(h, text(json(['2026-11-28 12:00:00'])))],
        ]),
      };
    case 'adminTransactions':
    case 'adminOrders':
    case 'listUsers':
      return listing;
    case 'summary':
      return none;
  }
}

/** A request to one endpoint: clean (valid in every part) or hostile in some of its parts. */
export function hostileCase(endpoint: EndpointName, hostile: boolean): fc.Arbitrary<HostileCase> {
  const own = ENDPOINTS[endpoint].method;
  const p = parts(endpoint, hostile);
  const pick = <T>(clean: T, arb: fc.Arbitrary<T>) => (hostile ? arb : fc.constant(clean));
  return fc.record({
    endpoint: fc.constant(endpoint),
    method: pick(own, fc.oneof(w(10, fc.constant(own)), w(1, fc.constantFrom(...OTHER_METHODS)))),
    segment: p.segment,
    query: p.query,
    auth: auth(endpoint, hostile),
    webhook: pick<WebhookAuth>(
      endpoint === 'webhook' ? 'valid' : 'none',
      fc.oneof(
        w(endpoint === 'webhook' ? 8 : 1, fc.constant<WebhookAuth>('valid')),
        w(2, fc.constantFrom(...WEBHOOK_AUTHS)),
      ),
    ),
    traceId: pick<string | null>(
      null,
      fc.oneof(
        w(3, fc.constant(null)),
        w(3, fc.uuid()),
        w(1, fc.constantFrom('dup-1', 'dup-2')),
        w(1, headerValue),
        w(1, fc.constant('t'.repeat(200))),
      ),
    ),
    body: p.body,
    encoding: pick<Encoding>(
      'utf8',
      fc.oneof(
        w(10, fc.constant<Encoding>('utf8')),
        w(1, fc.constantFrom<Encoding>('wtf8', 'latin1', 'broken')),
      ),
    ),
    contentType: pick<string | null>(
      'application/json',
      fc.oneof(
        w(14, fc.constant('application/json')),
        w(3, fc.constantFrom(...CONTENT_TYPES)),
        w(1, headerValue),
        w(1, fc.constant(null)),
      ),
    ),
    idempotencyKey: pick<string | null>(
      null,
      fc.oneof(
        w(8, fc.constant(null)),
        w(2, fc.constantFrom('k1', 'k2', 'k3')),
        w(1, headerValue),
        w(1, fc.constant('k'.repeat(300))),
      ),
    ),
    extraHeaders: pick<[string, string][]>([], extraHeaders),
  });
}

const ENDPOINT_WEIGHTS: Record<EndpointName, number> = {
  deposit: 3,
  cancel: 2,
  history: 1,
  adminTransactions: 1,
  user: 1,
  createUser: 1,
  listUsers: 1,
  patchUser: 1,
  adminOrders: 1,
  complete: 1,
  match: 1,
  summary: 1,
  webhook: 3,
};

/** Every endpoint; about one case in four is clean, so that state changes along the run. */
export const anyCase: fc.Arbitrary<HostileCase> = fc.oneof(
  ...(Object.keys(ENDPOINTS) as EndpointName[]).flatMap((e) => [
    w(3 * ENDPOINT_WEIGHTS[e], hostileCase(e, true)),
    w(ENDPOINT_WEIGHTS[e], hostileCase(e, false)),
  ]),
);
