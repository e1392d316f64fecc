/**
 * Measured training-step times, for the dry run's hours: the benchmark records under
 * `bench/results/` (`models.json`: CPU, a RoBERTa-Large-shaped model, batch 8 × seq 32;
 * `gpu.json`: ONNX Runtime's WebGPU EP on an NVIDIA H200, RoBERTa-Base/Large shapes, batch 8 ×
 * seq 128). A run's time is its FLOPs (`runFlops`) × the seconds per FLOP of the nearest
 * measurement of the same kind (Fastfood subspace steps for DID/SAID, LoRA steps for LoRA and full
 * fine-tuning): measured where one exists, scaled by FLOPs to other shapes and sizes.
 *
 * @module
 */
import { KNOWN_SHAPES, matmulParams, type RunCost, runFlops } from "../models/mod.ts";

/** One measured step. */
export interface StepMeasurement {
  /** The device a run is planned for (`run --device`): `cpu`, `webgpu`. */
  device: string;
  /** Where it was measured, e.g. `bench/results/gpu.json (NVIDIA H200, ORT 1.30.0 WebGPU EP)`. */
  source: string;
  cost: Omit<RunCost, "steps" | "evals" | "evalRows">;
  /** Seconds per training step. */
  seconds: number;
}

type Shape = RunCost["shape"];

function readJson(rel: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(
      Deno.readTextFileSync(new URL(`../../bench/results/${rel}`, import.meta.url)),
    );
  } catch {
    return undefined;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Every measurement found under `bench/results/` (none when the files are absent). */
export function stepMeasurements(): StepMeasurement[] {
  const out: StepMeasurement[] = [];
  const cpu = readJson("models.json") as
    | {
      rows?: {
        method: string;
        size: number;
        batch: number;
        seq: number;
        stepSeconds: number[];
        /** The median after the warm-up steps (newer records). */
        medianStepSeconds?: number;
      }[];
    }
    | undefined;
  for (const r of cpu?.rows ?? []) {
    out.push({
      device: "cpu",
      source: "bench/results/models.json (CPU, roberta-large shape)",
      cost: {
        shape: KNOWN_SHAPES["roberta-large"],
        method: r.method as RunCost["method"],
        size: r.size,
        batch: r.batch,
        seq: r.seq,
      },
      seconds: r.medianStepSeconds ?? median(r.stepSeconds),
    });
  }
  const gpu = readJson("gpu.json") as {
    card?: string;
    probe?: { ortVersion?: string };
    idim?: {
      rows?: {
        shape: string;
        method: string;
        size: number;
        device: string;
        batch: number;
        seq: number;
        stepSeconds: number[];
      }[];
    };
  } | undefined;
  const card = (gpu?.card ?? "GPU").split(",")[0];
  for (const r of gpu?.idim?.rows ?? []) {
    const shape: Shape | undefined = r.shape === "base"
      ? KNOWN_SHAPES["roberta-base"]
      : r.shape === "large"
      ? KNOWN_SHAPES["roberta-large"]
      : undefined;
    // `did-batched` rows time a graph variant the pipeline does not export (FASTFOOD_BATCHED off).
    if (!shape || r.method === "did-batched") continue;
    out.push({
      device: r.device,
      source: `bench/results/gpu.json (${card}, ORT ${gpu?.probe?.ortVersion ?? "?"} ${r.device})`,
      cost: {
        shape,
        method: r.method as RunCost["method"],
        size: r.size,
        batch: r.batch,
        seq: r.seq,
      },
      seconds: median(r.stepSeconds),
    });
  }
  return out;
}

let cached: StepMeasurement[] | undefined;

/**
 * Seconds of a run on `device`, scaled by FLOPs from the nearest measurement (same device, same
 * kind of step, closest model size); undefined when nothing was measured on that device.
 */
export function runSeconds(
  run: RunCost,
  device: string,
  measurements: StepMeasurement[] = (cached ??= stepMeasurements()),
): { seconds: number; basis: string } | undefined {
  const kind = (m: RunCost["method"]) => (m === "did" || m === "said" ? "subspace" : "dense");
  const on = measurements.filter((m) =>
    m.device === device && kind(m.cost.method) === kind(run.method)
  );
  if (on.length === 0) return undefined;
  const size = matmulParams(run.shape);
  const best = on.reduce((a, b) =>
    Math.abs(Math.log(matmulParams(b.cost.shape) / size)) <
        Math.abs(Math.log(matmulParams(a.cost.shape) / size))
      ? b
      : a
  );
  const perFlop = best.seconds / runFlops({ ...best.cost, steps: 1, evals: 0, evalRows: 0 });
  return { seconds: runFlops(run) * perFlop, basis: best.source };
}

/** Hours as `1,234 h` or `12.3 h`. */
export function formatHours(seconds: number): string {
  const h = seconds / 3600;
  return h >= 100 ? `${Math.round(h).toLocaleString("en-US")} h` : `${h.toPrecision(3)} h`;
}
