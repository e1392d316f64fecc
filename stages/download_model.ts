/**
 * Stage `download-model`: a BERT/RoBERTa checkpoint from the Hugging Face Hub (or a local
 * directory in the Hub's layout, or a random initialisation) → a model artifact:
 *
 * - `config.json` (as published), the tokenizer files (`tokenizer.json`, and any of
 *   `tokenizerFiles`: vocab.txt, vocab.json, merges.txt, …),
 * - `weights.bin` + `weights.json`: the project's weights file (float32, Linear weights
 *   `[in, out]`, 64-byte aligned; see `lib/models/weights_file.ts`), converted from
 *   `model.safetensors` in bounded chunks,
 * - `model.json`: where it came from (repo, revision, resolved commit, sha256 and size of every
 *   downloaded file) and which checkpoint tensors were not used.
 *
 * `model.safetensors` is not kept: it is downloaded into the instance's scratch directory
 * (resumable across crashes, size and hash verified by `lib/hub`), converted, and deleted, so a
 * model costs its disk space once. `HF_ENDPOINT` and `HF_TOKEN` are honoured.
 *
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { downloadFile, listFiles } from "../lib/hub/mod.ts";
import {
  convertSafetensors,
  initWeights,
  parseConfig,
  readConfig,
  toHfConfig,
} from "../lib/models/mod.ts";
import { defineStage } from "../lib/pipeline/stage.ts";

const Params = z.object({
  /** The artifact's name (`models/<name>`). */
  name: z.string().regex(/^[A-Za-z0-9._-]+$/),
  /** `hub`: download `repo`@`revision`; `local`: a directory in HF layout; `random`: initWeights. */
  source: z.enum(["hub", "local", "random"]).default("hub"),
  /** Hub repository, e.g. `roberta-large` or `google-bert/bert-base-uncased`. */
  repo: z.string().optional(),
  /** Branch, tag or commit (pin a commit for reproducibility). */
  revision: z.string().default("main"),
  /** Local directory holding config.json, model.safetensors and tokenizer files. */
  path: z.string().optional(),
  /** Tokenizer files to copy besides config.json (default `["tokenizer.json"]`). */
  tokenizerFiles: z.array(z.string()).default(["tokenizer.json"]),
  /** For `random`: an HF config.json object, and the initialisation seed. */
  config: z.record(z.string(), z.unknown()).optional(),
  seed: z.number().int().default(0),
});

/** The parsed parameters of `download-model`. */
export type DownloadModelParams = z.infer<typeof Params>;

/** Files every instance writes besides the tokenizer files. */
const CORE_OUTPUTS = ["config.json", "weights.bin", "weights.json", "model.json"];

export default defineStage({
  kind: "download-model",
  description: "Fetch a BERT/RoBERTa checkpoint and convert it to the shared weights file",
  module: import.meta.url,
  params: Params,
  outputs: (p) => [...CORE_OUTPUTS, ...(p.source === "random" ? [] : p.tokenizerFiles)],
  resources: () => ({ cpus: 1, memoryMiB: 2048 }),
  label: (p) => p.name,
  publish: (p) => `models/${p.name}`,
  async run(ctx) {
    const p = ctx.params;
    const manifest: Record<string, unknown> = { name: p.name, source: p.source };
    if (p.source === "random") {
      if (!p.config) throw new Error(`download-model ${p.name}: source "random" needs "config"`);
      const config = parseConfig(p.config, `download-model ${p.name} params.config`);
      writeFileSync(join(ctx.outDir, "config.json"), JSON.stringify(toHfConfig(config), null, 2));
      ctx.log(`initialising ${p.name} with seed ${p.seed}`);
      initWeights(config, p.seed, ctx.outDir, { head: "mlm" });
      Object.assign(manifest, { seed: p.seed, skipped: [] });
    } else {
      const srcDir = p.source === "local"
        ? localDir(p)
        : await fetchFromHub(p, ctx.scratchDir, manifest, ctx);
      for (const f of ["config.json", ...p.tokenizerFiles]) {
        const src = join(srcDir, f);
        if (!existsSync(src)) {
          throw new Error(
            `download-model ${p.name}: ${src} is missing (listed in tokenizerFiles?)`,
          );
        }
        copyFileSync(src, join(ctx.outDir, f));
      }
      const config = readConfig(join(ctx.outDir, "config.json"));
      ctx.log(`converting ${join(srcDir, "model.safetensors")}`);
      const { skipped } = convertSafetensors(join(srcDir, "model.safetensors"), ctx.outDir, config);
      manifest.skipped = skipped;
      if (p.source === "hub") rmSync(join(srcDir, "model.safetensors"), { force: true });
    }
    writeFileSync(join(ctx.outDir, "model.json"), JSON.stringify(manifest, null, 2));
  },
});

function localDir(p: DownloadModelParams): string {
  if (!p.path) throw new Error(`download-model ${p.name}: source "local" needs "path"`);
  for (const f of ["config.json", "model.safetensors"]) {
    if (!existsSync(join(p.path, f))) {
      throw new Error(`download-model ${p.name}: ${join(p.path, f)} is missing`);
    }
  }
  return p.path;
}

async function fetchFromHub(
  p: DownloadModelParams,
  scratch: string,
  manifest: Record<string, unknown>,
  ctx: {
    log(m: string): void;
    progress(d: number, t: number, n?: string): void;
    signal: AbortSignal;
  },
): Promise<string> {
  if (!p.repo) throw new Error(`download-model ${p.name}: source "hub" needs "repo"`);
  const dir = join(scratch, "hub");
  mkdirSync(dir, { recursive: true });
  const listed = await listFiles({ repo: p.repo, revision: p.revision, recursive: false });
  const names = new Set(listed.map((f) => f.path));
  if (!names.has("model.safetensors")) {
    const hint = names.has("model.safetensors.index.json")
      ? "sharded checkpoints are not supported"
      : `the repository has ${[...names].join(", ")}`;
    throw new Error(
      `download-model ${p.name}: ${p.repo}@${p.revision} has no model.safetensors (${hint})`,
    );
  }
  const files: Record<string, unknown> = {};
  const wanted = ["config.json", ...p.tokenizerFiles, "model.safetensors"];
  let commit: string | undefined;
  for (const f of wanted) {
    const meta = listed.find((x) => x.path === f);
    if (!meta) throw new Error(`download-model ${p.name}: ${p.repo}@${p.revision} has no ${f}`);
    ctx.log(`downloading ${p.repo}@${p.revision}/${f} (${meta.size} bytes)`);
    const got = await downloadFile({
      repo: p.repo,
      revision: p.revision,
      path: f,
      dest: join(dir, f),
      expectedSize: meta.size,
      expectedSha256: meta.sha256,
      signal: ctx.signal,
      onProgress: (d, t) => ctx.progress(d, t, f),
    });
    commit ??= got.commit;
    files[f] = { size: got.size, sha256: got.sha256, resumedFrom: got.resumedFrom };
  }
  Object.assign(manifest, { repo: p.repo, revision: p.revision, commit, files });
  return dir;
}
