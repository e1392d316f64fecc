/**
 * The exported graphs' initial trainable state: `init_state.bin` (float32 tensors back to back)
 * and `init_state.json` (name → shape, offset, length). The export writes it; training reads it.
 * A module of its own so that a training stage's code fingerprint does not take in the model
 * builders behind the export.
 *
 * @module
 */
import { closeSync, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Trainable } from "./parameterize/common.ts";

/** Writes the initial values of `trainables` into `dir` (the .bin renamed into place last). */
export function writeInitState(dir: string, trainables: Trainable[]): void {
  const fd = openSync(join(dir, "init_state.bin.partial"), "w");
  const tensors: Record<string, { shape: number[]; offset: number; length: number }> = {};
  let pos = 0;
  try {
    for (const t of trainables) {
      pos += (64 - (pos % 64)) % 64;
      const bytes = new Uint8Array(t.init.buffer, t.init.byteOffset, t.init.byteLength);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, pos + off);
      tensors[t.name] = { shape: t.shape, offset: pos, length: bytes.length };
      pos += bytes.length;
    }
  } finally {
    closeSync(fd);
  }
  renameSync(join(dir, "init_state.bin.partial"), join(dir, "init_state.bin"));
  writeFileSync(
    join(dir, "init_state.json"),
    JSON.stringify(
      { format: "idim-state/1", dtype: "float32", file: "init_state.bin", tensors },
      null,
      1,
    ),
  );
}

/** Reads `init_state.bin` back: trainable name → float32 values. */
export function readInitState(dir: string): Record<string, Float32Array> {
  const meta = JSON.parse(Deno.readTextFileSync(join(dir, "init_state.json")));
  const bin = Deno.readFileSync(join(dir, meta.file));
  const out: Record<string, Float32Array> = {};
  for (
    const [name, e] of Object.entries(
      meta.tensors as Record<string, { offset: number; length: number }>,
    )
  ) {
    out[name] = new Float32Array(bin.slice(e.offset, e.offset + e.length).buffer);
  }
  return out;
}
