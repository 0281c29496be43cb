import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built web pages (Vite writes them to `dist/web`): the two HTML entry points and their
 * content-hashed assets. Only names of the hashed-asset shape are ever read, so no request can
 * reach a file outside `dist/web/assets`.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ASSET_NAME_RE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/;

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** What the pages need to know about this instance, written into each page's `dg-settings` meta tag. */
export interface PageSettings {
  sandbox: boolean;
  minAmount: number;
  maxAmount: number;
}

/** `dist/web` next to the package's own `dist/src` (the path is the same from `src/` under tsx). */
export function defaultWebDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, 'dist', 'web');
}

const escapeAttribute = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** A page's HTML with the instance's settings filled in, or undefined when the pages are not built. */
export async function readPage(
  webDir: string,
  page: 'deposit' | 'admin',
  settings: PageSettings,
): Promise<string | undefined> {
  const file = page === 'deposit' ? join(webDir, 'index.html') : join(webDir, 'admin', 'index.html');
  const html = await readFile(file, 'utf8').catch(() => undefined);
  return html?.replace(
    /<meta name="dg-settings" content="[^"]*"\s*\/?>/,
    `<meta name="dg-settings" content="${escapeAttribute(JSON.stringify(settings))}">`,
  );
}

export interface Asset {
  body: Buffer;
  contentType: string;
}

const assetCache = new Map<string, Asset>();

/** A hashed asset by its bare file name; undefined for any other name or a missing file. */
export async function readAsset(webDir: string, name: string): Promise<Asset | undefined> {
  if (!ASSET_NAME_RE.test(name) || name.includes('..')) return undefined;
  const contentType = CONTENT_TYPES[extname(name)];
  if (!contentType) return undefined;
  const file = join(webDir, 'assets', name);
  const cached = assetCache.get(file);
  if (cached) return cached;
  const body = await readFile(file).catch(() => undefined);
  if (!body) return undefined;
  const asset = { body, contentType };
  assetCache.set(file, asset);
  return asset;
}
