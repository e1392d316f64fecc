/**
 * The ONNX Runtime backend of the train stages: opens an exported-graphs artifact
 * (`graph.json`, `train.onnx`, `eval.onnx`, `init_state.bin`; see lib/models/export.ts) and a
 * tokenized-data artifact (`tokens.json` + int32 split tensors; see lib/data/token_tensors.ts),
 * and returns a stepper over `TrainSession` and an evaluator over `EvalSession` that scores the
 * select and report splits with the task's metrics.
 *
 * @module
 */
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import {
  argmaxRows,
  computeMetrics,
  type MetricName,
  readTokensMeta,
  readTokenTensors,
  type TokenTensors,
} from "../data/mod.ts";
import { deviceSessions, measurePlacement, trainFeeds } from "../device/mod.ts";
import { type GraphMeta, readInitState } from "../models/mod.ts";
import {
  EvalSession,
  type EvalSpec,
  type InputSpec,
  ortOptions,
  TrainSession,
  type TrainSpec,
  type TypedArray,
} from "../onnx/mod.ts";
import type { Metrics } from "../results/mod.ts";
import type { Backend, OpenedRun } from "./backend.ts";
import { sessionStateOf, sessionStateTensors, type TensorState } from "./checkpoint.ts";
import { sizeOf } from "./run_config.ts";

/** Reads and checks `graph.json` of a graphs artifact. */
export function readGraphMeta(dir: string): GraphMeta {
  const file = path.join(dir, "graph.json");
  let meta: GraphMeta;
  try {
    meta = JSON.parse(Deno.readTextFileSync(file)) as GraphMeta;
  } catch (e) {
    throw new Error(`${file}: cannot read the graphs metadata: ${(e as Error).message}`);
  }
  if (meta.format !== "idim-graphs/1") {
    throw new Error(`${file}: format ${JSON.stringify(meta.format)}, expected "idim-graphs/1"`);
  }
  if (meta.task !== "seqcls") {
    throw new Error(`${file}: a ${meta.task} graph; the train stages need a seqcls graph`);
  }
  return meta;
}

function readSpec<T>(file: string): T {
  try {
    return JSON.parse(Deno.readTextFileSync(file)) as T;
  } catch (e) {
    throw new Error(`${file}: cannot read the graph spec: ${(e as Error).message}`);
  }
}

/** Fills reusable batch buffers (int64, as the graphs take them) from int32 token tensors. */
class BatchFiller {
  readonly feeds: Record<string, { data: TypedArray; dims: number[] }> = {};
  constructor(readonly specs: InputSpec[], readonly batch: number, readonly seq: number) {
    for (const s of specs) {
      const n = s.name === "labels" ? batch : batch * seq;
      const dims = s.name === "labels" ? [batch] : [batch, seq];
      const data = s.dtype === "int64" ? new BigInt64Array(n) : new Int32Array(n);
      this.feeds[s.name] = { data: data as unknown as TypedArray, dims };
    }
  }
  /** Writes rows `rows` of `t` (index −1: repeat row 0, padding a short last batch). */
  fill(
    t: TokenTensors,
    rows: ArrayLike<number>,
  ): Record<string, { data: TypedArray; dims: number[] }> {
    const S = this.seq;
    for (const s of this.specs) {
      const src = s.name === "input_ids"
        ? t.inputIds
        : s.name === "attention_mask"
        ? t.attentionMask
        : s.name === "token_type_ids"
        ? t.tokenTypeIds
        : s.name === "labels"
        ? t.labels
        : undefined;
      if (!src) throw new Error(`graph input ${s.name} has no tokenized tensor to fill it`);
      const dst = this.feeds[s.name].data as unknown as BigInt64Array | Int32Array;
      const width = s.name === "labels" ? 1 : S;
      for (let b = 0; b < this.batch; b++) {
        const r = rows[b] < 0 ? 0 : rows[b];
        const off = r * width;
        if (dst instanceof BigInt64Array) {
          for (let j = 0; j < width; j++) dst[b * width + j] = BigInt(src[off + j]);
        } else {
          for (let j = 0; j < width; j++) dst[b * width + j] = src[off + j];
        }
      }
    }
    return this.feeds;
  }
}

/** Opens one run on ONNX Runtime. */
export const onnxBackend: Backend = async (req): Promise<OpenedRun> => {
  const meta = readGraphMeta(req.graphsDir);
  const p = req.params;
  const size = sizeOf(p);
  if (meta.method !== p.method || meta.size !== size) {
    throw new Error(
      `${req.graphsDir}/graph.json: graphs for ${meta.method} size ${meta.size}, but the run is ` +
        `${p.method} size ${size}`,
    );
  }
  const tokens = await readTokensMeta(req.dataDir);
  const [train, select, report] = await Promise.all(
    ["train", "select", "report"].map((s) => readTokenTensors(req.dataDir, s)),
  );
  for (const t of [train, select, report]) {
    if (t.maxLength !== meta.seq) {
      throw new Error(
        `${req.dataDir}/${t.header.split}.json: max length ${t.maxLength}, but the graphs in ` +
          `${req.graphsDir} take sequences of ${meta.seq}`,
      );
    }
    const bad = t.labels.findIndex((l) => l < 0 || l >= meta.numLabels);
    if (bad >= 0) {
      throw new Error(
        `${req.dataDir}/${t.header.split}: row ${bad} has label ${t.labels[bad]}, outside the ` +
          `graphs' ${meta.numLabels} labels`,
      );
    }
  }
  const trainSpec = readSpec<TrainSpec>(path.join(req.graphsDir, `${meta.files.train}.json`));
  const evalSpec = readSpec<EvalSpec>(path.join(req.graphsDir, `${meta.files.eval}.json`));
  const { options: opts, selection: device } = await deviceSessions(req.device, p.threads);
  const init = readInitState(req.graphsDir);
  // On WebGPU the trainable state and optimizer moments stay in GPU buffers between steps; the
  // loop calls `stepper.sync()` (→ syncToHost) before every evaluation and checkpoint.
  const onDevice = device.provider === "webgpu";
  const session = await TrainSession.create(
    path.join(req.graphsDir, meta.files.train),
    trainSpec,
    init,
    { ...opts, stateOnDevice: onDevice },
  );
  const evalSession = await EvalSession.create(
    path.join(req.graphsDir, meta.files.eval),
    evalSpec,
    opts,
  );
  const { steps, warmupSteps } = req.schedule(train.rows, meta.batch);
  const hasSchedule = "total_steps" in trainSpec.hyper;
  if (hasSchedule) {
    session.setHyper("warmup_steps", warmupSteps);
    // A constant schedule: decay over an unreachable horizon.
    session.setHyper("total_steps", p.decay === "linear" ? steps : 1e30);
  } else if (warmupSteps > 0 || p.decay === "linear") {
    throw new Error(
      `${req.graphsDir}: the training graph has no lr schedule inputs, but the run asks for ` +
        `warm-up ${warmupSteps} / ${p.decay} decay (export with a schedule, or set ` +
        `warmupSteps: 0 and decay: constant)`,
    );
  }
  session.setHyper("lr", p.lr);
  const trainFill = new BatchFiller(trainSpec.batch, meta.batch, meta.seq);
  const evalFill = new BatchFiller(evalSpec.batch, meta.batch, meta.seq);
  // On a GPU provider, record where the nodes ran (one profiled step on a separate session).
  const placement = device.provider === "cpu" ? undefined : await measurePlacement(
    path.join(req.graphsDir, meta.files.train),
    ortOptions(opts),
    trainFeeds(
      trainSpec,
      init,
      Object.fromEntries(
        Object.entries(
          trainFill.fill(train, Array.from({ length: meta.batch }, (_, i) => i % train.rows)),
        )
          .map((
            [k, v],
          ) => [
            k,
            new ort.Tensor(
              v.data instanceof BigInt64Array ? "int64" : "int32",
              v.data as BigInt64Array,
              v.dims,
            ),
          ]),
      ),
    ),
    [trainSpec.loss],
  );
  const metricNames = tokens.metrics as MetricName[];
  const carried = [...trainSpec.params, ...trainSpec.state];

  const scoreSplit = async (t: TokenTensors): Promise<Metrics> => {
    const preds = new Int32Array(t.rows);
    const rows = new Int32Array(meta.batch);
    const params = session.paramTensors();
    for (let start = 0; start < t.rows; start += meta.batch) {
      for (let b = 0; b < meta.batch; b++) rows[b] = start + b < t.rows ? start + b : -1;
      const out = await evalSession.run(params, evalFill.fill(t, rows));
      const logits = (out.logits as ort.Tensor).data as Float32Array;
      const pr = argmaxRows(logits, meta.numLabels);
      for (let b = 0; b < meta.batch && start + b < t.rows; b++) preds[start + b] = pr[b];
    }
    return computeMetrics(metricNames, preds, t.labels) as Metrics;
  };

  req.log(
    `graphs ${meta.model} ${meta.method}${size !== null ? ` size ${size}` : ""}: ` +
      `${meta.trainableCount} trainable of ${meta.modelParamCount}; batch ${meta.batch}, seq ` +
      `${meta.seq}; data ${train.rows}/${select.rows}/${report.rows} rows; ${opts.intraOpNumThreads} thread(s)`,
  );
  return {
    trainSize: train.rows,
    batchSize: meta.batch,
    trainableParams: meta.trainableCount,
    trainable: trainSpec.params.map((t) => t.input),
    modelParams: meta.modelParamCount,
    metric: tokens.primaryMetric,
    provider: device.provider,
    facts: {
      device: { requested: device.requested, skipped: device.skipped },
      ...(placement
        ? {
          nodes: placement.totalNodes,
          fallbackNodes: placement.fallbackNodes,
          fallbackOps: placement.fallbackOps,
        }
        : { fallbackNodes: 0 }),
      seq: meta.seq,
      numLabels: meta.numLabels,
      optimizer: meta.optimizer,
      graphOptions: meta.options,
      threads: p.threads,
      ...(onDevice ? { stateOnDevice: true } : {}),
      trainRows: train.rows,
      selectRows: select.rows,
      reportRows: report.rows,
    },
    stepper: {
      async step(indices, step) {
        if (session.stepCount !== step) {
          throw new Error(`train session is at step ${session.stepCount}, the loop at ${step}`);
        }
        return await session.step(trainFill.fill(train, indices));
      },
      async sync() {
        await session.syncToHost();
      },
      getState: (): TensorState => sessionStateTensors(carried, session.getState()),
      setState(s) {
        const hyper = session.getState().hyper;
        session.setState({ ...sessionStateOf(carried, s), hyper });
      },
    },
    evaluate: async () => {
      await session.syncToHost(); // no-op unless a caller skipped stepper.sync()
      return { select: await scoreSplit(select), report: await scoreSplit(report) };
    },
    async close() {
      await session.release();
      await evalSession.release();
    },
  };
};
