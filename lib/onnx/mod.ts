/**
 * idim's ONNX training-graph compiler: a typed graph builder, reverse-mode autodiff with
 * per-op backward rules, optimizers emitted into the graph, ModelProto serialization with
 * external data, and session wrappers over onnxruntime-node. See README.md.
 *
 * @module
 */
export * from "./dtype.ts";
export * from "./graph.ts";
export * from "./autodiff.ts";
export * from "./custom.ts";
export * from "./serialize.ts";
export * from "./ops/elementwise.ts";
export * from "./ops/reduce.ts";
export * from "./ops/shape.ts";
export * from "./ops/matmul.ts";
export * from "./ops/nn.ts";
export * from "./ops/wht.ts";
export * from "./optim.ts";
export * from "./train.ts";
export * from "./external.ts";
export * from "./session.ts";
export { formatProfile, type OpTime, type ProfileSummary, summarizeProfile } from "./profile.ts";
