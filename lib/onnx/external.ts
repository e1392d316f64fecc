/**
 * External-data weights files: append tensors to one file (64-byte aligned) and get
 * (location, offset, length) references for {@link Graph.external}. One file is shared by all
 * graphs of a model; ORT memory-maps it when a model is loaded by path.
 *
 * @module
 */
import { basename } from "node:path";
import type { TypedArray } from "./dtype.ts";
import type { ExternalRef } from "./graph.ts";

/** Appends tensors to a weights file, returning where each landed. */
export class WeightsWriter {
  #file: Deno.FsFile;
  #offset = 0;
  readonly location: string;

  /** Create (truncate) `path`; refs name it relative to the model's directory (its basename). */
  constructor(readonly path: string, readonly align = 64) {
    this.#file = Deno.openSync(path, { write: true, create: true, truncate: true });
    this.location = basename(path);
  }

  /** Append `data` (aligned); returns its external-data reference. */
  append(data: TypedArray): ExternalRef {
    const pad = (this.align - (this.#offset % this.align)) % this.align;
    if (pad) this.#writeAll(new Uint8Array(pad));
    const offset = this.#offset;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.#writeAll(bytes);
    return { location: this.location, offset, length: bytes.length };
  }

  #writeAll(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += this.#file.writeSync(b.subarray(done));
    this.#offset += b.length;
  }

  /** Flush and close the file. */
  close(): void {
    this.#file.syncSync();
    this.#file.close();
  }
}

/** Read back a tensor stored at `ref` in a weights file under `dir`. */
export function readExternal(dir: string, ref: ExternalRef): Uint8Array {
  const f = Deno.openSync(`${dir}/${ref.location}`, { read: true });
  try {
    const out = new Uint8Array(ref.length);
    f.seekSync(ref.offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < ref.length) {
      const n = f.readSync(out.subarray(done));
      if (n === null) throw new Error(`readExternal: ${ref.location} ends early`);
      done += n;
    }
    return out;
  } finally {
    f.close();
  }
}
