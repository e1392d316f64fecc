/**
 * Device selection on a machine without a GPU (CI): names, provider lists, `auto`'s order,
 * the missing-CUDA-library error, the WebGPU error without a Vulkan driver, node-placement
 * accounting, and that the device is not part of any cache key.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import {
  CUDA_INSTALL_COMMAND,
  CUDA_INSTALL_ENV,
  deviceRecord,
  DEVICES,
  deviceSessions,
  missingProviderLibraries,
  MissingProviderLibraryError,
  ortBinaryDir,
  parseDevice,
  placementFromProfile,
  type Provider,
  type ProviderProbe,
  ProviderUnavailableError,
  selectDevice,
} from "../../lib/device/mod.ts";
import { measurePlacement } from "../../lib/device/placement.ts";
import { Graph } from "../../lib/onnx/graph.ts";
import { add } from "../../lib/onnx/ops/elementwise.ts";
import { matmul } from "../../lib/onnx/ops/matmul.ts";
import { softmax } from "../../lib/onnx/ops/nn.ts";
import { toModelProto } from "../../lib/onnx/serialize.ts";
import { basicConfig, makeProject } from "../pipeline/helpers.ts";

/** A probe stub: `ok` lists the providers that work; cuda without libraries otherwise. */
function stubProbe(ok: Provider[], calls: Provider[] = []) {
  return (p: Provider): Promise<ProviderProbe> => {
    calls.push(p);
    const available = ok.includes(p);
    const missing = !available && p === "cuda" ? ["libonnxruntime_providers_cuda.so"] : [];
    return Promise.resolve({
      provider: p,
      known: true,
      bundled: p !== "cuda",
      available,
      missingLibraries: missing,
      libraryDir: "/x/bin",
      ...(available ? {} : { reason: `${p} is not here` }),
      seconds: 0,
    });
  };
}

Deno.test("deviceSessions: one call from a device string to session options and the provider used", async () => {
  const none = await deviceSessions("auto", 3, { probe: stubProbe([]) });
  assert.deepEqual(none.options, { executionProviders: ["cpu"], intraOpNumThreads: 3 });
  assert.equal(none.selection.provider, "cpu");
  assert.deepEqual(deviceRecord(none.selection), {
    provider: "cpu",
    requested: "auto",
    skipped: [
      { provider: "cuda", reason: "cuda is not here" },
      { provider: "webgpu", reason: "webgpu is not here" },
    ],
  });
  const gpu = await deviceSessions(" WebGPU ", 1, { probe: stubProbe(["webgpu"]) });
  assert.deepEqual(gpu.options.executionProviders, ["webgpu", "cpu"]);
  assert.equal(gpu.selection.provider, "webgpu");
  await assert.rejects(
    deviceSessions("cuda", 1, { probe: stubProbe([]) }),
    MissingProviderLibraryError,
  );
  await assert.rejects(deviceSessions("tpu", 1, { where: "--device" }), /--device: unknown device/);
});

Deno.test("parseDevice accepts cpu, cuda, webgpu, auto and names them when rejecting", () => {
  for (const d of DEVICES) assert.equal(parseDevice(d), d);
  assert.equal(parseDevice(" CUDA "), "cuda");
  assert.throws(
    () => parseDevice("gpu", "pipeline.yaml: run.device"),
    /pipeline\.yaml: run\.device: unknown device "gpu"; expected one of cpu, cuda, webgpu, auto/,
  );
});

Deno.test("cpu selects the CPU provider alone without probing anything", async () => {
  const calls: Provider[] = [];
  const s = await selectDevice("cpu", stubProbe([], calls));
  assert.deepEqual(s.executionProviders, ["cpu"]);
  assert.equal(s.provider, "cpu");
  assert.deepEqual(calls, []);
});

Deno.test("a GPU device lists CPU second so nodes the provider lacks fall back", async () => {
  const s = await selectDevice("webgpu", stubProbe(["webgpu"]));
  assert.deepEqual(s.executionProviders, ["webgpu", "cpu"]);
  const c = await selectDevice("cuda", stubProbe(["cuda"]));
  assert.deepEqual(c.executionProviders, ["cuda", "cpu"]);
});

Deno.test("auto prefers cuda, then webgpu, then cpu, recording why it skipped each", async () => {
  assert.equal((await selectDevice("auto", stubProbe(["cuda", "webgpu"]))).provider, "cuda");
  const w = await selectDevice("auto", stubProbe(["webgpu"]));
  assert.equal(w.provider, "webgpu");
  assert.deepEqual(w.skipped.map((s) => s.provider), ["cuda"]);
  const c = await selectDevice("auto", stubProbe([]));
  assert.deepEqual(c.executionProviders, ["cpu"]);
  assert.deepEqual(c.skipped.map((s) => s.provider), ["cuda", "webgpu"]);
  assert.match(c.skipped[1].reason, /webgpu is not here/);
});

Deno.test("auto on this machine (no CUDA libraries, no GPU) runs on cpu", async () => {
  const s = await selectDevice("auto");
  assert.equal(s.provider, "cpu");
  assert.deepEqual(s.executionProviders, ["cpu"]);
  assert.match(s.skipped.find((x) => x.provider === "cuda")!.reason, /not installed/);
});

Deno.test("cuda without its provider libraries fails naming the files, the folder and the fix", async () => {
  const dir = ortBinaryDir();
  assert.deepEqual(missingProviderLibraries("cuda", dir), [
    "libonnxruntime_providers_shared.so",
    "libonnxruntime_providers_cuda.so",
  ]);
  const err = await selectDevice("cuda").then(
    () => assert.fail("cuda was selected without its libraries"),
    (e) => e,
  );
  assert.ok(err instanceof MissingProviderLibraryError, String(err));
  assert.equal(err.dir, dir);
  assert.ok(err.message.includes(dir), err.message);
  assert.match(err.message, /libonnxruntime_providers_cuda\.so/);
  assert.match(err.message, /libonnxruntime_providers_shared\.so/);
  assert.ok(err.message.includes(CUDA_INSTALL_COMMAND), err.message);
  assert.ok(err.message.includes(CUDA_INSTALL_ENV), err.message);
});

Deno.test("the CUDA library check finds the files once they are in the folder", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "idim-cudalibs-"));
  try {
    writeFileSync(path.join(dir, "libonnxruntime_providers_shared.so"), "");
    assert.deepEqual(missingProviderLibraries("cuda", dir), ["libonnxruntime_providers_cuda.so"]);
    writeFileSync(path.join(dir, "libonnxruntime_providers_cuda.so"), "");
    assert.deepEqual(missingProviderLibraries("cuda", dir), []);
    assert.deepEqual(missingProviderLibraries("webgpu", dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("webgpu with no Vulkan driver fails with ORT's reason and the Vulkan hint", async () => {
  // A child process, so the missing driver is certain even on a machine that has one.
  const code = `import { selectDevice } from ${
    JSON.stringify(
      new URL("../../lib/device/select.ts", import.meta.url).href,
    )
  };
try { await selectDevice("webgpu"); console.log("SELECTED"); }
catch (e) { console.log("ERR " + e.name + "\\n" + e.message); }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    env: { VK_DRIVER_FILES: "/nonexistent/icd.json", VK_ICD_FILENAMES: "/nonexistent/icd.json" },
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /^ERR ProviderUnavailableError/m, text);
  assert.match(text, /--device webgpu: ONNX Runtime could not start the webgpu execution provider/);
  assert.match(text, /libvulkan1/);
  assert.match(text, /VK_DRIVER_FILES/);
});

Deno.test("an explicit device that is unavailable is an error, not a silent CPU run", async () => {
  await assert.rejects(selectDevice("webgpu", stubProbe([])), ProviderUnavailableError);
  await assert.rejects(selectDevice("cuda", stubProbe([])), MissingProviderLibraryError);
});

/** Three nodes: MatMul, Add, Softmax. */
function threeNodeModel(): Uint8Array {
  const g = new Graph("t");
  const x = g.input("x", "float32", [2, 2]);
  g.output(softmax(add(matmul(x, x), 1), -1), "y");
  return toModelProto(g);
}

Deno.test("placement on cpu: every node on cpu, no fallback, no copies", async () => {
  const x = new ort.Tensor("float32", new Float32Array([1, 2, 3, 4]), [2, 2]);
  const p = await measurePlacement(threeNodeModel(), { executionProviders: ["cpu"] }, { x });
  assert.equal(p.totalNodes, 3);
  assert.deepEqual(p.nodesByProvider, { cpu: 3 });
  assert.equal(p.fallbackNodes, 0);
  assert.equal(p.copyNodes, 0);
});

Deno.test("placement from a GPU profile counts CPU nodes as fallback and copies apart", () => {
  const ev = (name: string, op: string, ep: string) => ({
    cat: "Node",
    name: `${name}_kernel_time`,
    args: { op_name: op, provider: ep },
  });
  const events = [
    { cat: "Session", name: "model_run" },
    ev("MatMul_0", "MatMul", "WebGpuExecutionProvider"),
    ev("MatMul_0", "MatMul", "WebGpuExecutionProvider"), // a second run: counted once
    ev("Memcpy", "MemcpyFromHost", "WebGpuExecutionProvider"),
    ev("ScatterElements_3", "ScatterElements", "CPUExecutionProvider"),
    ev("Shape_4", "Shape", "CPUExecutionProvider"),
    ev("Memcpy_token_5", "MemcpyToHost", "WebGpuExecutionProvider"),
    { cat: "Node", name: "MatMul_0_fence_before", args: { op_name: "MatMul" } },
  ];
  const p = placementFromProfile(events, "webgpu");
  assert.equal(p.totalNodes, 3);
  assert.deepEqual(p.nodesByProvider, { webgpu: 1, cpu: 2 });
  assert.equal(p.fallbackNodes, 2);
  assert.deepEqual(p.fallbackOps, { ScatterElements: 1, Shape: 1 });
  assert.equal(p.copyNodes, 2);
  assert.throws(() => placementFromProfile({}, "cpu"), /JSON array/);
});

Deno.test("the device is not part of the cache key: a run on cpu is reused by webgpu", async () => {
  const p = makeProject("device", basicConfig({ lr: [0.1] }));
  try {
    let r = await p.cli("run", "--device", "cpu");
    assert.equal(r.code, 0, r.out + r.err);
    r = await p.cli("run", "--dry-run", "--device", "webgpu");
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /\b0 would run, 3 cached\b/);
  } finally {
    p.remove();
  }
});

Deno.test("trainFeeds gives a training graph every input, so its placement can be measured", async () => {
  const o = await import("../../lib/onnx/mod.ts");
  const g = new o.Graph();
  const x = g.input("x", "float32", [4, 3]);
  const y = g.input("y", "int64", [4]);
  const w = g.input("w", "float32", [3, 2]);
  const spec = o.buildTrainGraph(g, {
    loss: o.softmaxCrossEntropy(o.linear(x, w), y),
    params: [w],
    optimizer: { type: "adamw", lr: 1e-2 },
  });
  const { trainFeeds } = await import("../../lib/device/placement.ts");
  const feeds = trainFeeds(spec, { w: new Float32Array(6).fill(0.1) }, {
    x: new ort.Tensor("float32", new Float32Array(12).fill(1), [4, 3]),
    y: new ort.Tensor("int64", new BigInt64Array(4), [4]),
  });
  const p = await measurePlacement(o.toModelProto(g), { executionProviders: ["cpu"] }, feeds, [
    spec.loss,
  ]);
  assert.ok(p.totalNodes > 5, `a training graph has more than 5 nodes, got ${p.totalNodes}`);
  assert.equal(p.nodesByProvider.cpu, p.totalNodes);
  assert.equal(p.fallbackNodes, 0);
});
