/**
 * The PyTorch the CPU benchmarks compare against: the 2.13.0+cpu wheel (MKL, oneDNN) from pip's
 * preset find-links folder, in a git-ignored venv `.whl/torch213` that {@link torchPython}
 * creates when it is missing:
 *
 *   python3 -m venv --system-site-packages .whl/torch213 &&
 *     .whl/torch213/bin/pip install --no-index --no-deps torch==2.13.0+cpu
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = join(dirname(fromFileUrl(import.meta.url)), "../..");
/** The torch version the benchmarks pin. */
export const TORCH_VERSION = "2.13.0+cpu";
/** The venv folder (relative to the repository root). */
export const TORCH_VENV = ".whl/torch213";

/** Runs a command; a program that cannot be started (a venv not made yet) is a failure too. */
async function run(cmd: string, args: string[]): Promise<{ ok: boolean; err: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    return { ok: out.success, err: new TextDecoder().decode(out.stderr).slice(-500) };
  } catch (e) {
    return { ok: false, err: (e as Error).message };
  }
}

/**
 * The venv's python, after creating the venv and installing the wheel if needed; an `error`
 * when that fails (no python3, no wheel).
 */
export async function torchPython(): Promise<{ python: string } | { error: string }> {
  const venv = join(ROOT, TORCH_VENV);
  const python = join(venv, "bin/python");
  const check = () => run(python, ["-c", "import torch; print(torch.__version__)"]);
  try {
    if ((await check()).ok) return { python };
    const mk = await run("python3", ["-m", "venv", "--system-site-packages", venv]);
    if (!mk.ok) return { error: `python3 -m venv: ${mk.err}` };
    const pip = await run(join(venv, "bin/pip"), [
      "install",
      "--no-index",
      "--no-deps",
      `torch==${TORCH_VERSION}`,
    ]);
    if (!pip.ok) return { error: `pip install torch==${TORCH_VERSION}: ${pip.err}` };
    const c = await check();
    return c.ok ? { python } : { error: `import torch: ${c.err}` };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The environment for the torch child: OpenBLAS tuning variables of the host removed. */
export function torchEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}
