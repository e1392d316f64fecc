/**
 * Selectors pick instances on the command line: an exact id (as printed; tried first), a key or
 * its first 8+ hex digits, a stage kind (`train-lora`), or a pattern matching scalar params or the
 * fields of the printed id by string equality (`train-lora{task=mrpc,r=16}`, `*{seed=0}`,
 * `lr-search{lrs=2}`).
 *
 * @module
 */
import type { Dag, Instance } from "./dag.ts";
import { PipelineError } from "./errors.ts";

/** A parsed selector. */
export interface Selector {
  text: string;
  kind: string;
  /** Param name → expected string value. */
  where: Map<string, string>;
}

/** True for an instance key or its first 8 or more hex digits (as `show` and logs print them). */
export function isKeyPrefix(text: string): boolean {
  return /^[0-9a-f]{8,64}$/.test(text);
}

/** Parses one selector; throws PipelineError on bad syntax. */
export function parseSelector(text: string): Selector {
  const m = /^([A-Za-z0-9_.*-]+)(?:\{(.*)\})?$/s.exec(text.trim());
  if (!m) {
    throw new PipelineError(
      `selector "${text}": expected a stage kind or kind{param=value,...}`,
    );
  }
  const where = new Map<string, string>();
  if (m[2] !== undefined && m[2].trim() !== "") {
    for (const part of m[2].split(",")) {
      const eq = part.indexOf("=");
      if (eq <= 0) {
        throw new PipelineError(`selector "${text}": "${part}" is not param=value`);
      }
      where.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
  }
  return { text, kind: m[1], where };
}

/**
 * The `name=value` fields of an instance's printed id (`kind{a=1,b=x}`): a stage's label may show
 * derived fields (e.g. `lrs=2`, a count) that are no params, and what the CLI prints must be
 * selectable back.
 */
export function labelFields(inst: Instance): Map<string, string> {
  const fields = new Map<string, string>();
  const m = /^[^{]*\{(.*)\}(?:#[0-9a-f]+)?$/s.exec(inst.id);
  if (!m) return fields;
  for (const part of m[1].split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return fields;
}

function matches(sel: Selector, inst: Instance): boolean {
  if (sel.kind !== "*" && sel.kind !== inst.kind) return false;
  let label: Map<string, string> | undefined;
  for (const [k, v] of sel.where) {
    const p = inst.params[k];
    if (p !== undefined && (p === null || typeof p !== "object") && String(p) === v) continue;
    label ??= labelFields(inst);
    if (label.get(k) !== v) return false;
  }
  return true;
}

/**
 * The instances matched by the selectors (an exact id also matches). Throws a PipelineError for
 * an unknown kind, an unknown param name, or a selector matching nothing.
 */
export function selectInstances(dag: Dag, texts: string[]): Instance[] {
  const out = new Set<Instance>();
  for (const text of texts) {
    const exact = dag.byId.get(text);
    if (exact) {
      out.add(exact);
      continue;
    }
    if (isKeyPrefix(text)) {
      const byKey = dag.instances.filter((i) => i.key.startsWith(text));
      if (byKey.length === 0) {
        throw new PipelineError(`selector "${text}": no planned instance has a key starting so`);
      }
      for (const i of byKey) out.add(i);
      continue;
    }
    const sel = parseSelector(text);
    const kinds = [...dag.stages.keys()].sort();
    if (sel.kind !== "*" && !dag.stages.has(sel.kind)) {
      throw new PipelineError(
        `selector "${text}": unknown stage kind "${sel.kind}" (known kinds: ${kinds.join(", ")})`,
      );
    }
    const candidates = dag.instances.filter((i) => sel.kind === "*" || i.kind === sel.kind);
    for (const k of sel.where.keys()) {
      if (!candidates.some((i) => k in i.params || labelFields(i).has(k))) {
        const names = [
          ...new Set(
            candidates.flatMap((i) => [...Object.keys(i.params), ...labelFields(i).keys()]),
          ),
        ].sort();
        throw new PipelineError(
          `selector "${text}": no ${
            sel.kind === "*" ? "instance" : `"${sel.kind}" instance`
          } has a param "${k}" (params: ${names.join(", ") || "none"})`,
        );
      }
    }
    const hit = candidates.filter((i) => matches(sel, i));
    if (hit.length === 0) {
      throw new PipelineError(`selector "${text}": matches no planned instance`);
    }
    for (const i of hit) out.add(i);
  }
  return [...out].sort((a, b) => a.index - b.index);
}

/** The instances and everything reachable from them through `next`, in topological order. */
function closure(instances: Iterable<Instance>, next: (i: Instance) => Instance[]): Instance[] {
  const seen = new Set<Instance>();
  const stack = [...instances];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (seen.has(i)) continue;
    seen.add(i);
    stack.push(...next(i));
  }
  return [...seen].sort((a, b) => a.index - b.index);
}

/** The instances and everything upstream of them, in topological order. */
export function withUpstream(instances: Iterable<Instance>): Instance[] {
  return closure(instances, (i) => Object.values(i.inputs));
}

/** As `withUpstream`, following on-demand inputs too (what `dag` draws). */
export function withUpstreamAndOnDemand(instances: Iterable<Instance>): Instance[] {
  return closure(instances, (i) => [...Object.values(i.inputs), ...Object.values(i.onDemand)]);
}

/** The instances and everything downstream of them, in topological order. */
export function withDownstream(instances: Iterable<Instance>): Instance[] {
  return closure(instances, (i) => i.dependents);
}
