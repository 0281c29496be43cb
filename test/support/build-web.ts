import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

/**
 * Vitest global setup: builds the web pages (Vite, into dist/web) when they are missing or older
 * than their sources, so `npm test` on a fresh clone serves and tests what is in web/.
 */
const WEB_SRC = 'web';
const BUILT = join('dist', 'web', 'index.html');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export async function ensureWebBuilt(): Promise<void> {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestMtime(WEB_SRC)) return;
  await build({ configFile: join(WEB_SRC, 'vite.config.ts'), logLevel: 'warn' });
}

export default ensureWebBuilt;
