// The plugin's "send as is" proof is the desktop app's, byte for byte.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  canonical,
  DECISION_HEADER,
  makeProof,
  namedDecisions,
  withProofHeader,
} from "../../plugin/modules/decision_proof.js";

const { vectors } = JSON.parse(
  readFileSync(new URL("../data/decision_proof_vectors.json", import.meta.url), "utf-8"),
);

test("there are vectors to agree on", () => {
  assert.ok(vectors.length >= 5, `only ${vectors.length} vectors`);
});

for (const vector of vectors) {
  test(`vector ${vector.name}`, async () => {
    const value = await makeProof(
      vector.key,
      vector.addresses,
      vector.now * 1000,
      globalThis.crypto.subtle,
      vector.decisions,
    );
    assert.equal(value, vector.expected);
    assert.deepEqual(namedDecisions(value), [...new Set(vector.decisions)].sort());
  });
}

test("the addresses are sorted by code point, as Python sorts them", () => {
  assert.equal(canonical(["\u{1d51e}@x", "\uff5e@x", "B@x", "b@x "], 7), "v1|as-is|7|b@x,\uff5e@x,\u{1d51e}@x");
});

test("a key that is not hex is refused", async () => {
  await assert.rejects(makeProof("not hex", ["a@x.example"], 0), /not hex/u);
  await assert.rejects(makeProof("", ["a@x.example"], 0), /not hex/u);
});

test("the proof header replaces an older one and keeps the others", () => {
  const existing = [
    { name: "X-Other", value: "1" },
    { name: "x-bccguard-decision", value: "old" },
  ];
  assert.deepEqual(withProofHeader(existing, "new"), [
    { name: "X-Other", value: "1" },
    { name: DECISION_HEADER, value: "new" },
  ]);
  assert.deepEqual(withProofHeader(undefined, "v"), [{ name: "X-BccGuard-Decision", value: "v" }]);
});

test("the vectors include a delay proof and one with both decisions", () => {
  const kinds = new Set(vectors.map((v) => [...new Set(v.decisions)].sort().join(",")));
  assert.ok(kinds.has("delayed") && kinds.has("as-is,delayed"), [...kinds].join(" "));
});

test("an unknown or empty decision is refused when signing", async () => {
  const key = "00".repeat(32);
  await assert.rejects(makeProof(key, ["a@x"], 0, globalThis.crypto.subtle, ["bcc"]), /decisions/u);
  await assert.rejects(makeProof(key, ["a@x"], 0, globalThis.crypto.subtle, []), /decisions/u);
});

test("a value that is not a proof names no decision", () => {
  assert.deepEqual(namedDecisions(undefined), []);
  assert.deepEqual(namedDecisions("v1; as-is; t=1; mac=short"), []);
});
