/**
 * Plan-time validation: each mistake a careful user found in the embedded default config is
 * reported on one line at the key that causes it (file:line:col), exit code 2, and nothing is
 * written — instead of an accepted config whose runs die later, or an error at `experiment.report`.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../lib/pipeline/cli.ts";
import { loadConfig } from "../../lib/pipeline/config.ts";
import { idimPlanner } from "../../lib/plan/idim_planner.ts";
import { stages } from "../../stages/mod.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/**
 * The config the mistakes are made in: the embedded default as it was when these checks were
 * written (three embedded tasks, every method), kept as a fixture so the checks do not move
 * with the default.
 */
const BASE = Deno.readTextFileSync(path.join(REPO, "tests/plan/fixtures/base_config.yaml"));

/** Where a token is: the line holding `line` (its `nth` occurrence), the column of `token`. */
interface Spot {
  line: string;
  token: string;
  nth?: number;
}

function locate(text: string, spot: Spot): string {
  const lines = text.split("\n");
  let seen = 0;
  const i = lines.findIndex((l) => l.includes(spot.line) && seen++ === (spot.nth ?? 0));
  assert.ok(i >= 0, `the edited config has a line with ${spot.line}`);
  const col = lines[i].indexOf(spot.token, lines[i].indexOf(spot.line)) + 1;
  assert.ok(col > 0, `line ${i + 1} holds ${spot.token}`);
  return `${i + 1}:${col}`;
}

/**
 * Writes the edited default config into a fresh folder, dry-runs it through the real CLI, and
 * asserts the single located error line, exit code 2, and a folder holding only the config.
 */
async function expectError(
  edit: (yaml: string) => string,
  spot: Spot,
  message: string | ((dir: string) => string),
  setup?: (dir: string) => void,
): Promise<void> {
  const dir = Deno.makeTempDirSync();
  try {
    const file = path.join(dir, "bad.yaml");
    const text = edit(BASE);
    assert.notEqual(text, BASE, "the edit applies");
    Deno.writeTextFileSync(file, text);
    setup?.(dir);
    const before = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    let err = "";
    const code = await main(["run", "--config", file, "--dry-run"], {
      planner: idimPlanner,
      stages,
      defaultConfig: path.join(REPO, "pipeline.yaml"),
      stdout: { write: () => {}, isTerminal: false },
      stderr: (t) => (err += t),
    });
    const shown = path.relative(Deno.cwd(), file);
    const want = typeof message === "string" ? message : message(dir);
    assert.equal(err.trim(), `error: ${shown}:${locate(text, spot)}: ${want}`);
    assert.equal(code, 2);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), before, "no store");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("max_length beyond a pretrained model's max_position is an error at the task", async () => {
  await expectError(
    (y) => y.replace("max_length: 48", "max_length: 128"),
    { line: "max_length: 128", token: "128" },
    "experiment.tasks.brown-genre.max_length: must be at most the 64 positions of model " +
      "tiny-bert, which sets[0] fine-tunes on task brown-genre, got 128",
  );
});

Deno.test("heads that do not divide hidden: an error at heads, not at experiment.report", async () => {
  await expectError(
    (y) => y.replace("heads: 2", "heads: 3"),
    { line: "heads: 3", token: "3" },
    "experiment.models.tiny-bert.heads: must divide hidden (64), got 3",
  );
});

Deno.test("a vocabulary larger than the embedded tokenizer's is an error at vocab_size", async () => {
  await expectError(
    (y) => y.replace("vocab_size: 4096", "vocab_size: 10000000"),
    { line: "vocab_size", token: "10000000" },
    "experiment.models.tiny-bert.vocab_size: must be between 64 and 30522 (the embedded " +
      "bert-base-uncased vocabulary), or null for all of it, got 10000000",
  );
});

Deno.test("a repeated seed is an error at its second occurrence", async () => {
  await expectError(
    (y) => y.replace("seeds: [0]", "seeds: [0, 0]"),
    { line: "seeds: [0, 0]", token: "0]" },
    "experiment.seeds[1]: must differ from seeds[0], got 0",
  );
});

Deno.test("two sets of one name: an error at the second name", async () => {
  await expectError(
    (y) =>
      y.replace(
        "  pretraining_effect:",
        "    - name: embedded-tasks\n      models: [tiny-bert]\n      tasks: [spam]\n\n" +
          "  pretraining_effect:",
      ),
    { line: "- name: embedded-tasks", token: "embedded-tasks", nth: 1 },
    'experiment.sets[1].name: must differ from sets[0].name, got "embedded-tasks"',
  );
});

Deno.test("a model listed twice in a set is an error at the repeat", async () => {
  await expectError(
    (y) => y.replace("models: [tiny-bert]", "models: [tiny-bert, tiny-bert]"),
    { line: "models: [tiny-bert, tiny-bert]", token: "tiny-bert]" },
    'experiment.sets[0].models[1]: must differ from sets[0].models[0], got "tiny-bert"',
  );
});

Deno.test("a repeated pretraining checkpoint is an error at the repeat", async () => {
  await expectError(
    (y) => y.replace("checkpoints: [0, 300, 1500]", "checkpoints: [50, 0, 50]"),
    { line: "checkpoints: [50, 0, 50]", token: "50]" },
    "experiment.models.tiny-bert.checkpoints[2]: must differ from " +
      "models.tiny-bert.checkpoints[0], got 50",
  );
});

Deno.test("a repeated d in a grid is an error at the repeat", async () => {
  await expectError(
    (y) => y.replace("d: [16, 64, 256, 1024, 4096]", "d: [16, 64, 256, 64]"),
    { line: "d: [16, 64, 256, 64]", token: "64]" },
    "experiment.did.d[3]: must differ from did.d[1], got 64",
  );
});

Deno.test("n_train beyond the dataset's size is an error at n_train", async () => {
  await expectError(
    (y) => y.replace("n_train: 1024", "n_train: 100000000"),
    { line: "n_train: 100000000", token: "100000000" },
    "experiment.tasks.spam.n_train: must be at most the 6046 examples of dataset spam, " +
      "got 100000000",
  );
});

Deno.test("an absurd batch is an error where it is set, before any compute estimate", async () => {
  await expectError(
    (y) => y.replace("batch: 32\n    steps", "batch: 100000\n    steps"),
    { line: "batch: 100000", token: "100000" },
    "experiment.train.batch: must be at most 4096, got 100000",
  );
});

Deno.test("a batch larger than the training set is an error at the batch", async () => {
  await expectError(
    (y) => y.replace("batch: 32\n    steps", "batch: 2048\n    steps"),
    { line: "batch: 2048", token: "2048" },
    `experiment.train.batch: must be at most the training set of task spam (n_train 1024), ` +
      "got 2048",
  );
});

/** Dry-runs the edited default config through the real CLI; returns exit code and stdout. */
async function dryRun(edit: (yaml: string) => string): Promise<{ code: number; out: string }> {
  const dir = Deno.makeTempDirSync();
  try {
    const file = path.join(dir, "paperlike.yaml");
    Deno.writeTextFileSync(file, edit(BASE));
    let out = "";
    const code = await main(["run", "--config", file, "--dry-run"], {
      planner: idimPlanner,
      stages,
      defaultConfig: path.join(REPO, "pipeline.yaml"),
      stdout: { write: (t) => (out += t), isTerminal: false },
      stderr: () => {},
    });
    return { code, out };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("grid values a model cannot have are dropped from its grid, with a note in the dry run", async () => {
  const edit = (y: string) =>
    y.replace("d: [16, 64, 256, 1024, 4096]", "d: [16, 64, 100000000]")
      .replace("d: [64, 256, 1024, 4096]", "d: [16, 64, 256]")
      .replace("r: [1, 2, 4, 8, 16]", "r: [1, 2, 4, 8, 16, 128]");
  const { code, out } = await dryRun(edit);
  assert.equal(code, 0, out);
  const notes = out.split("\n").filter((l) => l.startsWith("dropped: "));
  assert.deepEqual(notes, [
    "dropped: did d=100000000 for tiny-bert (d > 370754 parameters)",
    "dropped: said d=16 for tiny-bert (d ≤ m = 41 scales, one per tensor)",
    "dropped: lora r=128 for tiny-bert (r > 64, the smaller side of the targeted Linear layers)",
  ]);
  assert.doesNotMatch(out, /would run .*d=100000000/);
  assert.doesNotMatch(out, /would run train-subspace\{[^}]*method=said[^}]*d=16,/);
});

Deno.test("the plan's provenance lists the dropped points for the report", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = path.join(dir, "p.yaml");
    Deno.writeTextFileSync(file, BASE.replace("r: [1, 2, 4, 8, 16]", "r: [1, 2, 128]"));
    const cfg = loadConfig(file, idimPlanner);
    const [report] = idimPlanner.plan(cfg.experiment, { root: cfg.root });
    const collect = report.params.results as { params: { provenance: { droppedPoints: unknown } } };
    assert.deepEqual(collect.params.provenance.droppedPoints, [{
      model: "tiny-bert",
      method: "lora",
      size: 128,
      reason: "r > 64, the smaller side of the targeted Linear layers",
    }]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a grid with no value possible for a model is an error at the grid", async () => {
  await expectError(
    (y) => y.replace("d: [64, 256, 1024, 4096]", "d: [16, 32]"),
    { line: "d: [16, 32]", token: "[16" },
    "experiment.said.d: must keep at least one value possible for model tiny-bert (16: d ≤ m = " +
      "41 scales, one per tensor; 32: d ≤ m = 41 scales, one per tensor), got a list",
  );
});

Deno.test("a LoRA target naming no Linear is an error at the target", async () => {
  await expectError(
    (y) => y.replace("    alpha: 16\n", "    alpha: 16\n    targets: [query, valu]\n"),
    { line: "targets: [query, valu]", token: "valu" },
    "experiment.lora.targets[1]: must name a Linear of an encoder layer (attention.self.query, " +
      "attention.self.key, attention.self.value, attention.output.dense, intermediate.dense, " +
      'output.dense, or a suffix) or word_embeddings, got "valu"',
  );
});

/** The default config plus a local model and a set fine-tuning it on spam. */
function withLocalModel(modelPath: string): (y: string) => string {
  return (y) =>
    y.replace("  models:\n", `  models:\n    mine: { source: local, path: ${modelPath} }\n`)
      .replace(
        "  pretraining_effect:",
        "    - name: local\n      models: [mine]\n      tasks: [spam]\n      methods: [did]\n\n" +
          "  pretraining_effect:",
      );
}

Deno.test("a local model folder that does not exist is an error at its path, at plan time", async () => {
  await expectError(
    withLocalModel("no-such-model"),
    { line: "mine: { source: local", token: "no-such-model" },
    (dir) =>
      `experiment.models.mine.path: folder ${path.join(dir, "no-such-model")} does not exist ` +
      `(a relative path is taken from the config file's folder), got "no-such-model"`,
  );
});

Deno.test("a local model's config.json bounds max_length like a pretrained model's", async () => {
  const config = {
    model_type: "bert",
    vocab_size: 100,
    hidden_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 32,
  };
  await expectError(
    withLocalModel("mine"),
    { line: "max_length: 64", token: "64" },
    "experiment.tasks.spam.max_length: must be at most the 32 positions of model mine, which " +
      "sets[1] fine-tunes on task spam, got 64",
    (dir) => {
      Deno.mkdirSync(path.join(dir, "mine"));
      Deno.writeTextFileSync(path.join(dir, "mine/config.json"), JSON.stringify(config));
      Deno.writeTextFileSync(path.join(dir, "mine/model.safetensors"), "");
      Deno.writeTextFileSync(path.join(dir, "mine/tokenizer.json"), "{}");
    },
  );
});

Deno.test("a local model's relative path is planned from the config file's folder", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = path.join(dir, "ok.yaml");
    Deno.writeTextFileSync(file, withLocalModel("mine")(BASE));
    Deno.mkdirSync(path.join(dir, "mine"));
    Deno.writeTextFileSync(
      path.join(dir, "mine/config.json"),
      JSON.stringify({
        model_type: "bert",
        vocab_size: 100,
        hidden_size: 16,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 32,
        max_position_embeddings: 512,
      }),
    );
    Deno.writeTextFileSync(path.join(dir, "mine/model.safetensors"), "");
    Deno.writeTextFileSync(path.join(dir, "mine/tokenizer.json"), "{}");
    const config = loadConfig(file, idimPlanner);
    const refs = JSON.stringify(idimPlanner.plan(config.experiment, { root: config.root }));
    assert.ok(refs.includes(`"path":${JSON.stringify(path.join(dir, "mine"))}`));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a label set the dataset does not have is an error at labels", async () => {
  await expectError(
    (y) => y.replace("    spam:\n      n_train", "    spam:\n      labels: coarse4\n      n_train"),
    { line: "labels: coarse4", token: "coarse4" },
    'experiment.tasks.spam.labels: a spam task takes labels binary or source, got "coarse4"',
  );
});
