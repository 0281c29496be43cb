import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';

export interface PostAnswer {
  status: number;
  text: string;
}

/** One JSON POST with a deadline for the whole exchange; rejects with a `TransportError`. */
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
      const secure = target.protocol === 'https:';
      const request = (secure ? https : http).request({
        ...target,
        method: 'POST',
        agent: secure ? agents['https:'] : agents['http:'],
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
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

const targets = new Map<string, http.RequestOptions>();

/** A URL's request options, parsed once: a client posts to the same two or three URLs. */
function targetOf(url: string): http.RequestOptions {
  let target = targets.get(url);
  if (target === undefined) {
    target = urlToHttpOptions(new URL(url));
    if (targets.size >= 64) targets.clear();
    targets.set(url, target);
  }
  return target;
}
