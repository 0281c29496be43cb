import fc from 'fast-check';

/** A weighted choice for fc.oneof. */
export const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

/**
 * Hostile values for the property suite: strings, numbers and whole bodies as the bytes a client
 * could send, plus the encoders that keep lone surrogates and broken UTF-8 intact on the wire.
 */

export const INJECTIONS = [
  "' OR 1=1 --",
  "admin'--",
  '"; DROP TABLE users; --',
  "'; DELETE FROM orders; --",
  "1' UNION SELECT balance FROM users --",
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally
  '${process.exit(1)}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally
  '${7*7}',
  '{{7*7}}',
  '#{7*7}',
  '%00',
  '%s%s%s%n',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '\u0000',
  'a\u0000b',
  '\r\nX-Injected: 1',
  '{"$gt":""}',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-0',
  '0x3E8',
  '1e308',
  '9007199254740993',
  '1_000',
  ' 1000 ',
  '１０００',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
];

export const UNICODE_EDGES = [
  '\u200b', // zero-width space
  '\ufeff', // byte-order mark
  '\u202e', // right-to-left override
  '\u2066', // left-to-right isolate
  '\u0301', // a combining mark on its own
  'e\u0301',
  '\u1112\u1169\u11bc', // 홍 decomposed (NFD)
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\ud83d',
  '\ude00\ud83d', // a pair in the wrong order
  '😀',
  '👨‍👩‍👧',
  '\u00a0',
  '\u3000',
  '\u2028',
  '\u0085',
  '\ufffd',
  '\uffff',
  'İ',
  'ß',
  'Ａ',
  '㈜',
  '\u3164', // Hangul filler
  '\u0007',
  '\u001b[31m',
  '\u007f',
];

const VALID_NAME_PIECES = ['홍길동', '김', 'Kim', ' ', '(주)', '.', '-', '1'];

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));

/** C0 controls and DEL: U+0000 in particular, which PostgreSQL cannot store in text at all. */
const CONTROLS = ['\u0000', '\u0001', '\u0008', '\t', '\n', '\u000b', '\r', '\u001b', '\u001f', '\u007f'];

const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS, ...UNICODE_EDGES) },
  { weight: 2, arbitrary: fc.constantFrom(...CONTROLS) },
  { weight: 1, arbitrary: fc.constantFrom(...VALID_NAME_PIECES) },
  { weight: 2, arbitrary: fc.string({ unit: codeUnit, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

/** Strings built from injections, Unicode edge cases, random code units and plain text. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.array(piece, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.constant('') },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('a', '가', '0', '%', '\u200b', '😀'), fc.integer({ min: 21, max: 9000 }))
      .map(([c, n]) => c.repeat(n)),
  },
);

/** JSON number texts that parse to something surprising, or do not parse at all. */
export const NUMBER_LITERALS = [
  '9007199254740993', // 2^53 + 1: JSON.parse rounds it to 2^53
  '9007199254740992',
  '1e308',
  '2e308', // Infinity once parsed
  '-1e308',
  '-0',
  '0',
  '-1',
  '-1000',
  '999',
  '1000.5',
  '1000.0',
  '1e3',
  '1E3',
  '10000001',
  '1e-400',
  '5e-324',
  '100000000000000000000000000000',
  '00',
  '01000',
  '0x3E8',
  '+1000',
  '.5',
  '1.',
  'NaN',
  'Infinity',
  '-Infinity',
  '1_000',
  '"1000"',
  '"NaN"',
  '"-0"',
  '"1e308"',
  '"9007199254740993"',
];

export const numberText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NUMBER_LITERALS) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map((d) => JSON.stringify(d)) },
  { weight: 1, arbitrary: fc.bigInt().map(String) },
);

/** A JSON string literal whose lone surrogates stay raw (JSON.stringify would escape them). */
export function rawJsonString(value: string): string {
  let out = '"';
  for (const c of value) {
    const code = c.charCodeAt(0);
    out += c === '"' || c === '\\' || code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : c;
  }
  return `${out}"`;
}

/** A hostile string as JSON text: escaped by JSON.stringify, or with raw surrogates. */
export const stringText: fc.Arbitrary<string> = fc
  .tuple(hostileString, fc.boolean())
  .map(([s, raw]) => (raw ? rawJsonString(s) : JSON.stringify(s)));

/** Values of the wrong type: any JSON value, or any JS value mapped to JSON. */
export const wrongTypeText: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.anything({ maxDepth: 2 }).map((v) => {
    try {
      return JSON.stringify(v) ?? 'null';
    } catch {
      return 'null';
    }
  }),
  fc.constantFrom('true', 'false', 'null', '[]', '{}', '[1000]', '{"amount":1000}'),
);

/** JSON text of a hostile value for any field: a string, a number or a value of the wrong type. */
export const hostileValueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: stringText },
  { weight: 1, arbitrary: numberText },
  { weight: 1, arbitrary: wrongTypeText },
);

/** Bodies that are not a JSON object at all, or not JSON. */
export const junkBody: fc.Arbitrary<string> = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ unit: codeUnit, maxLength: 60 }),
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    '{"username":',
    '{"amount":1000,}',
    "{'amount':1000}",
    '{amount:1000}',
    '[]',
    'null',
    '"str"',
    '1000',
    '\ufeff{}',
    '{}garbage',
    '{"a":1}{"b":2}',
    `${'['.repeat(8000)}${']'.repeat(8000)}`,
    `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
    `{"pad":"${'x'.repeat(17_000)}"}`,
  ),
);

/** Keys to add to an object body: prototype keys (raw, since JSON.stringify drops them), duplicates. */
export const extraKeyText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '"__proto__"',
    '"constructor"',
    '"prototype"',
    '"\\u005f_proto__"',
    '"__proto__ "',
    '"toString"',
    '"hasOwnProperty"',
    '""',
  ),
  hostileString.map((s) => JSON.stringify(s)),
);

export const extraValueText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('{"isAdmin":true}', '{"prototype":{"isAdmin":true}}', 'null', '1', '"x"'),
  wrongTypeText,
);

// ---- bytes on the wire

export const ENCODINGS = ['utf8', 'wtf8', 'latin1', 'broken'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** UTF-8, except that lone surrogates are written as their 3-byte forms (invalid UTF-8). */
function wtf8(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      bytes.push(...Buffer.from(text.slice(i, i + 2), 'utf8'));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      bytes.push(0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f));
    } else {
      bytes.push(...Buffer.from(text[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

export function encodeText(text: string, encoding: Encoding): Buffer {
  if (encoding === 'wtf8') return wtf8(text);
  if (encoding === 'latin1') return Buffer.from(text, 'latin1');
  if (encoding === 'broken') {
    // Bytes that are never valid UTF-8, in the middle of the text.
    const utf8 = Buffer.from(text, 'utf8');
    const at = Math.floor(utf8.length / 2);
    return Buffer.concat([utf8.subarray(0, at), Buffer.from([0xff, 0xc0, 0xaf, 0x80]), utf8.subarray(at)]);
  }
  return Buffer.from(text, 'utf8');
}

/** Percent-encodes a URL component; lone surrogates become their (invalid) 3-byte forms. */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of wtf8(text)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Header values Node can send: tab and bytes 0x20–0xFF except DEL. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({
    unit: fc
      .integer({ min: 0x1f, max: 0xff })
      .filter((n) => n !== 0x7f)
      .map((n) => (n === 0x1f ? '\t' : String.fromCharCode(n))),
    maxLength: 40,
  }),
  fc.constantFrom(...INJECTIONS.filter((s) => /^[\t\x20-\x7e]*$/.test(s))),
);
