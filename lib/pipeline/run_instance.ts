/**
 * The process that runs one instance: `deno run -A lib/pipeline/run_instance.ts --store <path>
 * --key <key> [--watch-stdin]`. It needs nothing but the store and the key, so a cluster job can
 * run the same command. Progress and log lines go to stdout as JSON lines prefixed by `\x1e`;
 * the exit code is 0 on success, 1 on failure.
 *
 * @module
 */
import { executeInstance } from "./instance_exec.ts";

/** Event line prefix on stdout. */
export const EVENT_PREFIX = "\x1e";

/** Entry point of the instance process. */
export async function runInstanceMain(args: string[]): Promise<number> {
  const get = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const store = get("--store");
  const key = get("--key");
  if (!store || !key) {
    console.error("usage: run_instance.ts --store <path> --key <key> [--watch-stdin]");
    return 2;
  }
  const enc = new TextEncoder();
  const emit = (ev: Record<string, unknown>) => {
    Deno.stdout.writeSync(enc.encode(EVENT_PREFIX + JSON.stringify(ev) + "\n"));
  };
  const ac = new AbortController();
  Deno.addSignalListener("SIGTERM", () => {
    ac.abort();
    setTimeout(() => Deno.exit(143), 5000);
  });
  if (args.includes("--watch-stdin")) {
    // The parent holds our stdin open; EOF means it died (even by kill -9): stop at once.
    (async () => {
      const buf = new Uint8Array(64);
      try {
        while ((await Deno.stdin.read(buf)) !== null) { /* keep reading */ }
      } catch { /* closed */ }
      Deno.exit(137);
    })();
  }
  let last = 0;
  const result = await executeInstance(store, key, {
    signal: ac.signal,
    log: (line) => emit({ t: "log", line }),
    progress: (done, total, note) => {
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      emit({ t: "progress", done, total, note });
    },
  });
  emit({ t: "result", ok: result.ok, error: result.error, seconds: result.seconds });
  return result.ok ? 0 : 1;
}

if (import.meta.main) Deno.exit(await runInstanceMain(Deno.args));
