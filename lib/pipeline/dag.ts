/**
 * Expands root instance references into the DAG of stage instances, validating parameters
 * against each stage's schema and computing every instance's key:
 * sha256 of {kind, code fingerprint, canonical parsed params, input keys}.
 *
 * @module
 */
import { canonicalJson, sha256Hex } from "../hash/mod.ts";
import { describeIssue, formatPath } from "./config.ts";
import { PipelineError } from "./errors.ts";
import { Fingerprinter } from "./fingerprint.ts";
import type { PlannedRef } from "./planner.ts";
import type { InstanceRef, Json, Resources, StageDefinition } from "./stage.ts";

/** Version of the key recipe; bump to invalidate every key. */
export const KEY_VERSION = 1;

/** One planned stage instance: a node of the DAG. */
export interface Instance {
  /** Display id, `kind{k=v,...}`; unique within the DAG. */
  id: string;
  kind: string;
  stage: StageDefinition;
  /** The parsed parameters (defaults applied), as plain JSON. */
  params: Record<string, Json>;
  /** Canonical JSON of `params`. */
  paramsJson: string;
  /** Input name → upstream instance. */
  inputs: Record<string, Instance>;
  /** On-demand input name → upstream instance the stage may obtain while it runs. */
  onDemand: Record<string, Instance>;
  /**
   * True when the roots reach this instance only through on-demand inputs: a plain `run` leaves
   * it to the stage that obtains it (selecting it explicitly still runs it).
   */
  onDemandOnly: boolean;
  /** Instances that read this one's outputs. */
  dependents: Instance[];
  /** Declared output files. */
  outputs: string[];
  /** Code fingerprint of the stage module's closure. */
  code: string;
  /** The content key. */
  key: string;
  /** Folder (relative to the project root) the outputs are published to, if any. */
  publish?: string;
  resources: Resources;
  /** Position in topological order. */
  index: number;
}

/** The planned DAG. */
export interface Dag {
  /** All instances in topological order (inputs before dependents). */
  instances: Instance[];
  byId: Map<string, Instance>;
  byKey: Map<string, Instance>;
  /** The instances the planner asked for. */
  roots: Instance[];
  /** Stage kinds by name. */
  stages: Map<string, StageDefinition>;
}

/** Options for buildDag. */
export interface BuildOptions {
  fingerprinter?: Fingerprinter;
  /** Maps an origin path under `experiment:` to `file:line:col`. */
  locate?: (configPath: (string | number)[]) => string;
}

function scalarLabel(params: Record<string, Json>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === null || typeof v !== "object") parts.push(`${k}=${v}`);
  }
  return parts.join(",");
}

/** The display id of a kind and parsed params. */
export function instanceId(stage: StageDefinition, params: Record<string, Json>): string {
  // deno-lint-ignore no-explicit-any
  const label = stage.label ? stage.label(params as any) : scalarLabel(params);
  return `${stage.kind}{${label}}`;
}

/** Indexes stage definitions by kind, rejecting duplicates. */
export function stageMap(stages: StageDefinition[]): Map<string, StageDefinition> {
  const m = new Map<string, StageDefinition>();
  for (const s of stages) {
    if (m.has(s.kind)) throw new PipelineError(`stage kind "${s.kind}" is defined twice`);
    m.set(s.kind, s);
  }
  return m;
}

/** Expands roots into the full DAG. Throws PipelineError on unknown kinds, bad params, cycles. */
export function buildDag(
  refs: PlannedRef[],
  stageList: StageDefinition[],
  opts: BuildOptions = {},
): Dag {
  const fp = opts.fingerprinter ?? new Fingerprinter();
  const stages = stageMap(stageList);
  const known = () => [...stages.keys()].sort().join(", ");
  const fastMemo = new Map<string, Instance>();
  const memo = new Map<string, Instance>();
  const visiting = new Set<string>();
  const order: Instance[] = [];

  const expand = (ref: InstanceRef, where: string, trail: string[]): Instance => {
    // A reference met again (a model, dataset or graph many runs share) is usually written in
    // the same member order, so plain JSON finds it without sorting.
    const fastKey = ref.kind + "\u0000" + JSON.stringify(ref.params ?? {});
    const fastHit = fastMemo.get(fastKey);
    if (fastHit) return fastHit;
    const stage = stages.get(ref.kind);
    if (!stage) {
      throw new PipelineError(
        `${where}: unknown stage kind "${ref.kind}" (known kinds: ${known()})`,
      );
    }
    const parsed = stage.params.safeParse(ref.params ?? {});
    if (!parsed.success) {
      const rawId = `${ref.kind}{${scalarLabel((ref.params ?? {}) as Record<string, Json>)}}`;
      const lines = parsed.error.issues.slice(0, 5).map((issue) => {
        const d = describeIssue(issue, ref.params, stage.params);
        return `${where}: instance ${rawId}: params.${formatPath(d.path)}: ${d.text}`;
      });
      throw new PipelineError(lines.join("\n"));
    }
    const paramsJson = canonicalJson(parsed.data);
    const params = JSON.parse(paramsJson) as Record<string, Json>;
    const memoKey = ref.kind + "\u0000" + paramsJson;
    const existing = memo.get(memoKey);
    if (existing) {
      fastMemo.set(fastKey, existing);
      return existing;
    }
    const id = instanceId(stage, params);
    if (visiting.has(memoKey)) {
      throw new PipelineError(`dependency cycle: ${[...trail, id].join(" → ")}`);
    }
    visiting.add(memoKey);
    const inputs: Record<string, Instance> = {};
    let inputRefs: Record<string, InstanceRef> = {};
    try {
      // deno-lint-ignore no-explicit-any
      inputRefs = stage.inputs ? stage.inputs(params as any) : {};
    } catch (e) {
      throw new PipelineError(`${where}: instance ${id}: inputs(): ${(e as Error).message}`);
    }
    for (const [name, r] of Object.entries(inputRefs)) {
      inputs[name] = expand(r, `${where}: input "${name}" of ${id}`, [...trail, id]);
    }
    const onDemand: Record<string, Instance> = {};
    let onDemandRefs: Record<string, InstanceRef> = {};
    try {
      // deno-lint-ignore no-explicit-any
      onDemandRefs = stage.onDemand ? stage.onDemand(params as any) : {};
    } catch (e) {
      throw new PipelineError(`${where}: instance ${id}: onDemand(): ${(e as Error).message}`);
    }
    for (const [name, r] of Object.entries(onDemandRefs)) {
      if (name in inputs) {
        throw new PipelineError(`${where}: instance ${id}: "${name}" is both input and on demand`);
      }
      onDemand[name] = expand(r, `${where}: on-demand input "${name}" of ${id}`, [...trail, id]);
    }
    visiting.delete(memoKey);
    // deno-lint-ignore no-explicit-any
    const p = params as any;
    const code = fp.module(stage.module);
    const keysOf = (m: Record<string, Instance>) =>
      Object.fromEntries(Object.entries(m).map(([n, inst]) => [n, inst.key]));
    const recipe: Record<string, Json> = {
      v: KEY_VERSION,
      kind: stage.kind,
      code,
      params,
      inputs: keysOf(inputs),
    };
    // Only stages with on-demand inputs carry the field, so every other key is unchanged.
    if (Object.keys(onDemand).length > 0) recipe.onDemand = keysOf(onDemand);
    const key = sha256Hex(canonicalJson(recipe));
    const inst: Instance = {
      id,
      kind: stage.kind,
      stage,
      params,
      paramsJson,
      inputs,
      onDemand,
      onDemandOnly: false,
      dependents: [],
      outputs: stage.outputs(p),
      code,
      key,
      publish: stage.publish ? stage.publish(p) : undefined,
      resources: stage.resources ? stage.resources(p) : {},
      index: order.length,
    };
    for (const up of new Set(Object.values(inputs))) up.dependents.push(inst);
    order.push(inst);
    memo.set(memoKey, inst);
    fastMemo.set(fastKey, inst);
    return inst;
  };

  const roots: Instance[] = [];
  refs.forEach((ref, i) => {
    const where = ref.origin && opts.locate
      ? `${opts.locate(["experiment", ...ref.origin])}: experiment.${formatPath(ref.origin)}`
      : `planned instance #${i + 1}`;
    const root = expand(ref, where, []);
    if (ref.publish !== undefined) root.publish = ref.publish;
    roots.push(root);
  });

  // Disambiguate ids that collide (same scalars, different structured params).
  const byId = new Map<string, Instance>();
  const counts = new Map<string, number>();
  for (const inst of order) counts.set(inst.id, (counts.get(inst.id) ?? 0) + 1);
  for (const inst of order) {
    if ((counts.get(inst.id) ?? 0) > 1) {
      inst.id = `${inst.id}#${sha256Hex(inst.paramsJson).slice(0, 8)}`;
    }
    byId.set(inst.id, inst);
  }
  const byKey = new Map<string, Instance>();
  for (const inst of order) byKey.set(inst.key, inst);
  const planned = new Set<Instance>();
  const mark = (inst: Instance) => {
    if (planned.has(inst)) return;
    planned.add(inst);
    Object.values(inst.inputs).forEach(mark);
  };
  roots.forEach(mark);
  for (const inst of order) inst.onDemandOnly = !planned.has(inst);
  return { instances: order, byId, byKey, roots: [...new Set(roots)], stages };
}
