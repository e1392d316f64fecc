/**
 * idim's planner: expands the `experiment:` section of a config into the DAG's root instance —
 * the report — whose inputs reach every threshold, lr-search point, training run, exported
 * graph, tokenized dataset, dataset and model. Identical references are one instance, so a
 * model, dataset or graph shared by many runs is built once.
 *
 * @module
 */
import {
  describeValue,
  PlanError,
  type PlannedRef,
  type Planner,
  publishFolder,
} from "../pipeline/mod.ts";
import type { InstanceRef, Json } from "../pipeline/stage.ts";
import YAML from "yaml";
import type { ProvenanceParams } from "../report/mod.ts";
import { droppedLine, sizeParamOf, type SweepMethod, trainKindOf } from "../results/mod.ts";
import { EVAL_POLICY } from "../train/mod.ts";
import {
  type Experiment,
  experimentSchema,
  type ModelSpec,
  TRAIN_DEFAULTS,
  type TrainSettings,
} from "./experiment_schema.ts";
import { extensionLrs, lrGridFor } from "./lr_grid.ts";
import { clean, modelRefs, type PlannedModel } from "./model_refs.ts";
import { numLabels } from "./task_facts.ts";
import { type PlannedThreshold, spectrumRefs } from "./spectrum_refs.ts";
import {
  type Drop,
  droppedPoints,
  experimentProblems,
  type ValidationContext,
  valueAt,
} from "./validate.ts";

export { modelRefs, type PlannedModel, pretrainChain } from "./model_refs.ts";
export { numLabels } from "./task_facts.ts";

type Sweep = SweepMethod;

/** The size grid of a method's section: its `d` or `r` list, per the method table. */
function sizeGridOf(method: Sweep, section: { d: number[] } | { r: number[] }): number[] {
  return (section as Record<string, number[]>)[sizeParamOf(method)!];
}

/** Keys of a training-settings layer (`experiment.train`, a method section, `task.train`). */
const SETTING_KEYS = new Set([
  ...Object.keys(TRAIN_DEFAULTS),
  "steps",
  "epochs",
  "checkpoint_every",
]);

/** The checkpoint of a model that the main sweeps use. */
function mainModel(name: string, spec: ModelSpec, root?: string): PlannedModel {
  const refs = modelRefs(name, spec, root);
  if (spec.source !== "pretrain") return refs.get(null)!;
  const steps = spec.use_checkpoint ?? Math.max(...spec.checkpoints);
  const m = refs.get(steps);
  if (!m) {
    throw new Error(
      `experiment.models.${name}.use_checkpoint: ${steps} is not one of checkpoints ` +
        `[${spec.checkpoints.join(", ")}]`,
    );
  }
  return m;
}

/** Plans the experiment. */
export class IdimPlan {
  /** `root`: the config file's folder, against which a local model's relative path resolves. */
  constructor(readonly exp: Experiment, readonly root?: string) {}

  /** What plan-time validation needs: the settings, and the config folder when known. */
  validationContext(): ValidationContext {
    return { settings: (m, t) => this.settings(m, t), root: this.root };
  }

  #drops?: Drop[];

  /** Grid points that cannot exist for their model, dropped from its grid (computed once). */
  drops(): Drop[] {
    return this.#drops ??= droppedPoints(this.exp, this.validationContext());
  }

  /** One `dropped: said d=100 for bert-base (d ≤ m = 14 scales, one per tensor)` per drop. */
  notes(): string[] {
    return this.drops().map(droppedLine);
  }

  /** Settings for a method on a task: defaults < train < method section < task.train. */
  settings(method: "full" | Sweep, task: string): TrainSettings {
    const layers = [this.exp.train, this.exp[method], this.exp.tasks[task]?.train] as (
      | Record<string, unknown>
      | undefined
    )[];
    const merged: Record<string, unknown> = { ...TRAIN_DEFAULTS };
    for (const layer of layers) {
      const given = Object.entries(layer ?? {}).filter(([k, v]) =>
        v !== undefined && SETTING_KEYS.has(k)
      );
      // A layer that sets the run length (steps or epochs) replaces the other one too: a task's
      // `epochs` overrides a global `steps`.
      if (given.some(([k]) => k === "steps" || k === "epochs")) {
        delete merged.steps;
        delete merged.epochs;
      }
      Object.assign(merged, Object.fromEntries(given));
    }
    if (merged.steps === undefined && merged.epochs === undefined) merged.steps = 1000;
    return merged as unknown as TrainSettings;
  }

  datasetRef(task: string): InstanceRef {
    const t = this.exp.tasks[task];
    return {
      kind: "download-dataset",
      params: clean({
        task: t.dataset ?? task,
        repo: t.repo,
        config: t.config,
        revision: t.revision,
        policy: this.exp.policy,
        select_fraction: this.exp.select_fraction,
        n_train: t.n_train ?? null,
        n_select: t.n_select ?? null,
        n_report: t.n_report ?? null,
        seed: this.exp.data_seed,
        labels: t.labels,
        negatives: t.negatives,
        passage: t.passage,
      }),
    };
  }

  tokenizeRef(model: PlannedModel, task: string): InstanceRef {
    return {
      kind: "tokenize",
      params: {
        dataset: this.datasetRef(task) as unknown as Json,
        tokenizer: model.ref as unknown as Json,
        max_length: this.exp.tasks[task].max_length,
      },
    };
  }

  exportRef(
    model: PlannedModel,
    task: string,
    method: "full" | Sweep,
    size: number | undefined,
    seed: number,
  ): InstanceRef {
    const s = this.settings(method, task);
    const t = this.exp.tasks[task];
    const extra: Record<string, Json | undefined> = {};
    if (method === "did" || method === "said") extra.projection = this.exp[method]!.projection;
    if (method === "said") extra.lambdaPer = this.exp.said!.lambda_per;
    if (method === "lora") {
      extra.loraAlpha = this.exp.lora!.alpha;
      extra.loraTargets = this.exp.lora!.targets;
      extra.rslora = this.exp.lora!.rslora;
    }
    return {
      kind: "export-graphs",
      params: clean({
        model: model.ref as unknown as Json,
        method,
        size,
        batch: s.batch,
        seq: t.max_length,
        numLabels: numLabels(t.dataset ?? task, t.labels),
        // lr, warm-up and schedule length are graph inputs fed by each run, so one graph serves
        // every lr and step count; the numbers here are only the inputs' defaults.
        optimizer: {
          type: "adamw",
          weightDecay: s.weight_decay,
          clipNorm: s.clip_norm,
          schedule: { warmupSteps: 0, totalSteps: 1 },
        },
        seed,
        dropout: s.dropout,
        ...extra,
      }),
    };
  }

  /** The lr-search point of (model, task, method, size, seed): its lr grid's runs. */
  pointRef(
    model: PlannedModel,
    task: string,
    method: "full" | Sweep,
    size: number | undefined,
    seed: number,
  ): InstanceRef {
    const s = this.settings(method, task);
    // The size is the exported graphs' `size`; only the subspace methods repeat it as `d` (the
    // LoRA rank is keyed once, through the graphs).
    const sizeKey = sizeParamOf(method) === "d" ? { d: size } : {};
    const train: InstanceRef = {
      kind: trainKindOf(method),
      params: clean({
        model: model.name,
        task,
        method,
        ...sizeKey,
        graphs: this.exportRef(model, task, method, size, seed) as unknown as Json,
        data: this.tokenizeRef(model, task) as unknown as Json,
        pretrainSteps: model.pretrainSteps,
        seed,
        steps: s.steps,
        epochs: s.epochs,
        warmupRatio: s.warmup_ratio,
        decay: s.decay,
        evalEvery: s.eval_every,
        checkpointEvery: s.checkpoint_every,
        threads: this.exp.threads,
      }),
    };
    const spec = this.exp[method]!.lr;
    const lrs = lrGridFor(spec, size);
    const extend = extensionLrs(spec, lrs, this.exp.lr_extend);
    const hasExtension = extend.low.length + extend.high.length > 0;
    const first = this.exp.seeds[0];
    const follows = this.exp.lr_select === "first-seed" && seed !== first;
    return {
      kind: "lr-search",
      params: {
        train: train as unknown as Json,
        lrs,
        // Only when there is one, so a config without extension keeps its points' keys.
        ...(hasExtension ? { extend: extend as unknown as Json } : {}),
        ...(follows
          ? { follow: this.pointRef(model, task, method, size, first) as unknown as Json }
          : {}),
      },
    };
  }

  /** The d90 / r90 instance of one (model, task, method), and the points it reads. */
  thresholdRef(model: PlannedModel, task: string, method: Sweep) {
    const section = this.exp[method]!;
    const gone = new Set(
      this.drops().filter((d) => d.model === model.name.split("@")[0] && d.method === method).map((
        d,
      ) => d.size),
    );
    const grid = sizeGridOf(method, section).filter((size) => !gone.has(size));
    const ref = this.exp.tasks[task].reference_baseline;
    const baselinePoints = this.exp.seeds.map((seed) =>
      this.pointRef(model, task, "full", undefined, seed)
    );
    const points = this.exp.seeds.flatMap((seed) =>
      grid.map((size) => ({ size, seed, point: this.pointRef(model, task, method, size, seed) }))
    );
    const params = {
      model: model.name,
      task,
      method,
      fraction: this.exp.fraction,
      baseline:
        (ref !== undefined ? { reference: ref } : { points: baselinePoints }) as unknown as Json,
      points: points as unknown as Json,
      bootstrap: {
        resamples: this.exp.report.bootstrap_resamples,
        seed: this.exp.report.bootstrap_seed,
      },
    };
    const search = this.exp.search;
    const threshold: InstanceRef = {
      kind: search === "adaptive" ? "threshold-search" : "threshold",
      params,
    };
    // `both`: the adaptive search beside the grid, reading the grid's points (cache hits).
    const adaptive: InstanceRef | undefined = search === "both"
      ? { kind: "threshold-search", params: { ...params, after: threshold as unknown as Json } }
      : undefined;
    return {
      threshold,
      ...(adaptive ? { adaptive } : {}),
      baselinePoints: ref !== undefined ? [] : baselinePoints,
      points,
    };
  }

  /** Every (model, task, method) to measure, main sweeps and the pretraining effect. */
  studies(): { model: PlannedModel; task: string; method: Sweep; origin: (string | number)[] }[] {
    const out: { model: PlannedModel; task: string; method: Sweep; origin: (string | number)[] }[] =
      [];
    const configured = (["did", "said", "lora"] as Sweep[]).filter((m) => this.exp[m]);
    this.exp.sets.forEach((set, i) => {
      const methods = set.methods ?? configured;
      for (const m of methods) {
        if (!this.exp[m]) {
          throw new PlanError(["sets", i, "methods"], `method ${m} has no experiment.${m} section`);
        }
      }
      for (const name of set.models) {
        const spec = this.exp.models[name];
        if (!spec) throw new PlanError(["sets", i, "models"], `unknown model "${name}"`);
        for (const task of set.tasks) {
          if (!this.exp.tasks[task]) {
            throw new PlanError(["sets", i, "tasks"], `unknown task "${task}"`);
          }
          for (const method of methods) {
            out.push({
              model: mainModel(name, spec, this.root),
              task,
              method,
              origin: ["sets", i],
            });
          }
        }
      }
    });
    const effect = this.exp.pretraining_effect;
    if (effect) {
      const spec = this.exp.models[effect.model];
      if (!spec) {
        throw new PlanError(["pretraining_effect", "model"], `unknown model "${effect.model}"`);
      }
      if (spec.source !== "pretrain") {
        throw new PlanError(
          ["pretraining_effect", "model"],
          `model "${effect.model}" is not pretrained by the pipeline (source: ${spec.source})`,
        );
      }
      for (const m of effect.methods) {
        if (!this.exp[m]) {
          throw new PlanError(
            ["pretraining_effect", "methods"],
            `method ${m} has no experiment.${m} section`,
          );
        }
      }
      for (const model of modelRefs(effect.model, spec, this.root).values()) {
        for (const task of effect.tasks) {
          if (!this.exp.tasks[task]) {
            throw new PlanError(["pretraining_effect", "tasks"], `unknown task "${task}"`);
          }
          for (const method of effect.methods) {
            out.push({ model, task, method, origin: ["pretraining_effect"] });
          }
        }
      }
    }
    const seen = new Set<string>();
    return out.filter((s) => {
      const k = `${s.model.name}/${s.task}/${s.method}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  /** What the report states about how its numbers were produced. */
  provenance(): ProvenanceParams {
    const e = this.exp;
    const holdout = e.policy === "holdout";
    return {
      config: { path: `experiment "${e.name}" (as validated)`, text: YAML.stringify(e) },
      evaluationPolicy: {
        selectSplit: holdout
          ? `select: a seeded ${Math.round(e.select_fraction * 100)}% slice held out of train`
          : "the validation split itself (policy: validation)",
        reportSplit: "report: the task's validation split (GLUE/ANLI test labels are hidden)",
        lrSelection: e.lr_select === "first-seed" && e.seeds.length > 1
          ? `${EVAL_POLICY}; the lr is searched on the first seed (${e.seeds[0]}) only, and ` +
            "every other seed trains at the lr that seed chose"
          : EVAL_POLICY,
        seeds: `${e.seeds.length} seed(s) [${e.seeds.join(", ")}]; d90/r90 is read from the ` +
          "seed-mean curve (first grid size whose mean reaches the target), with a bootstrap " +
          `interval over seeds (${e.report.bootstrap_resamples} resamples, seed ` +
          `${e.report.bootstrap_seed})`,
        ...(holdout ? {} : {
          notes: "lr and best step were selected on the split that is reported: numbers are " +
            "optimistic",
        }),
      },
      referenceBaselines: Object.entries(e.tasks)
        .filter(([, t]) => t.reference_baseline !== undefined)
        .flatMap(([task, t]) =>
          this.studies().filter((s) => s.task === task).map((s) => ({
            model: s.model.name,
            task,
            metric: "accuracy",
            value: t.reference_baseline!,
            citation: t.reference_source ?? "given in the config",
          }))
        ).filter((r, i, all) =>
          all.findIndex((x) => x.model === r.model && x.task === r.task) === i
        ),
      ...(this.drops().length > 0
        ? {
          droppedPoints: this.drops().map(({ model, method, size, reason }) => ({
            model,
            method,
            size,
            reason,
          })),
        }
        : {}),
    };
  }

  /** The report instance: the DAG's root. Throws a PlanError for an invalid experiment. */
  plan(): PlannedRef[] {
    const problem = experimentProblems(this.exp, this.validationContext())[0];
    if (problem) {
      throw new PlanError(
        problem.path,
        `${problem.message}, got ${describeValue(valueAt(this.exp, problem.path))}`,
      );
    }
    const thresholds: InstanceRef[] = [];
    const points: InstanceRef[] = [];
    const pointKeys = new Set<string>();
    const addPoint = (p: InstanceRef) => {
      const k = JSON.stringify(p);
      if (!pointKeys.has(k)) {
        pointKeys.add(k);
        points.push(p);
      }
    };
    const planned: PlannedThreshold[] = [];
    for (const s of this.studies()) {
      const t = this.thresholdRef(s.model, s.task, s.method);
      planned.push({ model: s.model.name, task: s.task, method: s.method, ...t });
      thresholds.push(t.threshold);
      if (t.adaptive) thresholds.push(t.adaptive);
      t.baselinePoints.forEach(addPoint);
      if (this.exp.search !== "adaptive") t.points.forEach((p) => addPoint(p.point));
    }
    const collect: InstanceRef = {
      kind: "collect-results",
      params: {
        thresholds: thresholds as unknown as Json,
        points: points as unknown as Json,
        provenance: this.provenance() as unknown as Json,
      },
    };
    const report: PlannedRef = {
      kind: "report",
      params: clean({
        results: collect as unknown as Json,
        title: this.exp.report.title ?? `idim: ${this.exp.name}`,
        bootstrapResamples: this.exp.report.bootstrap_resamples,
        seed: this.exp.report.bootstrap_seed,
        spectra: this.exp.spectrum
          ? spectrumRefs(
            planned,
            this.exp.spectrum === "first-seed" ? this.exp.seeds.slice(0, 1) : this.exp.seeds,
          ) as unknown as Json
          : undefined,
      }),
      origin: ["report"],
    };
    return [report];
  }
}

/** The planner `pipeline.ts` hands to the engine. */
export const idimPlanner: Planner<Experiment> = {
  // The cross-field rules run on a schema-valid section, each issue at the key at fault; local
  // model folders are checked by plan(), which knows the config file's folder.
  schema: experimentSchema.superRefine((exp, ctx) => {
    for (const p of experimentProblems(exp, new IdimPlan(exp).validationContext())) {
      ctx.addIssue({ code: "custom", path: p.path, message: p.message });
    }
  }),
  // The report goes to `reports/` for the default config, `reports/<config name>/` otherwise.
  plan: (exp, context) =>
    new IdimPlan(exp, context?.root).plan().map((r) =>
      r.kind === "report" ? { ...r, publish: publishFolder(context, "reports") } : r
    ),
  notes: (exp, context) => new IdimPlan(exp, context?.root).notes(),
};
