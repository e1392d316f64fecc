/**
 * Canonical JSON is the text every instance key is hashed from: a change to it silently
 * invalidates every stored artifact, so its exact output is pinned here.
 */
import assert from "node:assert/strict";
import { canonicalJson } from "../../lib/hash/canonical.ts";

Deno.test("canonicalJson: members sorted at every depth, no whitespace, undefined members dropped", () => {
  const value = {
    b: [3, { z: 1, y: [true, null, "x"] }],
    a: "é\n",
    c: undefined,
    d: { "10": 1, "9": 2, k: { b: 1, a: 2 } },
  };
  assert.equal(
    canonicalJson(value),
    '{"a":"é\\n","b":[3,{"y":[true,null,"x"],"z":1}],"d":{"10":1,"9":2,"k":{"a":2,"b":1}}}',
    "array-index keys sort as strings too",
  );
  assert.equal(canonicalJson([1, undefined]), "[1,null]");
  assert.equal(canonicalJson(undefined), "null");
  assert.equal(canonicalJson(1.5e-7), "1.5e-7");
});

Deno.test("canonicalJson: equal values in any member order give the same text; non-finite numbers are refused", () => {
  assert.equal(
    canonicalJson({ x: 1, y: { p: 2, q: 3 } }),
    canonicalJson({ y: { q: 3, p: 2 }, x: 1 }),
  );
  assert.throws(() => canonicalJson({ lr: NaN }), /non-finite number NaN/);
  assert.throws(() => canonicalJson({ d: { "0": Infinity } }), /non-finite number Infinity/);
});
