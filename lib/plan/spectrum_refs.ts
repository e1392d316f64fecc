/**
 * The `delta-spectrum` instances of a plan: one per (model, task, seed) whose full fine-tuning
 * baseline the plan measures (a task with a reference baseline has none), each with the LoRA and
 * DID thresholds of the same (model, task) where the plan has them, and this seed's grid points.
 *
 * @module
 */
import type { InstanceRef, Json } from "../pipeline/stage.ts";
import type { SweepMethod } from "../results/mod.ts";
import { COMPARED_METHODS } from "../spectrum/mod.ts";

/** What the planner knows of one (model, task, method) it measures. */
export interface PlannedThreshold {
  model: string;
  task: string;
  method: SweepMethod;
  threshold: InstanceRef;
  /** The full fine-tuning points, one per seed (empty with a reference baseline). */
  baselinePoints: InstanceRef[];
  points: { size: number; seed: number; point: InstanceRef }[];
}

/** The spectrum instances of `studies` for `seeds`, in study order, each (model, task) once. */
export function spectrumRefs(studies: PlannedThreshold[], seeds: number[]): InstanceRef[] {
  const out: InstanceRef[] = [];
  const pairs = new Map<string, PlannedThreshold[]>();
  for (const s of studies) {
    const k = JSON.stringify([s.model, s.task]);
    pairs.set(k, [...(pairs.get(k) ?? []), s]);
  }
  for (const group of pairs.values()) {
    const first = group.find((s) => s.baselinePoints.length > 0);
    if (!first) continue;
    seeds.forEach((seed, si) => {
      const params: Record<string, Json> = {
        model: first.model,
        task: first.task,
        seed,
        baseline: first.baselinePoints[si] as unknown as Json,
      };
      for (const m of COMPARED_METHODS) {
        const s = group.find((x) => x.method === m);
        if (!s) continue;
        params[m] = {
          threshold: s.threshold,
          points: s.points.filter((g) => g.seed === seed).map((g) => ({
            size: g.size,
            point: g.point,
          })),
        } as unknown as Json;
      }
      out.push({ kind: "delta-spectrum", params });
    });
  }
  return out;
}
