/**
 * Renders the DAG as a text tree, Mermaid or Graphviz DOT.
 *
 * @module
 */
import type { Instance } from "./dag.ts";

/** A text tree from each sink (instance with no dependents in the set) up through its inputs. */
export function renderText(instances: Instance[], mark?: (i: Instance) => string): string {
  const set = new Set(instances);
  const obtainedBy = new Set(instances.flatMap((i) => Object.values(i.onDemand)));
  const sinks = instances.filter((i) =>
    !i.dependents.some((d) => set.has(d)) && !obtainedBy.has(i)
  );
  const lines: string[] = [];
  const shown = new Set<Instance>();
  const rec = (inst: Instance, prefix: string, last: boolean, depth: number, label: string) => {
    const branch = depth === 0 ? "" : last ? "└─ " : "├─ ";
    const m = mark ? mark(inst) : "";
    const ins = [
      ...Object.entries(inst.inputs),
      ...Object.entries(inst.onDemand).filter(([, up]) => set.has(up)).map((
        [n, up],
      ) => [`${n} (on demand)`, up] as const),
    ];
    const again = shown.has(inst) && ins.length > 0;
    lines.push(`${prefix}${branch}${label}${inst.id}${m}${again ? " (see above)" : ""}`);
    if (again) return;
    shown.add(inst);
    const childPrefix = depth === 0 ? "" : prefix + (last ? "   " : "│  ");
    ins.forEach(([name, up], k) =>
      rec(up, childPrefix, k === ins.length - 1, depth + 1, `${name}: `)
    );
  };
  for (const s of sinks) rec(s, "", true, 0, "");
  return lines.join("\n") + "\n";
}

function nodeName(i: Instance): string {
  return `n${i.index}`;
}

/** Mermaid flowchart source. */
export function renderMermaid(instances: Instance[]): string {
  const set = new Set(instances);
  const esc = (s: string) => s.replace(/"/g, "#quot;");
  const lines = ["flowchart LR"];
  for (const i of instances) lines.push(`  ${nodeName(i)}["${esc(i.id)}"]`);
  for (const i of instances) {
    for (const [name, up] of Object.entries(i.inputs)) {
      if (set.has(up)) lines.push(`  ${nodeName(up)} -->|${esc(name)}| ${nodeName(i)}`);
    }
    for (const [name, up] of Object.entries(i.onDemand)) {
      if (set.has(up)) lines.push(`  ${nodeName(up)} -.->|${esc(name)}| ${nodeName(i)}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Graphviz DOT source. */
export function renderDot(instances: Instance[]): string {
  const set = new Set(instances);
  const q = (s: string) => JSON.stringify(s);
  const lines = ["digraph pipeline {", "  rankdir=LR;", "  node [shape=box];"];
  for (const i of instances) lines.push(`  ${nodeName(i)} [label=${q(i.id)}];`);
  for (const i of instances) {
    for (const [name, up] of Object.entries(i.inputs)) {
      if (set.has(up)) lines.push(`  ${nodeName(up)} -> ${nodeName(i)} [label=${q(name)}];`);
    }
    for (const [name, up] of Object.entries(i.onDemand)) {
      if (set.has(up)) {
        lines.push(`  ${nodeName(up)} -> ${nodeName(i)} [label=${q(name)}, style=dashed];`);
      }
    }
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
