/**
 * Canonical JSON and SHA-256 hashing, the basis of parameter keys and fingerprints.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export { canonicalJson, type Json, sha256Hex } from "./canonical.ts";
