/**
 * Progress display: on a terminal, an overall bar plus one line per running instance with its
 * own progress, redrawn in place; otherwise plain lines such as `[12/40] done train{lr=0.1} 3.2s`.
 *
 * @module
 */
import type { Instance } from "./dag.ts";
import type { Reporter } from "./runner.ts";

/** Where the display writes. */
export interface Output {
  write(text: string): void;
  isTerminal: boolean;
  columns?: number;
}

/** The process's stdout as an Output. */
export function stdoutOutput(): Output {
  const enc = new TextEncoder();
  let columns: number | undefined;
  try {
    columns = Deno.consoleSize().columns;
  } catch { /* not a terminal */ }
  return {
    write: (t) => {
      const b = enc.encode(t);
      let off = 0;
      while (off < b.length) off += Deno.stdout.writeSync(b.subarray(off));
    },
    isTerminal: Deno.stdout.isTerminal(),
    columns,
  };
}

function bar(frac: number, width: number): string {
  const n = Math.max(0, Math.min(width, Math.round(frac * width)));
  return "█".repeat(n) + "░".repeat(width - n);
}

function fmtSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
}

interface RunningState {
  started: number;
  done?: number;
  total?: number;
  note?: string;
}

/** Plain-line or live terminal reporter. */
export class ProgressReporter implements Reporter {
  #out: Output;
  #total = 0;
  #toRun = 0;
  #finished = 0;
  #failed = 0;
  #running = new Map<Instance, RunningState>();
  #drawn = 0;
  #lastDraw = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #t0 = performance.now();

  constructor(out: Output) {
    this.#out = out;
  }

  begin(total: number, toRun: number): void {
    this.#total = total;
    this.#toRun = toRun;
    const cached = total - toRun;
    this.#line(
      toRun === 0
        ? `all ${total} instances up to date`
        : `${toRun} to run, ${cached} cached (of ${total})`,
    );
    if (this.#out.isTerminal && toRun > 0) {
      this.#timer = setInterval(() => this.#draw(true), 250);
    }
  }

  started(inst: Instance): void {
    this.#running.set(inst, { started: performance.now() });
    if (!this.#out.isTerminal) this.#line(`${this.#counter()} start ${inst.id}`);
    this.#draw();
  }

  progress(inst: Instance, done: number, total: number, note?: string): void {
    const r = this.#running.get(inst);
    if (!r) return;
    r.done = done;
    r.total = total;
    r.note = note;
    this.#draw();
  }

  log(_inst: Instance, _line: string): void {}

  finished(
    inst: Instance,
    outcome: "done" | "reused" | "failed" | "skipped",
    seconds: number,
    detail?: string,
  ): void {
    this.#running.delete(inst);
    this.#finished += 1;
    if (outcome === "failed" || outcome === "skipped") this.#failed += 1;
    const what = outcome === "done"
      ? `done ${inst.id} ${fmtSeconds(seconds)}`
      : outcome === "reused"
      ? `reused ${inst.id}: inputs unchanged in content, artifact of ${detail?.slice(0, 12)}…`
      : outcome === "failed"
      ? `FAILED ${inst.id} ${fmtSeconds(seconds)}: ${detail ?? ""}`
      : `skipped ${inst.id}: ${detail ?? ""}`;
    this.#line(`${this.#counter()} ${what}`);
  }

  message(text: string): void {
    this.#line(text);
  }

  end(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clear();
  }

  #counter(): string {
    const w = String(this.#toRun).length;
    return `[${String(this.#finished).padStart(w)}/${this.#toRun}]`;
  }

  #clear(): void {
    if (this.#drawn > 0) {
      this.#out.write(`\x1b[${this.#drawn}A\x1b[J`);
      this.#drawn = 0;
    }
  }

  #line(text: string): void {
    this.#clear();
    this.#out.write(text + "\n");
    this.#draw(true);
  }

  #draw(force = false): void {
    if (!this.#out.isTerminal || this.#toRun === 0) return;
    const now = performance.now();
    if (!force && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    this.#clear();
    const cols = Math.max(40, (this.#out.columns ?? 100) - 1);
    const elapsed = fmtSeconds((now - this.#t0) / 1000);
    const lines = [
      `${bar(this.#finished / Math.max(1, this.#toRun), 30)} ${this.#finished}/${this.#toRun} ` +
      `(${this.#running.size} running${this.#failed ? `, ${this.#failed} failed` : ""}) ${elapsed}`,
    ];
    for (const [inst, r] of this.#running) {
      const t = fmtSeconds((now - r.started) / 1000);
      const p = r.total
        ? ` ${bar((r.done ?? 0) / r.total, 12)} ${r.done}/${r.total}${r.note ? ` ${r.note}` : ""}`
        : "";
      lines.push(`  ${inst.id}${p} ${t}`);
    }
    const text = lines.map((l) => (l.length > cols ? l.slice(0, cols - 1) + "…" : l)).join("\n");
    this.#out.write(text + "\n");
    this.#drawn = lines.length;
  }
}
