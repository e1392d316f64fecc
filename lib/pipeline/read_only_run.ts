/**
 * `run` on a store that cannot be written (read-only file system, no permission): when every
 * selected instance is cached, the run succeeds without writing to the store (outputs are still
 * published where the project allows); otherwise it stops with one line naming the store and
 * the cause, before anything is written.
 *
 * @module
 */
import * as path from "node:path";
import type { Dag, Instance } from "./dag.ts";
import { PipelineError } from "./errors.ts";
import { EXIT } from "./exit_codes.ts";
import { evaluate } from "./runner.ts";
import { StateCache } from "./state.ts";
import type { Store } from "./store.ts";

/** What a read-only run looks at. */
export interface ReadOnlyRunInput {
  dag: Dag;
  considered: Instance[];
  forced: Set<Instance>;
  store: Store;
  lockFile: string;
  /** The project root (publish paths are relative to it). */
  root: string;
  /** The folder printed paths are relative to (default: the process's). */
  cwd?: string;
}

/** Runs a fully cached selection without writing the store; throws PipelineError otherwise. */
export function readOnlyRun(
  input: ReadOnlyRunInput,
  cause: string,
  io: { print(t: string): void; warn(m: string): void },
): number {
  const where = path.relative(input.cwd ?? Deno.cwd(), input.store.root) || input.store.root;
  const verdicts = evaluate({
    dag: input.dag,
    considered: input.considered,
    forced: input.forced,
    store: input.store,
    state: new StateCache(input.store.stateFile).load(),
    lockFile: input.lockFile,
    repair: false,
    warn: io.warn,
  });
  const toRun = verdicts.filter((v) => v.action === "run");
  if (toRun.length > 0) {
    throw new PipelineError(
      `cannot write the store ${where}: ${cause}; ${toRun.length} instance${
        toRun.length > 1 ? "s" : ""
      } would need to run (first: ${toRun[0].inst.id}); nothing was written`,
      EXIT.environment,
    );
  }
  let publishFailures = 0;
  for (const v of verdicts) {
    if (!v.inst.publish || !v.manifest) continue;
    try {
      input.store.publish(v.manifest, path.resolve(input.root, v.inst.publish));
    } catch (e) {
      publishFailures += 1;
      io.warn(`publishing ${v.inst.id} to ${v.inst.publish} failed: ${(e as Error).message}`);
    }
  }
  io.print(
    `store ${where} is not writable (${cause}): all ${verdicts.length} selected instances are ` +
      "cached; nothing ran and the store was not touched",
  );
  return publishFailures > 0 ? EXIT.failed : EXIT.ok;
}
