import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { downloadFile, HubError, listFiles } from "../../lib/hub/mod.ts";
import { type HubFixtureServer, startHubFixtureServer } from "./hub_fixture_server.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Deterministic pseudo-random bytes. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

const WEIGHTS = bytes(300_000, 1);
const DATA = bytes(200_000, 2);
const CONFIG = '{"hidden_size": 32}\n';

async function withServer(
  fn: (s: HubFixtureServer, dir: string) => Promise<void>,
  opts: { ignoreRange?: boolean; corrupt?: boolean } = {},
): Promise<void> {
  const corrupted = DATA.slice();
  corrupted[1234] ^= 0xff;
  const server = await startHubFixtureServer({
    ignoreRange: opts.ignoreRange,
    repos: [
      {
        type: "model",
        name: "tiny-bert",
        files: { "config.json": CONFIG, "model.safetensors": WEIGHTS },
      },
      {
        type: "dataset",
        name: "org/data",
        files: {
          "cfg/train-00000-of-00001.parquet": opts.corrupt
            ? { bytes: DATA, servedBytes: corrupted }
            : DATA,
          "README.md": "# data\n",
        },
      },
      { type: "dataset", name: "org/gated", private: true, files: { "a.parquet": DATA } },
    ],
  });
  const dir = await Deno.makeTempDir({ prefix: "idim-hub-" });
  try {
    await fn(server, dir);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}

Deno.test("downloadFile fetches LFS and plain files, verifies them and reports the commit", async () => {
  await withServer(async (s, dir) => {
    const w = await downloadFile({
      repo: "tiny-bert",
      path: "model.safetensors",
      dest: join(dir, "m", "model.safetensors"),
      endpoint: s.url,
    });
    assert.deepEqual(await Deno.readFile(w.path), WEIGHTS);
    assert.equal(w.sha256, sha256(WEIGHTS));
    assert.equal(w.size, WEIGHTS.byteLength);
    assert.match(w.commit ?? "", /^[0-9a-f]{40}$/);
    assert.equal(w.cached, false);
    assert.equal(await exists(`${w.path}.part`), false);

    const c = await downloadFile({
      repo: "tiny-bert",
      path: "config.json",
      dest: join(dir, "m", "config.json"),
      endpoint: s.url,
    });
    assert.equal(await Deno.readTextFile(c.path), CONFIG);

    const again = await downloadFile({
      repo: "tiny-bert",
      path: "model.safetensors",
      dest: w.path,
      endpoint: s.url,
    });
    assert.equal(again.cached, true);
    assert.equal(s.requests.filter((r) => r.method === "GET" && !r.range).length, 2);
  });
});

Deno.test("an interrupted transfer resumes with a Range request and yields the exact bytes", async () => {
  await withServer(async (s, dir) => {
    const path = "cfg/train-00000-of-00001.parquet";
    s.interrupt(path, 50_000, 1);
    const progress: number[] = [];
    const got = await downloadFile({
      repo: "org/data",
      repoType: "dataset",
      path,
      dest: join(dir, "train.parquet"),
      endpoint: s.url,
      retryDelayMs: 1,
      onProgress: (done) => progress.push(done),
    });
    assert.deepEqual(await Deno.readFile(got.path), DATA);
    assert.equal(got.attempts, 2);
    assert.ok(s.requests.some((r) => r.range === `bytes=50000-${DATA.byteLength - 1}`));
    assert.equal(progress.at(-1), DATA.byteLength);
  });
});

Deno.test("a transfer that keeps failing names the file, keeps the .part, and a rerun resumes", async () => {
  await withServer(async (s, dir) => {
    const path = "cfg/train-00000-of-00001.parquet";
    const dest = join(dir, "train.parquet");
    s.interrupt(path, 60_000, 1);
    await assert.rejects(
      downloadFile({
        repo: "org/data",
        repoType: "dataset",
        path,
        dest,
        endpoint: s.url,
        retries: 0,
      }),
      (e: unknown) => {
        assert.ok(e instanceof HubError);
        assert.equal(e.kind, "network");
        assert.match(e.message, /dataset org\/data, file cfg\/train-00000-of-00001\.parquet/);
        return true;
      },
    );
    assert.equal(await exists(dest), false);
    assert.equal((await Deno.stat(`${dest}.part`)).size, 60_000);
    const got = await downloadFile({
      repo: "org/data",
      repoType: "dataset",
      path,
      dest,
      endpoint: s.url,
    });
    assert.equal(got.resumedFrom, 60_000);
    assert.deepEqual(await Deno.readFile(dest), DATA);
  });
});

Deno.test("a server that ignores Range makes the download restart from zero, cleanly", async () => {
  await withServer(async (s, dir) => {
    const path = "cfg/train-00000-of-00001.parquet";
    s.interrupt(path, 70_000, 1);
    const got = await downloadFile({
      repo: "org/data",
      repoType: "dataset",
      path,
      dest: join(dir, "train.parquet"),
      endpoint: s.url,
      retryDelayMs: 1,
    });
    assert.deepEqual(await Deno.readFile(got.path), DATA);
    assert.ok(got.attempts >= 3, `restart expected, got ${got.attempts} attempts`);
  }, { ignoreRange: true });
});

Deno.test("a stale .part from another version of the file is discarded", async () => {
  await withServer(async (s, dir) => {
    const dest = join(dir, "train.parquet");
    await Deno.writeFile(`${dest}.part`, bytes(100_000, 9));
    await Deno.writeTextFile(`${dest}.part.json`, JSON.stringify({ url: "old", size: 1 }));
    const got = await downloadFile({
      repo: "org/data",
      repoType: "dataset",
      path: "cfg/train-00000-of-00001.parquet",
      dest,
      endpoint: s.url,
    });
    assert.equal(got.resumedFrom, 0);
    assert.deepEqual(await Deno.readFile(dest), DATA);
  });
});

Deno.test("404s name the repository and the file", async () => {
  await withServer(async (s, dir) => {
    for (
      const [repo, path] of [["org/data", "cfg/missing.parquet"], ["org/nope", "x.parquet"]]
    ) {
      await assert.rejects(
        downloadFile({ repo, repoType: "dataset", path, dest: join(dir, "x"), endpoint: s.url }),
        (e: unknown) => {
          assert.ok(e instanceof HubError);
          assert.equal(e.kind, "not-found");
          assert.equal(e.status, 404);
          assert.ok(e.message.includes(`dataset ${repo}, file ${path}`), e.message);
          return true;
        },
      );
    }
    assert.equal(await exists(join(dir, "x")), false);
  });
});

Deno.test("401 on a private repository names it and points at HF_TOKEN; the token opens it", async () => {
  await withServer(async (s, dir) => {
    await assert.rejects(
      downloadFile({
        repo: "org/gated",
        repoType: "dataset",
        path: "a.parquet",
        dest: join(dir, "a"),
        endpoint: s.url,
        token: "hf_wrong",
      }),
      (e: unknown) => {
        assert.ok(e instanceof HubError);
        assert.equal(e.kind, "auth");
        assert.equal(e.status, 401);
        assert.match(e.message, /dataset org\/gated, file a\.parquet .*HF_TOKEN/);
        return true;
      },
    );
    const ok = await downloadFile({
      repo: "org/gated",
      repoType: "dataset",
      path: "a.parquet",
      dest: join(dir, "a"),
      endpoint: s.url,
      token: s.token,
    });
    assert.equal(ok.sha256, sha256(DATA));
  });
});

Deno.test("bytes corrupted in transit fail the sha256 check and leave no file behind", async () => {
  await withServer(async (s, dir) => {
    const dest = join(dir, "train.parquet");
    await assert.rejects(
      downloadFile({
        repo: "org/data",
        repoType: "dataset",
        path: "cfg/train-00000-of-00001.parquet",
        dest,
        endpoint: s.url,
      }),
      (e: unknown) => {
        assert.ok(e instanceof HubError);
        assert.equal(e.kind, "corrupt");
        assert.match(e.message, /org\/data, file cfg\/train-00000-of-00001\.parquet.*sha256/);
        return true;
      },
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  }, { corrupt: true });
});

Deno.test("expectedSize and expectedSha256 are enforced", async () => {
  await withServer(async (s, dir) => {
    const base = {
      repo: "tiny-bert",
      path: "model.safetensors",
      dest: join(dir, "w"),
      endpoint: s.url,
    };
    await assert.rejects(downloadFile({ ...base, expectedSize: 5 }), /300000 bytes but 5/);
    await assert.rejects(downloadFile({ ...base, expectedSha256: "0".repeat(64) }), /sha256/);
    const ok = await downloadFile({ ...base, expectedSha256: sha256(WEIGHTS).toUpperCase() });
    assert.equal(ok.size, WEIGHTS.byteLength);
  });
});

Deno.test("listFiles lists a folder with sizes and LFS hashes", async () => {
  await withServer(async (s) => {
    const files = await listFiles({
      repo: "org/data",
      repoType: "dataset",
      path: "cfg",
      endpoint: s.url,
    });
    assert.deepEqual(files, [{
      path: "cfg/train-00000-of-00001.parquet",
      size: DATA.byteLength,
      sha256: sha256(DATA),
      gitOid: files[0].gitOid,
    }]);
    const all = await listFiles({ repo: "org/data", repoType: "dataset", endpoint: s.url });
    assert.deepEqual(all.map((f) => f.path), ["README.md", "cfg/train-00000-of-00001.parquet"]);
    await assert.rejects(
      listFiles({ repo: "org/gated", repoType: "dataset", endpoint: s.url }),
      /dataset org\/gated .*access denied/,
    );
  });
});

Deno.test("HF_ENDPOINT and HF_TOKEN are honoured", async () => {
  await withServer(async (s, dir) => {
    const dest = join(dir, "a.parquet");
    const code = `import { downloadFile } from ${
      JSON.stringify(import.meta.resolve("../../lib/hub/mod.ts"))
    };
      const r = await downloadFile({ repo: "org/gated", repoType: "dataset", path: "a.parquet", dest: ${
      JSON.stringify(dest)
    } });
      console.log(r.sha256);`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", code],
      env: { HF_ENDPOINT: s.url, HF_TOKEN: s.token },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, err);
    assert.equal(new TextDecoder().decode(out.stdout).trim(), sha256(DATA));
  });
});
