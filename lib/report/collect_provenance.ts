/**
 * Helpers that gather the machine-dependent parts of a `Provenance`: the hardware and the
 * code version. The stage that assembles `provenance.json` can call them.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import type { Hardware } from "../results/mod.ts";

/** Describes this machine: CPU model (from `/proc/cpuinfo` where readable), cores, memory, OS. */
export function collectHardware(): Hardware {
  let cpuModel = "unknown";
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const m = info.match(/^model name\s*:\s*(.+)$/m);
    if (m) cpuModel = m[1].trim();
  } catch {
    // Not Linux: keep "unknown".
  }
  return {
    cpuModel,
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round((Deno.systemMemoryInfo().total / 2 ** 30) * 10) / 10,
    os: `${Deno.build.os} ${Deno.build.arch}`,
  };
}

/** The git version of `dir`: `git describe --always --dirty`, the commit, and whether dirty. */
export async function collectCodeVersion(
  dir: string,
): Promise<{ describe: string; commit: string; dirty: boolean }> {
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: dir, stdout: "piped", stderr: "piped" })
      .output();
    if (!out.success) {
      throw new Error(
        `git ${args.join(" ")} failed in ${dir}: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    return new TextDecoder().decode(out.stdout).trim();
  };
  const describe = await git("describe", "--always", "--dirty");
  const commit = await git("rev-parse", "HEAD");
  return { describe, commit, dirty: describe.endsWith("-dirty") };
}
