/**
 * The dry run's CPU step times come from bench/results/models.json, as the median of the steps
 * after warm-up (the first steps page in θ0 and the Fastfood side file: 36–43 s where later DID
 * steps take ~10 s).
 */
import assert from "node:assert/strict";
import { stepMeasurements } from "../../lib/train/step_times.ts";

Deno.test("CPU step times are the steady-state medians the models benchmark recorded", () => {
  const file = JSON.parse(
    Deno.readTextFileSync(new URL("../../bench/results/models.json", import.meta.url)),
  ) as { rows: { method: string; medianStepSeconds: number; stepSeconds: number[] }[] };
  const cpu = stepMeasurements().filter((m) => m.device === "cpu");
  assert.equal(cpu.length, file.rows.length);
  for (const row of file.rows) {
    const m = cpu.find((x) => x.cost.method === row.method);
    assert.ok(m, `a cpu measurement of ${row.method}`);
    assert.equal(m.seconds, row.medianStepSeconds);
    assert.ok(m.seconds < Math.max(...row.stepSeconds), `${row.method}: warm-up steps excluded`);
  }
});
