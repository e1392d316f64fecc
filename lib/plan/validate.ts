/**
 * Plan-time validation of the `experiment:` section: the rules that span several keys, checked
 * before anything runs so that a grid point that cannot exist is an error at the key that causes
 * it, never a failed run.
 *
 * - duplicates: seeds, set names, the models / tasks / methods of a set or of the pretraining
 *   effect, checkpoints, d / r grid values, lr values, LoRA targets;
 * - a pretrained model's architecture through the `pretrain` stage's own parameter rules (heads
 *   divide hidden, seq ≤ max_position, bounds), its vocabulary within the embedded tokenizer's;
 * - sequence length: a task's `max_length` within the position embeddings of every model
 *   fine-tuned on it;
 * - sizes: a grid value that cannot exist for a model (DID/SAID d above its parameter count,
 *   SAID d ≤ its number of scales m, LoRA r above the smaller side of a targeted Linear) is
 *   dropped from that model's grid (`droppedPoints`; the dry run and the report list it); a grid
 *   left empty for a model is an error; every LoRA target names a Linear (or word_embeddings);
 * - data: a known dataset, `n_train` / `n_select` / `n_report` within its size, a batch within
 *   4096 and the training set;
 * - used local models: the folder exists and holds config.json, tokenizer.json and
 *   model.safetensors (checked at plan time, when the config file's folder is known); its
 *   config.json then gives the checks above their architecture.
 *
 * A Hub model's architecture is known from `KNOWN_SHAPES` (bert/roberta base/large); another
 * Hub model's checks are left to the stages' run-time errors.
 *
 * @module
 */
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import {
  countParams,
  type EncoderConfig,
  encoderParams,
  knownShape,
  layerGroup,
  type ParamSpec,
  readConfig,
  seqClsSpecs,
} from "../models/mod.ts";
import { pretrainConfig, pretrainParamsSchema } from "../pretrain/mod.ts";
import { TASKS } from "../data/mod.ts";
import type { Experiment, ModelSpec, TrainSettings } from "./experiment_schema.ts";
import { localModelDir, pretrainChain } from "./model_refs.ts";
import { datasetExamples, isKnownDataset, numLabels } from "./task_facts.ts";

/** The label variants each embedded dataset offers (`tasks.<name>.labels`). */
const LABEL_VARIANTS: Record<string, string[]> = {
  "brown-genre": ["genre15", "coarse4"],
  spam: ["binary", "source"],
};

/** A config path under `experiment:`, e.g. `["tasks", "spam", "max_length"]`. */
export type ConfigPath = (string | number)[];

/** One problem: where, and what must hold (the caller adds the value found there). */
export interface Problem {
  path: ConfigPath;
  message: string;
}

type Method = "full" | "did" | "said" | "lora";
type Sweep = "did" | "said" | "lora";

/** What validation needs besides the experiment. */
export interface ValidationContext {
  /** The resolved training settings of a method on a task (the planner's). */
  settings(method: Method, task: string): TrainSettings;
  /** The config file's folder; when given, local models are checked and their config read. */
  root?: string;
}

/** Largest batch accepted (the `pretrain` stage's bound too). */
export const MAX_BATCH = 4096;
/** A model's name, which names its artifact (`models/<name>`: the model stages' rule). */
const MODEL_NAME = /^[A-Za-z0-9._-]+$/;
/** Bounds of the embedded tokenizer's vocabulary (bert-base-uncased has 30,522 tokens). */
const VOCAB_MIN = 64;
const VOCAB_MAX = 30522;
/** Bounds of `max_length` (the `tokenize` stage's). */
const MAX_LENGTH_MIN = 4;
const MAX_LENGTH_MAX = 4096;

/** A (model, task) pair the experiment fine-tunes, with the methods and where it is asked. */
interface Pair {
  model: string;
  task: string;
  methods: Sweep[];
  origin: ConfigPath;
}

/** The value at a config path under `experiment:`. */
export function valueAt(exp: Experiment, p: ConfigPath): unknown {
  let v: unknown = exp;
  for (const seg of p) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[String(seg)];
  }
  return v;
}

/** `sets[0].models[1]` style. */
function show(p: ConfigPath): string {
  return p.map((s, i) => typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`).join("");
}

/**
 * Every repeated entry of a list, located at its second occurrence (at its `key` when the
 * entries are mappings compared by one key).
 */
function duplicates(
  list: readonly unknown[] | undefined,
  at: ConfigPath,
  out: Problem[],
  key?: string,
): void {
  const first = new Map<string, number>();
  const tail = key === undefined ? [] : [key];
  (list ?? []).forEach((v, i) => {
    const k = JSON.stringify(v);
    const j = first.get(k);
    if (j === undefined) first.set(k, i);
    else {out.push({
        path: [...at, i, ...tail],
        message: `must differ from ${show([...at, j, ...tail])}`,
      });}
  });
}

/** The (model, task) pairs of the sets and the pretraining effect (unknown names skipped). */
function pairsOf(exp: Experiment): Pair[] {
  const configured = (["did", "said", "lora"] as Sweep[]).filter((m) => exp[m]);
  const out: Pair[] = [];
  exp.sets.forEach((set, i) => {
    for (const model of set.models) {
      for (const task of set.tasks) {
        out.push({ model, task, methods: set.methods ?? configured, origin: ["sets", i] });
      }
    }
  });
  const effect = exp.pretraining_effect;
  if (effect) {
    for (const task of effect.tasks) {
      out.push({
        model: effect.model,
        task,
        methods: effect.methods,
        origin: ["pretraining_effect"],
      });
    }
  }
  return out.filter((p) =>
    exp.models[p.model] && exp.tasks[p.task] && p.methods.every((m) => exp[m])
  );
}

/** The `pretrain` stage's parameter problems of a pretrained model, at the model's keys. */
function pretrainProblems(
  name: string,
  spec: Extract<ModelSpec, { source: "pretrain" }>,
  out: Problem[],
): void {
  const at: ConfigPath = ["models", name];
  if (spec.vocab_size !== null && (spec.vocab_size < VOCAB_MIN || spec.vocab_size > VOCAB_MAX)) {
    out.push({
      path: [...at, "vocab_size"],
      message: `must be between ${VOCAB_MIN} and ${VOCAB_MAX} (the embedded bert-base-uncased ` +
        "vocabulary), or null for all of it",
    });
  }
  if (spec.use_checkpoint !== undefined && !spec.checkpoints.includes(spec.use_checkpoint)) {
    out.push({
      path: [...at, "use_checkpoint"],
      message: `must be one of checkpoints [${spec.checkpoints.join(", ")}]`,
    });
  }
  const chain = [...pretrainChain(name, spec).values()];
  const params = { ...chain[chain.length - 1].params };
  delete params.from;
  const parsed = pretrainParamsSchema.safeParse(params);
  if (parsed.success) return;
  const keyOf: Record<string, ConfigPath> = {
    name: at,
    tokenizer: [...at, "vocab_size"],
    steps: [...at, "checkpoints"],
    schedule_steps: [...at, "checkpoints"],
  };
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0]);
    const message = issue.message.replace(/^Too (small|big): expected number to be /, "must be ");
    out.push({ path: keyOf[key] ?? [...at, key], message });
  }
}

/** A local model's folder problem, or undefined when it holds what `download-model` reads. */
function localProblem(dir: string): string | undefined {
  if (!existsSync(dir)) return `folder ${dir} does not exist`;
  if (!statSync(dir).isDirectory()) return `${dir} is not a folder`;
  // What `download-model` reads from a local folder (its default tokenizerFiles).
  for (const f of ["config.json", "tokenizer.json", "model.safetensors"]) {
    if (!existsSync(path.join(dir, f))) return `folder ${dir} has no ${f}`;
  }
  return undefined;
}

/**
 * Architectures known before anything runs: pretrained models, and the readable local ones
 * among `used` (an unused local model is never read, so its folder is not checked).
 */
function architectures(
  exp: Experiment,
  used: Set<string>,
  ctx: ValidationContext,
  out: Problem[],
): Map<string, EncoderConfig> {
  const archs = new Map<string, EncoderConfig>();
  for (const [name, spec] of Object.entries(exp.models)) {
    if (spec.source === "pretrain") {
      const before = out.length;
      pretrainProblems(name, spec, out);
      if (out.length > before) continue;
      const chain = [...pretrainChain(name, spec).values()];
      const p = pretrainParamsSchema.parse(chain[chain.length - 1].params);
      archs.set(name, pretrainConfig(p, spec.vocab_size ?? VOCAB_MAX));
    } else if (spec.source === "hub") {
      const c = hubArchitecture(spec.repo);
      if (c) archs.set(name, c);
    } else if (spec.source === "local" && ctx.root !== undefined && used.has(name)) {
      const dir = localModelDir(spec, ctx.root);
      const problem = localProblem(dir);
      if (problem) {
        const rel = path.isAbsolute(spec.path) ? "" : " (a relative path is taken from the " +
          "config file's folder)";
        out.push({ path: ["models", name, "path"], message: `${problem}${rel}` });
        continue;
      }
      try {
        archs.set(name, readConfig(path.join(dir, "config.json")));
      } catch (e) {
        out.push({ path: ["models", name, "path"], message: (e as Error).message });
      }
    }
  }
  return archs;
}

/** The longest sequence a model's position embeddings take (RoBERTa's start after padding). */
function maxSequence(c: EncoderConfig): number {
  return c.family === "roberta" ? c.maxPositions - c.padTokenId - 1 : c.maxPositions;
}

/** The canonical names of the Linear layers of one encoder layer. */
function layerLinears(c: EncoderConfig): ParamSpec[] {
  return encoderParams({ ...c, numLayers: 1 }, false)
    .filter((s) => s.kind === "linear" && s.name.startsWith("encoder.layer."));
}

/** LoRA targets: each named once, each naming a Linear of an encoder layer or the embedding. */
function loraProblems(exp: Experiment, out: Problem[]): void {
  const lora = exp.lora;
  if (!lora) return;
  duplicates(lora.targets, ["lora", "targets"], out);
  // Layer names are the same for every BERT/RoBERTa model: any shape shows them.
  const probe = layerLinears({
    family: "bert",
    vocabSize: 8,
    hiddenSize: 8,
    numLayers: 1,
    numHeads: 1,
    intermediateSize: 8,
    maxPositions: 8,
    typeVocabSize: 1,
    layerNormEps: 1e-12,
    padTokenId: 0,
    numLabels: 2,
    hiddenDropout: 0,
    attentionDropout: 0,
    classifierDropout: 0,
    initializerRange: 0.02,
  }).map((s) => s.name.replace(/^encoder\.layer\.0\./, "").replace(/\.weight$/, ""));
  lora.targets.forEach((t, i) => {
    if (t !== "word_embeddings" && !probe.some((n) => `.${n}`.endsWith(`.${t}`))) {
      out.push({
        path: ["lora", "targets", i],
        message: `must name a Linear of an encoder layer (${probe.join(", ")}, or a suffix) ` +
          "or word_embeddings",
      });
    }
  });
}

/** A grid point that cannot exist for one model: dropped from that model's grid. */
export interface Drop {
  model: string;
  method: Sweep;
  size: number;
  /** Why, e.g. `d ≤ m = 14 scales`. */
  reason: string;
  /** The grid value's config path, e.g. `["said", "d", 0]`. */
  path: ConfigPath;
}

/** The sequence-length check of one (model, task) pair whose architecture is known. */
function sequenceProblems(exp: Experiment, pair: Pair, c: EncoderConfig, out: Problem[]): void {
  const t = exp.tasks[pair.task];
  const where = `model ${pair.model}, which ${show(pair.origin)} fine-tunes on task ${pair.task}`;
  if (t.max_length > maxSequence(c)) {
    out.push({
      path: ["tasks", pair.task, "max_length"],
      message: `must be at most the ${maxSequence(c)} positions of ${where}`,
    });
  }
}

/**
 * The grid points of one (model, task) pair that cannot exist for the model: DID/SAID d above
 * its parameter count, SAID d ≤ its number of scales m, LoRA r above the smaller side of a
 * targeted Linear.
 */
function sizeDrops(exp: Experiment, pair: Pair, c: EncoderConfig): Drop[] {
  const t = exp.tasks[pair.task];
  const dataset = t.dataset ?? pair.task;
  if (!isKnownDataset(dataset)) return [];
  const specs = seqClsSpecs(c, numLabels(dataset, t.labels));
  const total = countParams(specs);
  const out: Drop[] = [];
  const drop = (method: Sweep, i: number, size: number, reason: string) =>
    out.push({
      model: pair.model,
      method,
      size,
      reason,
      path: [method, method === "lora" ? "r" : "d", i],
    });
  for (const m of pair.methods) {
    if (m === "lora") {
      const matched = layerLinears(c).filter((s) =>
        exp.lora!.targets.some((tg) => `.${s.name.slice(0, -".weight".length)}`.endsWith(`.${tg}`))
      );
      if (matched.length === 0) continue;
      const rmax = Math.min(...matched.map((s) => Math.min(s.shape[0], s.shape[1])));
      exp.lora!.r.forEach((r, i) => {
        if (r > rmax) {
          drop(m, i, r, `r > ${rmax}, the smaller side of the targeted Linear layers`);
        }
      });
      continue;
    }
    const scales = m !== "said"
      ? 0
      : exp.said!.lambda_per === "tensor"
      ? specs.length
      : new Set(specs.map((s) => layerGroup(s.name))).size;
    exp[m]!.d.forEach((d, i) => {
      if (d > total) drop(m, i, d, `d > ${total} parameters`);
      else if (m === "said" && d <= scales) {
        drop(m, i, d, `d ≤ m = ${scales} scales, one per ${exp.said!.lambda_per}`);
      }
    });
  }
  return out;
}

/** The architecture of a Hub model whose shape is known (`lib/models/compute.ts`). */
function hubArchitecture(repo: string): EncoderConfig | undefined {
  const s = knownShape(repo);
  if (!s) return undefined;
  const roberta = /roberta/i.test(repo);
  return {
    ...s,
    family: roberta ? "roberta" : "bert",
    maxPositions: roberta ? 514 : 512,
    typeVocabSize: roberta ? 1 : 2,
    layerNormEps: roberta ? 1e-5 : 1e-12,
    padTokenId: roberta ? 1 : 0,
    numLabels: 2,
    hiddenDropout: 0.1,
    attentionDropout: 0.1,
    classifierDropout: 0.1,
    initializerRange: 0.02,
  };
}

/**
 * Every grid point that cannot exist for a model whose architecture is known before running
 * (pretrained, readable local, and Hub models of known shape), once per (model, method, size).
 */
export function droppedPoints(exp: Experiment, ctx: ValidationContext): Drop[] {
  const pairs = pairsOf(exp);
  const archs = architectures(exp, new Set(pairs.map((p) => p.model)), ctx, []);
  const seen = new Set<string>();
  return pairs.flatMap((pair) => {
    const c = archs.get(pair.model);
    return c ? sizeDrops(exp, pair, c) : [];
  }).filter((d) => {
    const k = `${d.model}/${d.method}/${d.size}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A grid left empty for a model by its drops: an error at the grid. */
function emptyGridProblems(exp: Experiment, drops: Drop[], pairs: Pair[], out: Problem[]): void {
  const done = new Set<string>();
  for (const pair of pairs) {
    for (const m of pair.methods) {
      const k = `${pair.model}/${m}`;
      if (done.has(k)) continue;
      done.add(k);
      const grid = m === "lora" ? exp.lora!.r : exp[m]!.d;
      const gone = [
        ...new Map(
          drops.filter((d) => d.model === pair.model && d.method === m).map((d) => [d.size, d]),
        ).values(),
      ];
      if (grid.length > 0 && gone.length >= grid.length) {
        out.push({
          path: [m, m === "lora" ? "r" : "d"],
          message: `must keep at least one value possible for model ${pair.model} ` +
            `(${gone.map((d) => `${d.size}: ${d.reason}`).join("; ")})`,
        });
      }
    }
  }
}

/** Data checks: known datasets, subsample sizes, and batch sizes. */
function dataProblems(exp: Experiment, pairs: Pair[], ctx: ValidationContext, out: Problem[]) {
  for (const [name, t] of Object.entries(exp.tasks)) {
    const dataset = t.dataset ?? name;
    if (!isKnownDataset(dataset)) {
      const known = Object.keys(TASKS).filter(isKnownDataset).join(", ");
      out.push({
        path: t.dataset !== undefined ? ["tasks", name, "dataset"] : ["tasks", name],
        message: t.dataset !== undefined
          ? `must be a task idim knows (${known})`
          : `"${name}" is not a task idim knows: give dataset: (one of ${known})`,
      });
      continue;
    }
    if (t.max_length < MAX_LENGTH_MIN || t.max_length > MAX_LENGTH_MAX) {
      out.push({
        path: ["tasks", name, "max_length"],
        message: `must be between ${MAX_LENGTH_MIN} and ${MAX_LENGTH_MAX}`,
      });
    }
    const size = datasetExamples(dataset, t);
    for (const key of ["n_train", "n_select", "n_report"] as const) {
      const n = t[key];
      if (size !== undefined && typeof n === "number" && n > size) {
        out.push({
          path: ["tasks", name, key],
          message: `must be at most the ${size} examples of dataset ${dataset}`,
        });
      }
    }
  }
  // Every explicit batch size, where it is written.
  const layers: ConfigPath[] = [["train"], ["full"], ["did"], ["said"], ["lora"]];
  for (const task of Object.keys(exp.tasks)) layers.push(["tasks", task, "train"]);
  for (const at of layers) {
    const b = valueAt(exp, [...at, "batch"]);
    if (typeof b === "number" && b > MAX_BATCH) {
      out.push({ path: [...at, "batch"], message: `must be at most ${MAX_BATCH}` });
    }
  }
  // The batch each run uses, against its training set.
  for (const pair of pairs) {
    const t = exp.tasks[pair.task];
    const dataset = t.dataset ?? pair.task;
    if (!isKnownDataset(dataset)) continue;
    const size = t.n_train ?? datasetExamples(dataset, t);
    if (size === undefined) continue;
    const methods: Method[] = t.reference_baseline === undefined
      ? ["full", ...pair.methods]
      : pair.methods;
    for (const m of methods) {
      const batch = ctx.settings(m, pair.task).batch;
      if (batch <= size || batch > MAX_BATCH) continue;
      const setAt = ([["tasks", pair.task, "train"], [m], ["train"]] as ConfigPath[])
        .find((at) => valueAt(exp, [...at, "batch"]) !== undefined);
      const of = t.n_train !== undefined && t.n_train !== null
        ? `n_train ${t.n_train}`
        : `${size} examples in all`;
      out.push(
        setAt
          ? {
            path: [...setAt, "batch"],
            message: `must be at most the training set of task ${pair.task} (${of})`,
          }
          : {
            path: ["tasks", pair.task, "n_train"],
            message: `must be at least the batch size ${batch} (set train.batch lower)`,
          },
      );
    }
  }
}

/**
 * Every problem of a schema-valid experiment, at most one per config key (the first found).
 * Names that the sets leave unresolved (an unknown model or task) are the planner's to report.
 */
export function experimentProblems(exp: Experiment, ctx: ValidationContext): Problem[] {
  const out: Problem[] = [];
  duplicates(exp.seeds, ["seeds"], out);
  duplicates(exp.sets.map((s) => s.name), ["sets"], out, "name");
  exp.sets.forEach((set, i) => {
    duplicates(set.models, ["sets", i, "models"], out);
    duplicates(set.tasks, ["sets", i, "tasks"], out);
    duplicates(set.methods, ["sets", i, "methods"], out);
  });
  for (const m of ["full", "did", "said", "lora"] as const) {
    const lr = exp[m]?.lr;
    if (Array.isArray(lr)) duplicates(lr, [m, "lr"], out);
  }
  duplicates(exp.did?.d, ["did", "d"], out);
  duplicates(exp.said?.d, ["said", "d"], out);
  duplicates(exp.lora?.r, ["lora", "r"], out);
  if (exp.pretraining_effect) {
    duplicates(exp.pretraining_effect.tasks, ["pretraining_effect", "tasks"], out);
    duplicates(exp.pretraining_effect.methods, ["pretraining_effect", "methods"], out);
  }
  for (const [name, t] of Object.entries(exp.tasks)) {
    const dataset = t.dataset ?? name;
    const fits = LABEL_VARIANTS[dataset] ?? [];
    if (t.labels !== undefined && !fits.includes(t.labels)) {
      out.push({
        path: ["tasks", name, "labels"],
        message: fits.length > 0
          ? `a ${dataset} task takes labels ${fits.join(" or ")}`
          : `a ${dataset} task has one label set: drop labels`,
      });
    }
    if (t.passage !== undefined && (t.dataset ?? name) !== "brown-genre") {
      out.push({
        path: ["tasks", name, "passage"],
        message: `applies to brown-genre only, got a ${t.dataset ?? name} task`,
      });
    }
  }
  for (const [name, spec] of Object.entries(exp.models)) {
    if (!MODEL_NAME.test(name)) {
      out.push({
        path: ["models", name],
        message: `"${name}" names the model's artifact: use letters, digits, '.', '_' or '-'`,
      });
    }
    if (spec.source === "pretrain") {
      duplicates(spec.checkpoints, ["models", name, "checkpoints"], out);
    }
  }
  const pairs = pairsOf(exp);
  const archs = architectures(exp, new Set(pairs.map((p) => p.model)), ctx, out);
  loraProblems(exp, out);
  const drops: Drop[] = [];
  for (const pair of pairs) {
    const c = archs.get(pair.model);
    if (c) {
      sequenceProblems(exp, pair, c, out);
      drops.push(...sizeDrops(exp, pair, c));
    }
  }
  emptyGridProblems(exp, drops, pairs, out);
  dataProblems(exp, pairs, ctx, out);
  const seen = new Set<string>();
  return out.filter((p) => {
    const k = JSON.stringify(p.path);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
