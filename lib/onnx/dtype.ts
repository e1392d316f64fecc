/**
 * Element types of ONNX tensors, their TensorProto codes and JS typed arrays.
 *
 * @module
 */

/** Element types the builder supports (names as onnxruntime-common spells them). */
export type DType =
  | "float32"
  | "float64"
  | "float16"
  | "int64"
  | "int32"
  | "int8"
  | "uint8"
  | "bool";

/** TensorProto.DataType code of each element type. */
export const DTYPE_CODE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

/** Bytes per element. */
export const DTYPE_SIZE: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int64: 8,
  int32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Whether gradients can flow through tensors of this type. */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64" || dtype === "float16";
}

/** A typed array holding data of some element type. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int8Array
  | Uint8Array;

/** Build a typed array of `dtype` from plain numbers. */
export function toTypedArray(
  dtype: DType,
  values: ArrayLike<number> | ArrayLike<bigint>,
): TypedArray {
  const n = values.length;
  switch (dtype) {
    case "float32":
      return Float32Array.from(values as ArrayLike<number>, Number);
    case "float64":
      return Float64Array.from(values as ArrayLike<number>, Number);
    case "int64": {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(values[i]);
      return out;
    }
    case "int32":
      return Int32Array.from(values as ArrayLike<number>, Number);
    case "int8":
      return Int8Array.from(values as ArrayLike<number>, Number);
    case "uint8":
    case "bool":
      return Uint8Array.from(values as ArrayLike<number>, Number);
    case "float16":
      throw new Error("toTypedArray: float16 constants are not supported; build float32 and Cast");
  }
}
