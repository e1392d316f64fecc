/**
 * What `gc` keeps: the keys every user of a store references. Users are the current config (its
 * plan and lock file), every lock file registered in `<store>/users.json` that still exists, and
 * any pipeline lock file beside the current config (a config that ran before the registry
 * existed). Keeping too much is safe; deleting another config's results is not.
 *
 * @module
 */
import * as path from "node:path";
import { readLock } from "./lock_file.ts";
import type { Store } from "./store.ts";
import { readUsers } from "./store_users.ts";

/** One owner of keys in a store. */
export interface KeyOwner {
  /** The config file (or, for an unregistered lock file, the lock file). */
  label: string;
  lock: string;
  keys: Set<string>;
}

const LOCK_HEADER = "# Written by `pipeline run`";

/** Lock files written by the pipeline in `dir`. */
function siblingLocks(dir: string): string[] {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isFile || !e.name.endsWith(".lock")) continue;
      const file = path.join(dir, e.name);
      try {
        const head = Deno.readTextFileSync(file).slice(0, LOCK_HEADER.length);
        if (head === LOCK_HEADER) out.push(file);
      } catch { /* unreadable: not ours */ }
    }
  } catch { /* no folder */ }
  return out;
}

/**
 * The owners of keys in `store`: the current config first (its planned keys plus its lock file's),
 * then every other registered or sibling lock file that exists.
 */
export function keyOwners(
  store: Store,
  current: { config: string; lock: string; planned: Iterable<string> },
  warn: (m: string) => void,
): KeyOwner[] {
  const lockAbs = path.resolve(current.lock);
  const mine = new Set(current.planned);
  for (const e of readLock(lockAbs, warn).values()) mine.add(e.key);
  const owners: KeyOwner[] = [{ label: path.resolve(current.config), lock: lockAbs, keys: mine }];
  const seen = new Set([lockAbs]);
  const others = [
    ...readUsers(store).map((u) => ({ label: u.config, lock: u.lock })),
    ...siblingLocks(path.dirname(lockAbs)).map((l) => ({ label: l, lock: l })),
  ];
  for (const o of others) {
    if (seen.has(o.lock)) continue;
    seen.add(o.lock);
    try {
      Deno.statSync(o.lock);
    } catch {
      continue; // its config was removed: its results are no longer kept
    }
    const keys = new Set([...readLock(o.lock, warn).values()].map((e) => e.key));
    owners.push({ label: o.label, lock: o.lock, keys });
  }
  return owners;
}

/** Every key any owner references. */
export function liveKeys(owners: KeyOwner[]): Set<string> {
  const live = new Set<string>();
  for (const o of owners) for (const k of o.keys) live.add(k);
  return live;
}
