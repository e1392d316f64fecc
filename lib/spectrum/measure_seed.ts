/**
 * What `delta-spectrum` does for one (model, task, seed): pick the runs (the baseline point's
 * best lr; the grid point at this seed's r90 / d90 and its best lr), obtain their weight-keeping
 * twins, and measure every matrix's ΔW spectrum. A method whose threshold was not reached, or
 * whose point has no successful run, is recorded as `unavailable` with the reason.
 *
 * @module
 */
import * as path from "node:path";
import { readConfig } from "../models/mod.ts";
import type { InstanceRef } from "../refs/mod.ts";
import {
  type DeltaSpectrum,
  readPointResult,
  readRunResult,
  readThresholdResult,
  type RunSpectrum,
} from "../results/mod.ts";
import { readKeptWeights } from "../train/mod.ts";
import { typesOfLoraTarget } from "./matrices.ts";
import { didUpdate, loraUpdate, Pretrained, runSpectra, type Update } from "./run_spectra.ts";
import {
  COMPARED_METHODS,
  type ComparedMethod,
  graphsRefOf,
  inputName,
  lrsOf,
  type SpectrumParams,
} from "./spectrum_params.ts";

/** How the singular values are computed, as the record states it. */
export const SVD_METHOD = "eigenvalues of the smaller Gram matrix (float64) by ml-matrix's " +
  "symmetric EVD; σ = √λ";

/** What the measurement is given by the stage. */
export interface SpectrumContext {
  params: SpectrumParams;
  inputs: Record<string, string>;
  inputKeys: Record<string, string>;
  obtain(name: string): Promise<string>;
  log(message: string): void;
}

/** The update of a point's runs, from its exported graphs' parameters. */
function updateOf(method: "full" | ComparedMethod, point: InstanceRef, pre: Pretrained): Update {
  if (method === "full") return { method };
  const g = graphsRefOf(point).params as Record<string, unknown>;
  if (method === "lora") {
    return loraUpdate({
      r: g.size as number,
      alpha: g.loraAlpha as number,
      rslora: g.rslora as boolean | undefined,
      targets: g.loraTargets as string[] | undefined,
    });
  }
  const projection = (g.projection ?? "per-tensor") as "per-tensor" | "global";
  return didUpdate(pre.config, g.numLabels as number, g.seed as number, projection);
}

/** Measures one point's best run: obtains its weight-keeping twin, reads it, measures. */
async function measurePoint(
  ctx: SpectrumContext,
  pre: Pretrained,
  method: "full" | ComparedMethod,
  size: number | null,
  point: InstanceRef,
  pointDir: string,
  keptName: (j: number) => string,
): Promise<RunSpectrum> {
  const pt = readPointResult(pointDir);
  const none = (reason: string): RunSpectrum => ({
    method,
    size,
    lr: null,
    status: "unavailable",
    reason,
    matrices: [],
  });
  if (pt.bestLr === null) return none("no run of the point finished with an evaluation");
  const j = lrsOf(point).indexOf(pt.bestLr);
  if (j < 0) return none(`best lr ${pt.bestLr} is not in the point's lr grid`);
  const name = keptName(j);
  const dir = await ctx.obtain(name);
  const run = readRunResult(dir);
  const kept = readKeptWeights(dir);
  const value = run.best?.report[run.metric] ?? null;
  if (value !== pt.value) {
    ctx.log(
      `warning: the weight-keeping rerun of ${method} lr ${pt.bestLr} reports ${value}, the ` +
        `point's run ${pt.value} (training is not bit-reproducible here)`,
    );
  }
  const t0 = performance.now();
  const matrices = runSpectra(pre, kept.tensors, updateOf(method, point, pre), ctx.log);
  return {
    method,
    size,
    lr: pt.bestLr,
    status: "ok",
    ...(typeof run.key === "string" ? { runKey: run.key } : {}),
    value,
    matrices,
    svdSeconds: (performance.now() - t0) / 1000,
  };
}

/** Measures every run of one (model, task, seed). */
export async function measureSeed(ctx: SpectrumContext): Promise<DeltaSpectrum> {
  const p = ctx.params;
  const modelDir = ctx.inputs.model;
  const pre = new Pretrained(modelDir, readConfig(path.join(modelDir, "config.json")));
  const runs: RunSpectrum[] = [
    await measurePoint(ctx, pre, "full", null, p.baseline, ctx.inputs.baseline, inputName.keptFull),
  ];
  let loraTypes: string[] = [];
  for (const m of COMPARED_METHODS) {
    const c = p[m];
    if (!c) continue;
    if (m === "lora") {
      const g = graphsRefOf(c.points[0].point).params as { loraTargets?: string[] };
      loraTypes = [...new Set((g.loraTargets ?? ["query", "value"]).flatMap(typesOfLoraTarget))];
    }
    const th = readThresholdResult(ctx.inputs[inputName.threshold(m)]);
    const mine = th.perSeed.find((s) => s.seed === p.seed);
    const size = mine ? mine.value : th.perSeed.length === 0 ? th.value : null;
    const i = c.points.findIndex((g) => g.size === size);
    if (size === null || i < 0) {
      runs.push({
        method: m,
        size: null,
        lr: null,
        status: "unavailable",
        reason: size === null
          ? `${th.method} threshold not reached for seed ${p.seed}`
          : `no grid point of size ${size}`,
        matrices: [],
      });
      continue;
    }
    const pointDir = await ctx.obtain(inputName.point(m, i));
    runs.push(
      await measurePoint(
        ctx,
        pre,
        m,
        size,
        c.points[i].point,
        pointDir,
        (j) => inputName.kept(m, i, j),
      ),
    );
  }
  return {
    model: p.model,
    task: p.task,
    seed: p.seed,
    layers: pre.config.numLayers,
    loraTypes,
    method: SVD_METHOD,
    runs,
  };
}
