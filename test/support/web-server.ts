import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, parseConfig } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/server.js';

export const WEB_ADMIN_TOKEN = 'web-admin-token-0123456789abcdefghijklmnop';
const WEB_JWT_SECRET = 'web-jwt-secret-0123456789abcdefghijklmnopqrs';
const WEB_WEBHOOK_KEY = 'web-webhook-key-0123456789abcdefghijklmnop';

export interface WebServer {
  url: string;
  config: Config;
  server: RunningServer;
  close(): Promise<void>;
}

/**
 * The real service as `npm start` runs it, on SQLite in a fresh directory and an ephemeral port:
 * in sandbox mode (embedded Payaction sandbox) unless `real` points it at a Payaction address.
 */
export async function startWebServer(options: { real?: boolean } = {}): Promise<WebServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dg-web-'));
  const config = parseConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ADMIN_API_TOKEN: WEB_ADMIN_TOKEN,
    AUTH_JWT_SECRET: WEB_JWT_SECRET,
    PAYACTION_WEBHOOK_KEY: WEB_WEBHOOK_KEY,
    EXPIRY_INTERVAL_SECONDS: '0',
    ...(options.real
      ? {
          PAYACTION_API_KEY: 'real-mode-api-key',
          PAYACTION_MALL_ID: 'real-mode-mall',
          PAYACTION_BASE_URL: 'http://127.0.0.1:9',
        }
      : {}),
  });
  const server = await startServer(config);
  return {
    url: server.url,
    config,
    server,
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
