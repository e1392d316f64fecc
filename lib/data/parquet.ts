/**
 * Reading rows from parquet files with `hyparquet`, with errors that name the file.
 *
 * @module
 */
import { parquetMetadata, parquetReadObjects } from "hyparquet";

/**
 * Reads the named columns of a parquet file as row objects. INT64 values (BigInt in hyparquet)
 * become numbers.
 *
 * @throws Error naming the file when it is not a readable parquet file or lacks a column.
 */
export async function readParquetRows(
  path: string,
  columns: readonly string[],
): Promise<Record<string, unknown>[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
  const file = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  const corrupt = (e: unknown) =>
    new Error(
      `${path}: not a readable parquet file (${(e as Error).message ?? e}); ` +
        `the download may be corrupt: delete it and run again`,
    );
  let names: string[];
  try {
    const meta = parquetMetadata(file);
    names = meta.schema.slice(1).map((s) => s.name);
  } catch (e) {
    throw corrupt(e);
  }
  const missing = columns.filter((c) => !names.includes(c));
  if (missing.length) {
    throw new Error(
      `${path}: missing column(s) ${missing.join(", ")}; the file has ${names.join(", ")}`,
    );
  }
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file, columns: [...columns] });
  } catch (e) {
    throw corrupt(e);
  }
  for (const r of rows) {
    for (const c of columns) if (typeof r[c] === "bigint") r[c] = Number(r[c]);
  }
  return rows;
}
