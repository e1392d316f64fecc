/**
 * Loads the pipeline config file: a generic `run:` section (owned by the engine) and an
 * `experiment:` section validated by the planner's schema. Errors name file, line, column and
 * key, e.g. `pipeline.yaml:12:5: experiment.lora.r[2]: expected number, got "abc"`.
 *
 * @module
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import { z } from "zod";
import * as path from "node:path";
import { PipelineError } from "./errors.ts";
import { BUILTIN_EXECUTORS } from "./builtin_executors.ts";
import { ANY_DEVICE, type DeviceOption, type ExecutorPlugin } from "./executor_plugin.ts";
import type { Planner } from "./planner.ts";

/** The engine's settings from the `run:` section (command-line flags override them). */
export interface RunSettings {
  /** Concurrent instances in the local pool. */
  jobs: number;
  /** Execution device handed to stages (not part of keys); validated by the device option. */
  device: string;
  /** Name of a registered executor plug-in (default: the first registered, `local`). */
  executor: string;
  /** Store directory, relative to the config file's folder unless absolute. */
  store: string;
  /**
   * The executors' own sections as written (`run.slurm:` → `sections.slurm`), checked here only
   * for being mappings; each plug-in's schema validates its section when it is used.
   */
  sections: Record<string, Record<string, unknown>>;
}

/** The executors and the device option a config is read with (default: the engine's own). */
export interface ConfigPlugins {
  // deno-lint-ignore no-explicit-any
  executors?: readonly ExecutorPlugin<any>[];
  device?: DeviceOption;
  /** The folder a relative config path resolves against and messages are relative to. */
  cwd?: string;
}

/** Schema of the `run:` section for the registered executors and device option. */
export function runSchemaFor(plugins: ConfigPlugins = {}): z.ZodType {
  const executors = plugins.executors ?? BUILTIN_EXECUTORS;
  const choices = plugins.device?.choices;
  const names = executors.map((e) => e.name);
  const sections: Record<string, z.ZodType> = {};
  for (const e of executors) {
    if (e.section) sections[e.name] = z.record(z.string(), z.unknown()).optional();
  }
  return z.strictObject({
    jobs: z.number().int().positive().optional(),
    device:
      (choices && choices.length > 0 ? z.enum(choices as [string, ...string[]]) : z.string().min(1))
        .optional(),
    executor: z.enum(names as [string, ...string[]]).optional(),
    store: z.string().min(1).optional(),
    ...sections,
  });
}

/**
 * Validates one section against a schema; every problem (at most 10) is reported as
 * `file:line:col: run.slurm.stages.train.time: what is wrong`.
 * @param prefix the section's config path, e.g. `["run", "slurm"]`.
 * @throws PipelineError listing the problems.
 */
export function validateSection<T>(
  schema: z.ZodType<T>,
  raw: unknown,
  prefix: (string | number)[],
  locate: (p: (string | number)[]) => string,
): T {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.slice(0, 10).map((issue) => {
    const { path: p, text } = describeIssue(issue, raw, schema);
    const full = [...prefix, ...p.map((s) => typeof s === "number" ? s : String(s))];
    return `${locate(full)}: ${formatPath(full)}: ${text}`;
  });
  throw new PipelineError(lines.join("\n"));
}

/** A loaded, validated config file. */
export interface LoadedConfig<E = unknown> {
  /** Absolute path of the config file. */
  file: string;
  /** The project root: the config file's folder. Publish paths are relative to it. */
  root: string;
  /** Engine settings with defaults applied. */
  run: RunSettings;
  /** The validated `experiment:` section. */
  experiment: E;
  /** `file:line:col` of the node at a config path (or of its nearest existing ancestor). */
  locate(configPath: (string | number)[]): string;
}

/** Formats a config path as `experiment.lora.r[2]`. */
export function formatPath(p: readonly PropertyKey[]): string {
  let s = "";
  for (const seg of p) {
    if (typeof seg === "number") s += `[${seg}]`;
    else s += s === "" ? String(seg) : `.${String(seg)}`;
  }
  return s === "" ? "(top level)" : s;
}

/** Describes a value briefly for an error message. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return JSON.stringify(v);
}

function valueAt(root: unknown, p: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of p) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

function schemaAt(schema: z.ZodType, p: readonly PropertyKey[]): z.ZodType | undefined {
  // deno-lint-ignore no-explicit-any
  let s: any = schema;
  const unwrap = () => {
    while (s?._zod?.def?.innerType) s = s._zod.def.innerType;
  };
  for (const seg of p) {
    unwrap();
    if (s?._zod?.def?.type === "object") s = s._zod.def.shape[seg as string];
    else if (s?._zod?.def?.type === "array") s = s._zod.def.element;
    else if (s?._zod?.def?.type === "record") s = s._zod.def.valueType;
    else return undefined;
  }
  unwrap();
  return s;
}

/** Turns one zod issue into `what is wrong` text (without location). */
export function describeIssue(
  issue: z.core.$ZodIssue,
  input: unknown,
  schema?: z.ZodType,
): { path: PropertyKey[]; text: string } {
  const p = [...issue.path];
  const got = valueAt(input, p);
  switch (issue.code) {
    case "invalid_type":
      if (got === undefined) {
        return { path: p, text: `missing required key (expected ${issue.expected})` };
      }
      return { path: p, text: `expected ${issue.expected}, got ${describeValue(got)}` };
    case "unrecognized_keys": {
      const known = schema ? schemaAt(schema, p) : undefined;
      // deno-lint-ignore no-explicit-any
      const shape = (known as any)?._zod?.def?.shape;
      const hint = shape ? ` (expected one of: ${Object.keys(shape).join(", ")})` : "";
      return {
        path: [...p, issue.keys[0]],
        text: `unknown key${issue.keys.length > 1 ? "s" : ""} ${
          issue.keys.map((k) => JSON.stringify(k)).join(", ")
        }${hint}`,
      };
    }
    case "invalid_value":
      return {
        path: p,
        text: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${
          describeValue(got)
        }`,
      };
    case "too_small":
    case "too_big": {
      const msg = issue.message.replace(/^Too (small|big): /, "");
      return { path: p, text: `${msg}, got ${describeValue(got)}` };
    }
    default:
      return {
        path: p,
        text: `${issue.message}${got !== undefined ? `, got ${describeValue(got)}` : ""}`,
      };
  }
}

/** Finds the YAML node at a path: the value node, or the key node when `key` is asked for. */
function yamlNodeAt(
  doc: Document,
  p: readonly PropertyKey[],
): YamlNode | undefined {
  let node: unknown = doc.contents;
  let last: YamlNode | undefined = (doc.contents as YamlNode) ?? undefined;
  for (const seg of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) =>
        isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg)
      );
      if (!pair) return last;
      last = (pair.key as YamlNode) ?? last;
      node = pair.value;
      if (node && (node as YamlNode).range) last = node as YamlNode;
    } else if (isSeq(node) && typeof seg === "number") {
      node = node.items[seg];
      if (node && (node as YamlNode).range) last = node as YamlNode;
      else return last;
    } else {
      return last;
    }
  }
  return last;
}

/** Same as yamlNodeAt but prefers the key node of the last segment (for unknown keys). */
function yamlKeyAt(doc: Document, p: readonly PropertyKey[]): YamlNode | undefined {
  if (p.length === 0) return yamlNodeAt(doc, p);
  const parent = yamlNodeAt(doc, p.slice(0, -1));
  if (isMap(parent)) {
    const seg = p[p.length - 1];
    const pair = parent.items.find((it) =>
      isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg)
    );
    if (pair && pair.key) return pair.key as YamlNode;
  }
  return yamlNodeAt(doc, p);
}

/**
 * Reads and validates a config file. Throws a PipelineError naming `file:line:col` and the key
 * for malformed YAML, unknown keys and wrong types.
 */
export function loadConfig<E>(
  file: string,
  planner: Planner<E>,
  plugins: ConfigPlugins = {},
): LoadedConfig<E> {
  const cwd = plugins.cwd ?? Deno.cwd();
  const abs = path.resolve(cwd, file);
  const shown = path.relative(cwd, abs) || abs;
  let text: string;
  try {
    text = Deno.readTextFileSync(abs);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new PipelineError(`${shown}: config file not found`);
    }
    throw new PipelineError(`${shown}: cannot read config file: ${(e as Error).message}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${shown}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const first = err.message.split("\n")[0];
    throw new PipelineError(`${at(err.pos[0])}: malformed YAML: ${first}`);
  }
  const data = doc.toJS() as unknown;
  const locateNode = (n: YamlNode | undefined) => n?.range ? at(n.range[0]) : `${shown}:1:1`;
  const locate = (p: (string | number)[]) => locateNode(yamlNodeAt(doc, p));
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new PipelineError(
      `${shown}:1:1: expected a mapping with the sections "run:" and "experiment:", got ${
        describeValue(data)
      }`,
    );
  }
  const top = z.strictObject({
    run: runSchemaFor(plugins).optional(),
    experiment: planner.schema,
  });
  const parsed = top.safeParse(data);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 10).map((issue) => {
      const { path: p, text: t } = describeIssue(issue, data, top);
      const loc = issue.code === "unrecognized_keys"
        ? locateNode(yamlKeyAt(doc, p))
        : locateNode(yamlNodeAt(doc, p));
      return `${loc}: ${formatPath(p)}: ${t}`;
    });
    throw new PipelineError(lines.join("\n"));
  }
  const r = (parsed.data.run ?? {}) as Record<string, unknown> & {
    jobs?: number;
    device?: string;
    executor?: string;
    store?: string;
  };
  const device = plugins.device ?? ANY_DEVICE;
  if (r.device !== undefined && !device.choices) {
    const where = `${locate(["run", "device"])}: run.device`;
    try {
      r.device = device.parse(r.device, where);
    } catch (e) {
      throw new PipelineError((e as Error).message);
    }
  }
  const executors = plugins.executors ?? BUILTIN_EXECUTORS;
  const sections: Record<string, Record<string, unknown>> = {};
  for (const e of executors) {
    if (e.section && r[e.name] !== undefined) {
      sections[e.name] = r[e.name] as Record<string, unknown>;
    }
  }
  return {
    file: abs,
    root: path.dirname(abs),
    run: {
      jobs: r.jobs ?? Math.max(1, navigator.hardwareConcurrency || 1),
      device: r.device ?? device.default,
      executor: r.executor ?? executors[0].name,
      store: r.store ?? ".idim/store",
      sections,
    },
    experiment: parsed.data.experiment as E,
    locate,
  };
}
