import assert from "node:assert/strict";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { finishTask, readHubSource } from "../../lib/data/prepare.ts";
import { readJsonl, readTaskMeta } from "../../lib/data/schema.ts";
import { type HubTaskSpec, taskSpec } from "../../lib/data/tasks.ts";
import { type FixtureRepo, startHubFixtureServer } from "../hub/hub_fixture_server.ts";

/** A parquet file in the layout of the Hub's GLUE/ANLI exports (labels INT64). */
function parquet(cols: Record<string, string[]>, labels: number[]): Uint8Array {
  const columnData = [
    ...Object.entries(cols).map(([name, data]) => ({ name, data, type: "STRING" as const })),
    { name: "label", data: labels.map((l) => BigInt(l)), type: "INT64" as const },
    { name: "idx", data: labels.map((_, i) => i), type: "INT32" as const },
  ];
  return new Uint8Array(parquetWriteBuffer({ columnData }));
}

function mrpcSplit(n: number, offset: number, hidden = false): Uint8Array {
  const s1 = Array.from({ length: n }, (_, i) => `first sentence ${offset + i}`);
  const s2 = Array.from({ length: n }, (_, i) => `second sentence ${offset + i}`);
  return parquet({ sentence1: s1, sentence2: s2 }, s1.map((_, i) => (hidden ? -1 : i % 2)));
}

function anliSplit(n: number, round: string): Uint8Array {
  const p = Array.from({ length: n }, (_, i) => `premise ${round} ${i}`);
  const h = Array.from({ length: n }, (_, i) => `hypothesis ${round} ${i}`);
  return parquet({ premise: p, hypothesis: h }, p.map((_, i) => i % 3));
}

function repos(opts: { corrupt?: boolean } = {}): FixtureRepo[] {
  const train = mrpcSplit(100, 0);
  const broken = train.slice();
  broken.fill(7, 8, broken.byteLength - 8); // keeps the PAR1 magic, destroys the rest
  const anliFiles: Record<string, Uint8Array> = {};
  for (const r of ["r1", "r2", "r3"]) {
    anliFiles[`plain_text/train_${r}-00000-of-00001.parquet`] = anliSplit(30, r);
    anliFiles[`plain_text/dev_${r}-00000-of-00001.parquet`] = anliSplit(9, r);
    anliFiles[`plain_text/test_${r}-00000-of-00001.parquet`] = anliSplit(9, r);
  }
  return [
    {
      type: "dataset",
      name: "nyu-mll/glue",
      files: {
        "mrpc/train-00000-of-00001.parquet": opts.corrupt ? broken : train,
        "mrpc/validation-00000-of-00001.parquet": mrpcSplit(40, 1000),
        "mrpc/test-00000-of-00001.parquet": mrpcSplit(20, 2000, true),
        "README.md": "# GLUE\n",
      },
    },
    { type: "dataset", name: "facebook/anli", files: anliFiles },
    { type: "dataset", name: "org/private-glue", private: true, files: { "x.parquet": train } },
  ];
}

async function withFixture(
  fn: (url: string, dir: string, interrupt: (p: string, n: number) => void) => Promise<void>,
  opts: { corrupt?: boolean } = {},
): Promise<void> {
  const server = await startHubFixtureServer({ repos: repos(opts) });
  const dir = await Deno.makeTempDir({ prefix: "idim-data-" });
  try {
    await fn(server.url, dir, (p, n) => server.interrupt(p, n));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const POLICY = { name: "holdout" as const, seed: 0, selectFraction: 0.1 };

Deno.test("GLUE MRPC from Hub parquet: normalized rows, held-out select split, verified files", async () => {
  await withFixture(async (url, dir, interrupt) => {
    const spec = taskSpec("mrpc") as HubTaskSpec;
    interrupt("mrpc/train-00000-of-00001.parquet", 500); // resumes transparently
    const { src, source } = await readHubSource(spec, { downloadDir: dir, endpoint: url });
    assert.equal(src.train.length, 100);
    assert.equal(src.validation!.length, 40);
    assert.deepEqual(src.train[3], {
      text_a: "first sentence 3",
      text_b: "second sentence 3",
      label: 1,
    });
    assert.match(String(source.commit), /^[0-9a-f]{40}$/);
    assert.equal((source.files as unknown[]).length, 2); // test split not fetched
    const t = finishTask(
      "mrpc",
      src,
      spec.labelNames,
      {
        metrics: spec.metrics,
        primaryMetric: spec.primaryMetric,
        pair: true,
      },
      POLICY,
      source,
    );
    assert.equal(t.rows.select.length, 10);
    assert.equal(t.rows.train.length, 90);
    assert.deepEqual(t.rows.report, src.validation);
    assert.deepEqual(t.meta.splits.select.labelCounts, [5, 5]);
    assert.equal(t.meta.policy.name, "holdout");
    assert.deepEqual(t.meta.metrics, ["accuracy", "f1"]);
    const selected = new Set(t.rows.select.map((r) => r.text_a));
    assert.ok(t.rows.train.every((r) => !selected.has(r.text_a)));
  });
});

Deno.test("ANLI: rounds concatenated, dev rounds reported, rows tagged with their round", async () => {
  await withFixture(async (url, dir) => {
    const spec = taskSpec("anli") as HubTaskSpec;
    const { src } = await readHubSource(spec, { downloadDir: dir, endpoint: url });
    assert.equal(src.train.length, 90);
    assert.equal(src.validation!.length, 27);
    assert.deepEqual(src.validationFrom, ["dev_r1", "dev_r2", "dev_r3"]);
    assert.deepEqual([...new Set(src.validation!.map((r) => r.group))], ["r1", "r2", "r3"]);
    const r2 = await readHubSource(taskSpec("anli-r2") as HubTaskSpec, {
      downloadDir: dir,
      endpoint: url,
    });
    assert.equal(r2.src.train.length, 30);
    assert.ok(r2.src.validation!.every((r) => r.group === "r2"));
  });
});

Deno.test("a missing config or a private repo gives an error naming the repository", async () => {
  await withFixture(async (url, dir) => {
    const spec = taskSpec("mrpc") as HubTaskSpec;
    await assert.rejects(
      readHubSource(spec, { downloadDir: dir, endpoint: url, config: "nope" }),
      /dataset nyu-mll\/glue.*nope/,
    );
    await assert.rejects(
      readHubSource(spec, { downloadDir: dir, endpoint: url, repo: "org/private-glue" }),
      /dataset org\/private-glue .*access denied .*HF_TOKEN/,
    );
    await assert.rejects(
      readHubSource(spec, { downloadDir: dir, endpoint: url, repo: "org/absent" }),
      /dataset org\/absent .*not found/,
    );
  });
});

Deno.test("a corrupted parquet file gives a clear error naming the file", async () => {
  await withFixture(async (url, dir) => {
    await assert.rejects(
      readHubSource(taskSpec("mrpc") as HubTaskSpec, { downloadDir: dir, endpoint: url }),
      /mrpc\/train-00000-of-00001\.parquet: not a readable parquet file/,
    );
  }, { corrupt: true });
});

/** Runs the download-dataset stage in a subprocess with HF_ENDPOINT set (env is process-wide). */
async function runStageWithEndpoint(url: string, params: unknown, outDir: string) {
  const code = `
    import { stage } from ${
    JSON.stringify(import.meta.resolve("../../stages/download_dataset.ts"))
  };
    import { runStage } from ${JSON.stringify(import.meta.resolve("./stage_context.ts"))};
    await runStage(stage, ${JSON.stringify(params)}, {}, { outDir: ${
    JSON.stringify(outDir)
  }, scratchDir: ${JSON.stringify(outDir + ".scratch")} });`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    env: { HF_ENDPOINT: url },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("download-dataset stage: HF_ENDPOINT honoured, artifact written; corrupt file writes none", async () => {
  await withFixture(async (url, dir) => {
    const out = join(dir, "out");
    await Deno.mkdir(out);
    await Deno.mkdir(`${out}.scratch`);
    const ok = await runStageWithEndpoint(url, { task: "mrpc", n_train: 50, seed: 3 }, out);
    assert.equal(ok.code, 0, ok.stderr);
    const meta = await readTaskMeta(out);
    assert.equal(meta.task, "mrpc");
    assert.equal(meta.splits.train.rows, 50);
    assert.equal((await readJsonl(join(out, "report.jsonl"), 2)).length, 40);
    assert.equal((meta.source as { repo: string }).repo, "nyu-mll/glue");
  });
  await withFixture(async (url, dir) => {
    const out = join(dir, "out");
    await Deno.mkdir(out);
    await Deno.mkdir(`${out}.scratch`);
    const bad = await runStageWithEndpoint(url, { task: "mrpc" }, out);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /train-00000-of-00001\.parquet: not a readable parquet file/);
    assert.deepEqual([...Deno.readDirSync(out)], []);
  }, { corrupt: true });
});
