// The plugin's check agrees with the desktop app's on every shared vector.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { addressKey, makeAddress, shownText } from "../../plugin/modules/address_list.js";
import { buildPolicy } from "../../plugin/modules/policy.js";
import { check, readHeaders } from "../../plugin/modules/verdict.js";

const { vectors, identities, shown } = JSON.parse(
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

// The identity rule under the counts: the key says who an address is.
for (const { written, key } of identities) {
  test(`identity ${JSON.stringify(written)}`, () => {
    assert.equal(addressKey({ addr: written }), key);
    assert.equal(addressKey(makeAddress(written)), key);
  });
}

// What a reader sees of header text: encoded-words decoded, NFKC.
for (const pair of shown) {
  test(`shown ${JSON.stringify(pair.text)}`, () => {
    assert.equal(shownText(pair.text), pair.shown);
  });
}

test("the tables pin the hard cases", () => {
  const written = identities.map((p) => p.written).join("");
  for (const needle of ["ß", "ẞ", "Σ", "\u200d", "BÜCHER.DE", '"John"']) {
    assert.ok(written.includes(needle), needle);
  }
  assert.ok(vectors.some((v) => v.headers["resent-to"]?.length));
});
