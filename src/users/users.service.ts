import { autocommit } from '../db/tx.js';
import type { Deps } from '../deps.js';
import { assertActsFor } from '../domain/access.js';
import { fail } from '../domain/errors.js';
import type { Actor } from '../domain/order.js';
import { type Page, type PageRequest, toPage } from '../domain/page.js';
import { checkWalletAddress } from '../domain/wallet.js';
import { findUser, insertUser, listUsers, setWalletAddress, type User } from './users.repository.js';

function checkedWallet(address: string | null | undefined): string | null {
  if (address === null || address === undefined) return null;
  const check = checkWalletAddress(address);
  if (!check.ok)
    throw fail('validation_error', check.reason === 'tron_checksum' ? 'wallet_checksum' : 'wallet_format');
  return address;
}

export async function getUser(deps: Deps, actor: Actor, username: string): Promise<User> {
  assertActsFor(actor, username);
  const user = await findUser(deps.db.kysely, username);
  if (!user) throw fail('user_not_found');
  return user;
}

export async function createUser(deps: Deps, username: string, walletAddress?: string | null): Promise<User> {
  const wallet = checkedWallet(walletAddress);
  const user = await autocommit(deps.db, (db) => insertUser(db, username, wallet, deps.clock.now()));
  if (!user) throw fail('user_exists');
  return user;
}

/**
 * The user, created first if missing (the sandbox's demo user, a first deposit with
 * AUTO_CREATE_USERS). Two callers may race to create it; either insert is as good as the other.
 */
export async function ensureUser(deps: Deps, username: string): Promise<User> {
  return (
    (await autocommit(deps.db, (db) => insertUser(db, username, null, deps.clock.now()))) ??
    (await findUser(deps.db.kysely, username)) ??
    Promise.reject(new Error(`user ${username} vanished while being created`))
  );
}

export async function pageUsers(deps: Deps, page: PageRequest): Promise<Page<User>> {
  return toPage(await listUsers(deps.db.kysely, page.limit + 1, page.beforeId), page.limit);
}

export async function updateWallet(
  deps: Deps,
  username: string,
  walletAddress: string | null,
): Promise<User> {
  const address = checkedWallet(walletAddress);
  if (!(await autocommit(deps.db, (db) => setWalletAddress(db, username, address, deps.clock.now()))))
    throw fail('user_not_found');
  const user = await findUser(deps.db.kysely, username);
  if (!user) throw fail('user_not_found');
  return user;
}
