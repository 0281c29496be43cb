/**
 * A Payaction stand-in for benchmarks, run as its own process so that it takes no CPU from the load
 * generator's event loop. `POST /order` and `POST /order-exclude` answer
 * `{"status":"success","response":{}}` after STUB_LATENCY_MS; `GET /_stats` counts the calls.
 * Listens on 127.0.0.1 only and prints `payaction-stub <url>` when ready.
 */
import { createServer } from 'node:http';
import { serveAndAnnounce } from './lib/child.js';

const latencyMs = Number(process.env.STUB_LATENCY_MS ?? '0');
const apiKey = process.env.STUB_API_KEY ?? '';
const mallId = process.env.STUB_MALL_ID ?? '';
const SUCCESS = JSON.stringify({ status: 'success', response: {} });
const calls: Record<string, number> = { '/order': 0, '/order-exclude': 0, rejected: 0 };

const server = createServer((req, res) => {
  const send = (status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  req.resume();
  req.on('end', () => {
    const path = req.url ?? '';
    if (req.method === 'GET' && path === '/_stats') return send(200, JSON.stringify(calls));
    if (req.method !== 'POST' || (path !== '/order' && path !== '/order-exclude')) return send(404, '{}');
    if (req.headers['x-api-key'] !== apiKey || req.headers['x-mall-id'] !== mallId) {
      calls.rejected = (calls.rejected ?? 0) + 1;
      return send(401, JSON.stringify({ status: 'error', response: { message: 'invalid credentials' } }));
    }
    calls[path] = (calls[path] ?? 0) + 1;
    if (latencyMs > 0) setTimeout(() => send(200, SUCCESS), latencyMs);
    else send(200, SUCCESS);
  });
});
server.keepAliveTimeout = 60_000;
serveAndAnnounce(server, 'payaction-stub');
