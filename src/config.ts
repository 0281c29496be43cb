import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface Config {
  readonly production: boolean;
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string;
  /** How long one MySQL/PostgreSQL query may take before the request gets 503; 0 = unbounded. */
  readonly dbQueryTimeoutMs: number;
  /** MySQL/PostgreSQL connections this instance may hold (SQLite has one). */
  readonly dbPoolSize: number;
  /** Where rate-limit counters are shared between instances; empty = each instance counts alone. */
  readonly redisUrl: string;
  readonly dataDir: string;
  readonly adminApiToken: string;
  readonly authJwtSecret: string;
  readonly metricsToken: string;
  /** How often the ledger invariants are checked in the background (for /metrics); 0 = never. */
  readonly ledgerCheckIntervalSeconds: number;
  readonly payaction: {
    /** No Payaction credentials outside production: the service runs its own sandbox. */
    readonly sandbox: boolean;
    readonly sandboxPort: number;
    readonly baseUrl: string;
    readonly apiKey: string;
    readonly mallId: string;
    readonly webhookKey: string;
    readonly timeoutMs: number;
    readonly attemptsMax: number;
  };
  readonly bank: { readonly name: string; readonly account: string; readonly holder: string };
  readonly minAmount: number;
  readonly maxAmount: number;
  readonly maxPendingPerUser: number;
  readonly orderTtlMinutes: number;
  /** How often the background job expires pending orders; 0 turns the job off. */
  readonly expiryIntervalSeconds: number;
  readonly autoCreateUsers: boolean;
  readonly logLevel: string;
  readonly security: SecurityConfig;
}

export interface SecurityConfig {
  /** Requests per minute per credential (user or admin token); 0 = unlimited. */
  readonly rateLimitPerMinute: number;
  /** Requests per minute per client address; 0 = unlimited. */
  readonly ipRateLimitPerMinute: number;
  /** Failed authentications per minute per client address before it gets 429; 0 = unlimited. */
  readonly authFailuresPerMinute: number;
  readonly corsOrigins: readonly string[];
  /** CIDRs Payaction's webhooks may come from; empty = any address. */
  readonly webhookAllowedIps: readonly string[];
  /** Fastify's `trustProxy`: false, true, a hop count, or the proxies' addresses. */
  readonly trustProxy: boolean | number | string[];
}

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SECRET_LENGTH_MIN = 32;
const DEV_SECRETS_FILE = 'secrets.json';
const GENERATED_SECRETS = ['ADMIN_API_TOKEN', 'AUTH_JWT_SECRET', 'PAYACTION_WEBHOOK_KEY'] as const;

function intVar(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number between ${min} and ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
}

function secretVar(env: Env, name: string, problems: string[]): string {
  const value = env[name] ?? '';
  if (value.length < SECRET_LENGTH_MIN) {
    problems.push(
      value === ''
        ? `${name} is required`
        : `${name} must be at least ${SECRET_LENGTH_MIN} characters (got ${value.length})`,
    );
  }
  return value;
}

function requiredVar(env: Env, name: string, problems: string[]): string {
  const value = env[name] ?? '';
  if (value.trim() === '') problems.push(`${name} is required`);
  return value;
}

function boolVar(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  problems.push(`${name} must be true or false (got "${raw}")`);
  return fallback;
}

const listVar = (env: Env, name: string): string[] =>
  (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function redisUrl(env: Env, problems: string[]): string {
  const raw = env.REDIS_URL ?? '';
  if (raw === '') return '';
  if (!/^rediss?:\/\/[^\s]+$/.test(raw) || !URL.canParse(raw))
    problems.push('REDIS_URL must be a redis:// or rediss:// URL');
  return raw;
}

function corsOrigins(env: Env, problems: string[]): string[] {
  const origins = listVar(env, 'CORS_ORIGINS');
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      problems.push(`CORS_ORIGINS: "${origin}" is not an origin like https://shop.example`);
  }
  return origins;
}

function isCidr(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/');
  const family = address ? isIP(address) : 0;
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

function cidrList(env: Env, name: string, problems: string[]): string[] {
  const entries = listVar(env, name);
  for (const entry of entries) {
    if (!isCidr(entry)) problems.push(`${name}: "${entry}" is not an IP address or CIDR block`);
  }
  return entries;
}

function trustProxy(env: Env, problems: string[]): boolean | number | string[] {
  const raw = env.TRUST_PROXY ?? '';
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d{1,2}$/.test(raw)) return Number(raw);
  return cidrList(env, 'TRUST_PROXY', problems);
}

/** Reads and checks every variable, reporting all problems at once. Pure: no files, no clock. */
export function parseConfig(env: Env): Config {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';
  const dataDir = env.DATA_DIR || './data';
  const port = intVar(env, 'PORT', 3000, 0, 65535, problems);
  const databaseUrl = env.DATABASE_URL || `sqlite:${join(dataDir, 'deposit-gateway.db')}`;
  if (!/^(sqlite:|mysql:\/\/|mariadb:\/\/|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with sqlite:, mysql://, mariadb://, postgres:// or postgresql://');
  }
  const sandbox = !production && !env.PAYACTION_API_KEY;
  const sandboxPort = intVar(env, 'SANDBOX_PORT', port === 0 ? 0 : port + 1, 0, 65535, problems);
  const baseUrl = sandbox
    ? `http://127.0.0.1:${sandboxPort}`
    : env.PAYACTION_BASE_URL || 'https://api.payaction.app';
  if (!/^https?:\/\/[^\s]+$/.test(baseUrl)) problems.push('PAYACTION_BASE_URL must be an http(s) URL');
  const minAmount = intVar(env, 'MIN_AMOUNT', 1000, 1, Number.MAX_SAFE_INTEGER, problems);
  const maxAmount = intVar(env, 'MAX_AMOUNT', 10_000_000, 1, Number.MAX_SAFE_INTEGER, problems);
  if (minAmount > maxAmount) problems.push('MIN_AMOUNT must not exceed MAX_AMOUNT');

  const config: Config = {
    production,
    host: env.HOST || '0.0.0.0',
    port,
    databaseUrl,
    dbQueryTimeoutMs: intVar(env, 'DB_QUERY_TIMEOUT_MS', 5000, 0, 600_000, problems),
    dbPoolSize: intVar(env, 'DB_POOL_SIZE', 10, 1, 1000, problems),
    redisUrl: redisUrl(env, problems),
    dataDir,
    adminApiToken: secretVar(env, 'ADMIN_API_TOKEN', problems),
    authJwtSecret: secretVar(env, 'AUTH_JWT_SECRET', problems),
    metricsToken: env.METRICS_TOKEN ? secretVar(env, 'METRICS_TOKEN', problems) : '',
    ledgerCheckIntervalSeconds: intVar(env, 'LEDGER_CHECK_INTERVAL_SECONDS', 300, 0, 86_400, problems),
    payaction: {
      sandbox,
      sandboxPort,
      baseUrl: baseUrl.replace(/\/+$/, ''),
      apiKey: sandbox ? 'sandbox-api-key' : (env.PAYACTION_API_KEY ?? ''),
      mallId: sandbox
        ? env.PAYACTION_MALL_ID || 'sandbox-mall'
        : requiredVar(env, 'PAYACTION_MALL_ID', problems),
      webhookKey: secretVar(env, 'PAYACTION_WEBHOOK_KEY', problems),
      timeoutMs: intVar(env, 'PAYACTION_TIMEOUT_MS', 5000, 100, 60_000, problems),
      attemptsMax: intVar(env, 'PAYACTION_ATTEMPTS_MAX', 3, 1, 10, problems),
    },
    bank: {
      name: production ? requiredVar(env, 'BANK_NAME', problems) : env.BANK_NAME || '국민은행',
      account: production ? requiredVar(env, 'BANK_ACCOUNT', problems) : env.BANK_ACCOUNT || '000000000000',
      holder: production ? requiredVar(env, 'BANK_HOLDER', problems) : env.BANK_HOLDER || '예금주',
    },
    minAmount,
    maxAmount,
    maxPendingPerUser: intVar(env, 'MAX_PENDING_PER_USER', 5, 1, 1_000_000, problems),
    orderTtlMinutes: intVar(env, 'ORDER_TTL_MINUTES', 1440, 1, 525_600, problems),
    expiryIntervalSeconds: intVar(env, 'EXPIRY_INTERVAL_SECONDS', 60, 0, 86_400, problems),
    autoCreateUsers: boolVar(env, 'AUTO_CREATE_USERS', false, problems),
    logLevel: env.LOG_LEVEL || 'info',
    security: {
      rateLimitPerMinute: intVar(env, 'RATE_LIMIT_PER_MINUTE', 600, 0, 10_000_000, problems),
      ipRateLimitPerMinute: intVar(env, 'RATE_LIMIT_IP_PER_MINUTE', 1200, 0, 10_000_000, problems),
      authFailuresPerMinute: intVar(env, 'AUTH_FAILURES_PER_MINUTE', 10, 0, 1_000_000, problems),
      corsOrigins: corsOrigins(env, problems),
      webhookAllowedIps: cidrList(env, 'WEBHOOK_ALLOWED_IPS', problems),
      trustProxy: trustProxy(env, problems),
    },
  };
  if (production && !env.PAYACTION_API_KEY) {
    problems.push('PAYACTION_API_KEY is required: the Payaction sandbox does not run in production');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/**
 * Outside production, secrets that are not configured are generated once and kept in
 * `<DATA_DIR>/secrets.json`, so restarts keep issued tokens valid. Returns the environment with
 * them filled in and the names that were generated now.
 */
export function withDevSecrets(env: Env): { env: Env; generated: string[] } {
  if (env.NODE_ENV === 'production') return { env, generated: [] };
  const dataDir = env.DATA_DIR || './data';
  const file = join(dataDir, DEV_SECRETS_FILE);
  const stored: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const generated: string[] = [];
  const filled: Env = { ...env };
  for (const name of GENERATED_SECRETS) {
    if (filled[name]) continue;
    if (!stored[name]) {
      stored[name] = randomBytes(32).toString('base64url');
      generated.push(name);
    }
    filled[name] = stored[name];
  }
  if (generated.length > 0) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
  return { env: filled, generated };
}

/** Loads `.env` (when present) under the real environment, which wins. */
export function readEnvFile(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
