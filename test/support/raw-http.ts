import { Agent, request } from 'node:http';

/**
 * A byte-exact HTTP client for hostile requests: the path, header values and body go out as given
 * (fetch would normalise `..`, re-encode the path and turn lone surrogates into U+FFFD).
 */
export interface RawRequest {
  method: string;
  /** Sent as is: only bytes 0x21–0xFF (percent-encode anything else). */
  path: string;
  /** Values are Latin-1 (tab, 0x20–0x7E, 0x80–0xFF); an array repeats the header. */
  headers: Record<string, string | string[]>;
  body?: Buffer;
}

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

function once(base: URL, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(req.body.length);
    const outgoing = request(
      { host: base.hostname, port: base.port, method: req.method, path: req.path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/**
 * Sends the request. A server that answers early (413, 431) and closes may reset the connection
 * while the body is still being written: the answer already read is lost then, so the request is
 * sent once more on a fresh connection before the error counts.
 */
export async function sendRaw(base: URL, req: RawRequest): Promise<RawResponse> {
  try {
    return await once(base, req);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ECONNRESET' && code !== 'EPIPE') throw err;
    return once(base, req);
  }
}

/** Bytes of the request line and headers, to tell when Node's 16 KiB header limit applies. */
export function headBytes(req: RawRequest): number {
  let n = req.method.length + req.path.length + 12;
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : [value])
      n += name.length + Buffer.byteLength(v, 'latin1') + 4;
  }
  return n + 64; // host, connection, content-length
}

export function closeRawAgent(): void {
  agent.destroy();
}
