/**
 * `deno task bench`: runs every benchmark under bench/ (or those named on the command line),
 * each printing its own table and writing `bench/results/<name>.json`.
 *
 *   deno task bench               # all
 *   deno task bench pipeline onnx # some
 *   deno task bench models --methods did --steps 7   # options after the names go to the benchmarks
 *
 * @module
 */

/** The benchmarks, by name, in the order they run. Each module exports `main(): Promise<void>`. */
export const BENCHMARKS: Record<string, string> = {
  pipeline: "./pipeline_bench.ts",
  onnx: "./onnx_bench.ts",
  models: "./models_bench.ts",
  pretrain: "./pretrain_bench.ts",
};

/**
 * The benchmarks `args` names: the arguments before the first `--option` (every benchmark when
 * none); from that option on, the arguments are the benchmarks' own (each reads Deno.args).
 */
export function benchmarkNames(args: readonly string[]): string[] {
  const firstOption = args.findIndex((a) => a.startsWith("--"));
  const given = firstOption < 0 ? args : args.slice(0, firstOption);
  return given.length > 0 ? [...given] : Object.keys(BENCHMARKS);
}

if (import.meta.main) {
  const names = benchmarkNames(Deno.args);
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(BENCHMARKS).join(", ")}`,
    );
    Deno.exit(2);
  }
  let failed = 0;
  for (const name of names) {
    console.log(`\n=== bench ${name} ===`);
    try {
      const mod = await import(BENCHMARKS[name]);
      await mod.main();
    } catch (err) {
      failed++;
      console.error(`bench ${name} failed: ${err instanceof Error ? err.message : err}`);
    }
  }
  Deno.exit(failed > 0 ? 1 : 0);
}
