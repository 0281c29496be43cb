import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Child, startChild } from './child.js';

/** The repository root: the service and the stand-in run from here. */
export const ROOT = new URL('../../', import.meta.url).pathname;

/** Secrets of one bench run, ≥ 32 characters as the service requires. */
export interface Secrets {
  adminToken: string;
  jwtSecret: string;
  webhookKey: string;
  apiKey: string;
  mallId: string;
}

export function newSecrets(): Secrets {
  const secret = () => randomBytes(24).toString('base64url');
  return {
    adminToken: secret(),
    jwtSecret: secret(),
    webhookKey: secret(),
    apiKey: secret(),
    mallId: 'bench-mall',
  };
}

/** The Payaction stand-in as its own process, answering after `latencyMs`. */
export function startStub(secrets: Secrets, latencyMs: number): Promise<Child> {
  return startChild({
    name: `payaction stand-in (${latencyMs} ms)`,
    args: ['--import', 'tsx', 'bench/payaction-stub.ts'],
    cwd: ROOT,
    env: {
      ...process.env,
      STUB_LATENCY_MS: String(latencyMs),
      STUB_API_KEY: secrets.apiKey,
      STUB_MALL_ID: secrets.mallId,
    },
    ready: /^payaction-stub (http:\/\/\S+)$/,
  });
}

export interface ServiceSpec {
  databaseUrl: string;
  dataDir: string;
  payactionUrl: string;
  secrets: Secrets;
  /** Write a V8 CPU profile here when the service exits. */
  cpuProfDir?: string;
  env?: Record<string, string>;
}

/** MAX_PENDING_PER_USER is capped at 1000 by the configuration. */
export const MAX_PENDING_PER_USER = 1000;

/** `node --import tsx src/main.ts serve` on a free port of 127.0.0.1, limits off, background jobs off. */
export function startService(spec: ServiceSpec): Promise<Child> {
  mkdirSync(spec.dataDir, { recursive: true });
  const profiling = spec.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', spec.cpuProfDir] : [];
  return startChild({
    name: 'service',
    args: [...profiling, '--import', 'tsx', join('src', 'main.ts'), 'serve'],
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: spec.databaseUrl,
      DATA_DIR: spec.dataDir,
      LOG_LEVEL: 'warn',
      ADMIN_API_TOKEN: spec.secrets.adminToken,
      AUTH_JWT_SECRET: spec.secrets.jwtSecret,
      PAYACTION_WEBHOOK_KEY: spec.secrets.webhookKey,
      PAYACTION_API_KEY: spec.secrets.apiKey,
      PAYACTION_MALL_ID: spec.secrets.mallId,
      PAYACTION_BASE_URL: spec.payactionUrl,
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_IP_PER_MINUTE: '0',
      AUTH_FAILURES_PER_MINUTE: '0',
      MAX_PENDING_PER_USER: String(MAX_PENDING_PER_USER),
      EXPIRY_INTERVAL_SECONDS: '0',
      LEDGER_CHECK_INTERVAL_SECONDS: '0',
      ...spec.env,
    },
    ready: /^deposit-gateway {2}(http:\/\/\S+)$/,
  });
}
