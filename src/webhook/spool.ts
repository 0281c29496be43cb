import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { WebhookDelivery } from './webhook.repository.js';

/**
 * A durable local queue for webhook deliveries that arrive while the database cannot take them.
 * Payaction resends a failed delivery only three times, so a delivery that meets an outage is
 * written here — one file per delivery, fsynced along with its directory — and acknowledged; it
 * is applied once the database is back, through the same exactly-once path as a live delivery.
 */
export class WebhookSpool {
  constructor(readonly dir: string) {}

  /** Resolves only once the delivery is on disk; rejects if it cannot be stored. */
  async put(delivery: WebhookDelivery, nowMs: number): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const name = `${String(nowMs).padStart(15, '0')}-${randomBytes(6).toString('hex')}.json`;
    const tmp = join(this.dir, `.${name}.tmp`);
    const file = await open(tmp, 'wx', 0o600);
    try {
      await file.writeFile(JSON.stringify(delivery));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, join(this.dir, name));
    await syncDir(this.dir);
    return name;
  }

  /** Spooled deliveries, oldest first. */
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async read(name: string): Promise<WebhookDelivery> {
    return JSON.parse(await readFile(join(this.dir, name), 'utf8')) as WebhookDelivery;
  }

  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name));
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
