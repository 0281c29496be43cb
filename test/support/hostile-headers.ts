import fc from 'fast-check';
import { headerValue, w } from './hostile.js';
import { type AuthSpec, ENDPOINTS, type EndpointName, FORGERIES } from './hostile-types.js';

/** Credentials, content types, methods and extra headers for generated requests. */

const AUTH_HEADERS = [
  'Bearer  <admin>',
  'Basic <admin>',
  'Token <admin>',
  '<admin>',
  'Bearer <admin>x',
  'Bearer <admin-prefix>',
  'Bearer <admin>,Bearer <admin>',
  'Bearer',
  'Bearer <jwt>.',
  'Bearer <jwt-prefix>',
  'Bearer x.y.z',
  'Bearer eyJhbGciOiJub25lIn0.e30.',
  "Bearer ' OR 1=1 --",
];

export function auth(endpoint: EndpointName, hostile: boolean): fc.Arbitrary<AuthSpec> {
  const access = ENDPOINTS[endpoint].access;
  const c = <T extends AuthSpec>(v: T) => fc.constant(v);
  if (!hostile)
    return access === 'admin' ? c({ t: 'admin' }) : fc.oneof(c({ t: 'owner' }), c({ t: 'admin' }));
  return fc.oneof(
    w(access === 'admin' ? 1 : 5, c({ t: 'owner' })),
    w(access === 'admin' ? 8 : 3, c({ t: 'admin' })),
    w(access === 'webhook' ? 4 : 1, c({ t: 'none' })),
    w(
      1,
      fc.nat(1000).map((pick) => ({ t: 'user' as const, pick })),
    ),
    w(1, c({ t: 'expired' })),
    w(
      1,
      fc.constantFrom(...FORGERIES).map((how) => ({ t: 'forged' as const, how })),
    ),
    w(
      1,
      fc
        .oneof(
          fc.constantFrom(...AUTH_HEADERS),
          fc.integer({ min: 100, max: 12_000 }).map((n) => `Bearer ${'A'.repeat(n)}`),
          headerValue,
        )
        .map((value) => ({ t: 'header' as const, value })),
    ),
  );
}

export const CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=UTF-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; boundary=x',
  'text/plain',
  'text/json',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'application/xml',
  'application/vnd.api+json',
  'application/jsonx',
  'json',
  '*/*',
  'application/*',
  '',
  ';',
  'application/octet-stream',
];

const HEADER_NAMES = [
  'x-request-id',
  'x-forwarded-for',
  'x-real-ip',
  'forwarded',
  'origin',
  'accept',
  'accept-language',
  'user-agent',
  'cookie',
  'x-http-method-override',
  'x-original-url',
  'content-encoding',
  'range',
  'if-none-match',
  'x-trace-id',
  'x-mall-id',
];

export const extraHeaders: fc.Arbitrary<[string, string][]> = fc.oneof(
  w(8, fc.constant<[string, string][]>([])),
  w(3, fc.array(fc.tuple(fc.constantFrom(...HEADER_NAMES), headerValue), { minLength: 1, maxLength: 3 })),
  w(
    1,
    fc.integer({ min: 1000, max: 15_500 }).map((n): [string, string][] => [['x-padding', 'p'.repeat(n)]]),
  ),
);

// FOO is no HTTP method: Node refuses the request before Fastify sees it.
export const OTHER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'FOO'];
