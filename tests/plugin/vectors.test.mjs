// The plugin's check agrees with the desktop app's on every shared vector.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { buildPolicy } from "../../plugin/modules/policy.js";
import { check, readHeaders } from "../../plugin/modules/verdict.js";

const { vectors } = JSON.parse(
  readFileSync(new URL("../data/shared_vectors.json", import.meta.url), "utf-8"),
);

test("there are vectors to agree on", () => {
  assert.ok(vectors.length >= 20, `only ${vectors.length} vectors`);
});

for (const vector of vectors) {
  test(`vector ${vector.name}`, () => {
    const policy = buildPolicy({
      threshold: vector.policy.threshold,
      trusted_domains: vector.policy.trusted_domains,
      ownAddresses: vector.policy.own_addresses,
    });
    const verdict = check(readHeaders(vector.headers), policy);
    assert.deepEqual(
      {
        verdict: verdict.verdict,
        visible_count: verdict.visible_count,
        exposed_count: verdict.exposed_count,
        visible: [...verdict.visible].sort(),
      },
      vector.expected,
    );
  });
}
