/**
 * The embedded default's training graphs as the pipeline plans them: `pipeline.yaml` through the
 * planner, read off its `export-graphs` instances (shape, head, optimizer, LoRA and projection
 * settings) and the runs that train them (steps, warm-up). The benchmarks time these, so a change
 * to the default is a change to what they measure.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { Json } from "../lib/hash/mod.ts";
import type { SmallBertShape } from "../lib/models/mod.ts";
import { idimPlanner } from "../lib/plan/mod.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The model's shape, as the default pretrains it, with its task's labels, batch and length. */
export interface DefaultShape extends Omit<SmallBertShape, "labels" | "eps"> {
  classes: number;
  batch: number;
  seq: number;
}

/** One method's graphs and the schedule its runs feed them. */
export interface DefaultGraphs {
  method: "full" | "did" | "lora";
  /** d or r: the largest of the default's grid. */
  size?: number;
  weightDecay: number;
  clipNorm: number;
  projection?: "global" | "per-tensor";
  loraAlpha?: number;
  loraTargets?: string[];
  warmupSteps: number;
  totalSteps: number;
}

/** What {@link defaultGraphs} returns. */
export interface DefaultPlan {
  shape: DefaultShape;
  full: DefaultGraphs;
  did: DefaultGraphs;
  lora: DefaultGraphs;
}

type Ref = { kind: string; params: Record<string, Json> };

const isRef = (v: unknown): v is Ref =>
  typeof v === "object" && v !== null && typeof (v as Ref).kind === "string" &&
  typeof (v as Ref).params === "object";

/** Every instance reference nested in `v` (depth first). */
function refsIn(v: unknown, out: Ref[] = []): Ref[] {
  if (Array.isArray(v)) v.forEach((x) => refsIn(x, out));
  else if (typeof v === "object" && v !== null) {
    if (isRef(v)) out.push(v);
    Object.values(v).forEach((x) => refsIn(x, out));
  }
  return out;
}

function num(v: Json | undefined, what: string): number {
  if (typeof v !== "number") throw new Error(`default graphs: ${what} is not a number`);
  return v;
}

/**
 * The default's full fine-tuning, DID (largest d) and LoRA (largest r) graphs, planned from
 * `configFile` (default: the repository's `pipeline.yaml`) at its last pretraining checkpoint.
 */
export function defaultGraphs(configFile = join(ROOT, "pipeline.yaml")): DefaultPlan {
  const doc = parse(Deno.readTextFileSync(configFile)) as { experiment?: unknown };
  const exp = idimPlanner.schema.parse(doc.experiment);
  const refs = refsIn(idimPlanner.plan(exp, { root: dirname(configFile) }));
  const exports = refs.filter((r) => r.kind === "export-graphs");
  const trains = refs.filter((r) => r.kind.startsWith("train-") && isRef(r.params.graphs));
  const stepsOf = (r: Ref) => num((r.params.model as Ref).params.steps, "model steps");
  const lastCheckpoint = Math.max(...exports.map(stepsOf));
  const pick = (method: string): Ref => {
    const of = exports.filter((r) => r.params.method === method && stepsOf(r) === lastCheckpoint);
    if (of.length === 0) throw new Error(`default graphs: ${configFile} plans no ${method} graphs`);
    return of.reduce((a, b) => ((b.params.size ?? 0) > (a.params.size ?? 0) ? b : a));
  };
  const graphsOf = (method: "full" | "did" | "lora"): DefaultGraphs => {
    const e = pick(method);
    const key = JSON.stringify(e);
    const run = trains.find((t) => JSON.stringify(t.params.graphs) === key);
    if (!run) throw new Error(`default graphs: no run trains the ${method} graphs`);
    const opt = e.params.optimizer as Record<string, Json>;
    const totalSteps = num(run.params.steps, `${method} steps`);
    const p = e.params;
    return {
      method,
      ...(typeof p.size === "number" ? { size: p.size } : {}),
      weightDecay: num(opt.weightDecay, "weightDecay"),
      clipNorm: num(opt.clipNorm, "clipNorm"),
      ...(p.projection ? { projection: p.projection as "global" | "per-tensor" } : {}),
      ...(method === "lora"
        ? { loraAlpha: num(p.loraAlpha, "loraAlpha"), loraTargets: p.loraTargets as string[] }
        : {}),
      warmupSteps: Math.round(num(run.params.warmupRatio, "warmupRatio") * totalSteps),
      totalSteps,
    };
  };
  const full = pick("full");
  const model = (full.params.model as Ref).params;
  const tokenizer = (model.tokenizer as Ref).params;
  return {
    shape: {
      vocab: num(tokenizer.vocab_size, "vocab_size"),
      hidden: num(model.hidden, "hidden"),
      heads: num(model.heads, "heads"),
      intermediate: num(model.intermediate, "intermediate"),
      layers: num(model.layers, "layers"),
      maxPos: num(model.max_position, "max_position"),
      classes: num(full.params.numLabels, "numLabels"),
      batch: num(full.params.batch, "batch"),
      seq: num(full.params.seq, "seq"),
    },
    full: graphsOf("full"),
    did: graphsOf("did"),
    lora: graphsOf("lora"),
  };
}
