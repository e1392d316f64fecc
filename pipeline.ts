/**
 * The idim command line. `deno task pipeline` runs the default experiment (`pipeline.yaml`);
 * `deno task pipeline <command> ...` runs any command (`run`, `status`, `dag`, `show`, `gc`, `verify`);
 * arguments that do not start with a command are `run`'s.
 *
 * @module
 */
import { executors } from "./executors/mod.ts";
import { DEVICE_OPTION } from "./lib/device/mod.ts";
import { main, routeArgs } from "./lib/pipeline/mod.ts";
import { idimPlanner } from "./lib/plan/mod.ts";
import { stages } from "./stages/mod.ts";

if (import.meta.main) {
  const args = routeArgs(Deno.args);
  Deno.exit(
    await main(args, {
      planner: idimPlanner,
      stages,
      executors,
      device: DEVICE_OPTION,
      defaultConfig: "pipeline.yaml",
    }),
  );
}
