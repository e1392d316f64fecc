import assert from "node:assert/strict";
import { benchmarkNames, BENCHMARKS } from "../../bench/run_all.ts";

Deno.test("deno task bench: names first, the options after them are the benchmarks' own", () => {
  assert.deepEqual(benchmarkNames(["models", "--methods", "did", "--steps", "7"]), ["models"]);
  assert.deepEqual(benchmarkNames(["pipeline", "onnx"]), ["pipeline", "onnx"]);
  assert.deepEqual(benchmarkNames(["--only", "default-did"]), Object.keys(BENCHMARKS));
  assert.deepEqual(benchmarkNames([]), Object.keys(BENCHMARKS));
});
