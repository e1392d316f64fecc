/**
 * The instance references of configured models: a Hub or local model is one `download-model`
 * instance; a model pretrained by the pipeline is a chain of `pretrain` checkpoints. Shared by
 * the planner and the plan-time validation, which checks the same parameters the stages get.
 *
 * @module
 */
import * as path from "node:path";
import type { InstanceRef, Json } from "../pipeline/stage.ts";
import type { ModelSpec } from "./experiment_schema.ts";

type Params = Record<string, Json>;

/** Drops `undefined` values so references hash the same however they were written. */
export function clean(o: Record<string, Json | undefined>): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/** A model the sweeps fine-tune: its display name, instance and pretraining steps. */
export interface PlannedModel {
  name: string;
  ref: InstanceRef;
  pretrainSteps?: number;
}

/** The embedded tokenizer instance of a pretrained model. */
export function embeddedTokenizerRef(vocabSize: number | null): InstanceRef {
  return { kind: "embedded-tokenizer", params: { vocab_size: vocabSize } };
}

/** The pretraining checkpoints of a pretrained model, chained so each continues the last. */
export function pretrainChain(
  name: string,
  spec: Extract<ModelSpec, { source: "pretrain" }>,
): Map<number, InstanceRef> {
  const steps = [...new Set(spec.checkpoints)].sort((a, b) => a - b);
  const last = steps[steps.length - 1];
  const refs = new Map<number, InstanceRef>();
  let from: InstanceRef | undefined;
  for (const s of steps) {
    const ref: InstanceRef = {
      kind: "pretrain",
      params: clean({
        name,
        tokenizer: embeddedTokenizerRef(spec.vocab_size) as unknown as Json,
        hidden: spec.hidden,
        layers: spec.layers,
        heads: spec.heads,
        intermediate: spec.intermediate,
        max_position: spec.max_position,
        batch: spec.batch,
        seq: spec.seq,
        lr: spec.lr,
        schedule_steps: last,
        max_sentences: spec.max_sentences,
        seed: spec.seed,
        steps: s,
        from: from as unknown as Json,
      }),
    };
    refs.set(s, ref);
    from = ref;
  }
  return refs;
}

/**
 * The folder of a local model: a relative `path` is taken from `root` (the config file's folder)
 * when one is given, else as written.
 */
export function localModelDir(
  spec: Extract<ModelSpec, { source: "local" }>,
  root?: string,
): string {
  return root === undefined ? spec.path : path.resolve(root, spec.path);
}

/**
 * The model instance(s) of one configured model: one per used checkpoint when pretrained.
 * `root` is the config file's folder, against which a local model's relative path resolves.
 */
export function modelRefs(
  name: string,
  spec: ModelSpec,
  root?: string,
): Map<number | null, PlannedModel> {
  if (spec.source === "hub") {
    return new Map([[null, {
      name,
      ref: {
        kind: "download-model",
        params: clean({
          name,
          source: "hub",
          repo: spec.repo,
          revision: spec.revision,
          tokenizerFiles: spec.tokenizer_files,
        }),
      },
    }]]);
  }
  if (spec.source === "local") {
    return new Map([[null, {
      name,
      ref: {
        kind: "download-model",
        params: { name, source: "local", path: localModelDir(spec, root) },
      },
    }]]);
  }
  const out = new Map<number | null, PlannedModel>();
  for (const [steps, ref] of pretrainChain(name, spec)) {
    out.set(steps, { name: `${name}@${steps}`, ref, pretrainSteps: steps });
  }
  return out;
}
