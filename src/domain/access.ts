import { fail } from './errors.js';
import type { Actor } from './order.js';

/** A user acts only for their own username; an administrator acts for anyone. */
export function assertActsFor(actor: Actor, username: string): void {
  if (actor.kind === 'admin' || (actor.kind === 'user' && actor.id === username)) return;
  throw fail('forbidden');
}

/** Another user's order is reported as unknown, so order numbers cannot be probed. */
export function canSeeOrder(actor: Actor, ownerUsername: string): boolean {
  return actor.kind === 'admin' || (actor.kind === 'user' && actor.id === ownerUsername);
}
