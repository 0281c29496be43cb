import type { Db } from '../db/connect.js';
import { isMigrated } from '../db/migrations.js';

const READY_TIMEOUT_MS = 2000;

export type Readiness = 'ready' | 'database_unreachable' | 'not_migrated';

/** Database reachable and every migration applied, within a bound so a hanging database fails fast. */
export async function checkReady(db: Db, timeoutMs = READY_TIMEOUT_MS): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Readiness>((resolve) => {
    timer = setTimeout(() => resolve('database_unreachable'), timeoutMs);
  });
  const check = isMigrated(db).then(
    (migrated): Readiness => (migrated ? 'ready' : 'not_migrated'),
    (): Readiness => 'database_unreachable',
  );
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
