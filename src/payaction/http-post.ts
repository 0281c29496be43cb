import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';

export interface PostAnswer {
  status: number;
  text: string;
}

/**
 * One JSON POST with a deadline for the whole exchange; rejects with a `TransportError`. Host and
 * `content-length` are the post's own: `headers` holds the rest.
 */
export type HttpPost = (
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
) => Promise<PostAnswer>;

export class TransportError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

// Payaction answers a few hundred bytes; anything far larger is not an answer worth reading.
const ANSWER_BYTES_MAX = 1 << 20;

/**
 * POSTs over kept-alive connections with node:http. fetch builds web streams, abort signals and
 * header lists for every call, which cost more CPU than the deposit request that makes the call.
 */
export function keepAlivePost(socketsMax = 512): HttpPost {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: socketsMax, scheduling: 'lifo' }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: socketsMax, scheduling: 'lifo' }),
  };
  return (url, headers, body, timeoutMs) =>
    new Promise<PostAnswer>((resolve, reject) => {
      const target = targetOf(url);
      const secure = target.options.protocol === 'https:';
      const request = (secure ? https : http).request({
        ...target.options,
        method: 'POST',
        agent: secure ? agents['https:'] : agents['http:'],
        headers: headerList(target, headers, body),
      });
      let settled = false;
      const fail = (err: TransportError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new TransportError('timed out', true)), timeoutMs);
      request.on('error', (err) => fail(new TransportError(err.message, false)));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > ANSWER_BYTES_MAX) return fail(new TransportError('answer too large', false));
          chunks.push(chunk);
        });
        response.on('error', (err) => fail(new TransportError(err.message, false)));
        response.on('close', () => {
          if (!response.complete) fail(new TransportError('answer cut off', false));
        });
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      request.end(body);
    });
}

/**
 * The request's headers as a flat list, Host first: node:http writes a list as given, where an
 * object's entries are each stored with `setHeader` and read back to write them.
 */
function headerList(target: Target, headers: Record<string, string>, body: string): string[] {
  const list = ['host', target.host];
  for (const name in headers) list.push(name, headers[name] as string);
  list.push('content-length', String(Buffer.byteLength(body)));
  return list;
}

interface Target {
  options: http.RequestOptions;
  /** The Host header node:http writes for an object of headers: the port only when not the default. */
  host: string;
}

const targets = new Map<string, Target>();

/** A URL's request options, parsed once: a client posts to the same two or three URLs. */
function targetOf(url: string): Target {
  let target = targets.get(url);
  if (target === undefined) {
    const parsed = new URL(url);
    target = { options: urlToHttpOptions(parsed), host: parsed.host };
    if (targets.size >= 64) targets.clear();
    targets.set(url, target);
  }
  return target;
}
