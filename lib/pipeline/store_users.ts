/**
 * Which configs use a store: `<store>/users.json` lists the config file and lock file of every
 * invocation that ran against the store (updated at each run, under the run lock). `gc` keeps the
 * union of what every registered lock file that still exists references, so collecting with one
 * config never deletes another config's results in a shared store.
 *
 * @module
 */
import * as path from "node:path";
import { writeFileAtomic } from "./fsutil.ts";
import type { Store } from "./store.ts";

/** One registered user of a store. */
export interface StoreUser {
  /** Absolute path of the config file. */
  config: string;
  /** Absolute path of its lock file. */
  lock: string;
  /** ISO time of its last run against the store. */
  lastRun: string;
}

/** The registry file of a store. */
export function usersFile(store: Store): string {
  return path.join(store.root, "users.json");
}

/** The registered users (empty when none were registered or the file is unreadable). */
export function readUsers(store: Store): StoreUser[] {
  try {
    const data = JSON.parse(Deno.readTextFileSync(usersFile(store)));
    if (data?.v !== 1 || !Array.isArray(data.users)) return [];
    return (data.users as StoreUser[]).filter((u) =>
      typeof u?.config === "string" && typeof u?.lock === "string"
    );
  } catch {
    return [];
  }
}

/**
 * Records that `config` (with lock file `lock`) runs against `store`. Call it holding the run
 * lock. A failure to write only warns: the registry is bookkeeping for `gc`.
 */
export function registerUser(
  store: Store,
  config: string,
  lock: string,
  warn: (m: string) => void,
): void {
  const abs = { config: path.resolve(config), lock: path.resolve(lock) };
  const users = readUsers(store).filter((u) => u.lock !== abs.lock);
  users.push({ ...abs, lastRun: new Date().toISOString() });
  users.sort((a, b) => a.lock.localeCompare(b.lock));
  try {
    writeFileAtomic(
      usersFile(store),
      JSON.stringify({ v: 1, users }, null, 1) + "\n",
      store.tmp,
      false,
    );
  } catch (e) {
    warn(`cannot record this config in ${usersFile(store)}: ${(e as Error).message}`);
  }
}
