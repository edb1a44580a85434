// Reading recipient headers as a reader sees them, and one key per person.
import assert from "node:assert/strict";
import { test } from "node:test";

import { addressKey, makeAddress, parseAddressList } from "../../plugin/modules/address_list.js";
import { buildPolicy, trusts } from "../../plugin/modules/policy.js";
import { check, readHeaders } from "../../plugin/modules/verdict.js";

const addrs = (text) => parseAddressList(text).addresses.map((a) => a.addr);
const doubtful = (text) => parseAddressList(text).problems.some((p) => p.doubtful);

for (const [text, expected] of [
  ['"carol@evil.example" <dan@good.example>', ["dan@good.example", "carol@evil.example"]],
  ["=?utf-8?Q?c=40evil.example?= <d@good.example>", ["d@good.example", "c@evil.example"]],
  [
    "=?utf-8?Q?a=40x.example,_b=40y.example?= <d@z.example>",
    ["d@z.example", "a@x.example", "b@y.example"],
  ],
  ["=?utf-8?Q?a=40x.example?=, =?utf-8?Q?b=40y.example?=", ["a@x.example", "b@y.example"]],
  ["d@z.example (=?utf-8?Q?a=40x.example?=)", ["d@z.example", "a@x.example"]],
  ["<(a@x.example) d@z.example>", ["d@z.example", "a@x.example"]],
  ["=?utf-8?Q?a=40x.example?=: d@z.example;", ["d@z.example", "a@x.example"]],
  ['"a\uff20x.example" <d@z.example>', ["d@z.example", "a@x.example"]],
  ['"b@y.example" d@z.example', ["d@z.example", "b@y.example"]],
]) {
  test(`an address a reader sees counts and is doubtful: ${text}`, () => {
    assert.deepEqual(addrs(text), expected);
    assert.ok(doubtful(text));
  });
}

for (const text of [
  '"dan@good.example" <dan@good.example>',
  "=?utf-8?Q?dan=40good.example?= <DAN@GOOD.EXAMPLE>",
  "dan@good.example (dan@good.example)",
  '"Team @ Home" <t@h.example>',
  "=?utf-8?Q?Doe,_John?= <j@x.example>",
]) {
  test(`a name that shows only its own address is clean: ${text}`, () => {
    assert.equal(addrs(text).length, 1);
    assert.ok(!doubtful(text));
  });
}

test("a name without an address is reported, not counted", () => {
  const result = parseAddressList("Alice, b@y.com");
  assert.deepEqual(
    result.addresses.map((a) => a.addr),
    ["b@y.com"],
  );
  assert.deepEqual(result.problems, [{ text: "'Alice' has no address; not counted", doubtful: false }]);
});

test("the same twelve people twice, the second time in capitals, are twelve", () => {
  const low = Array.from({ length: 12 }, (_, i) => `dup${i}@alpha.example`);
  const message = readHeaders({ to: low.join(", "), cc: low.join(", ").toUpperCase() });
  assert.equal(message.visible.length, 12);
  assert.deepEqual(
    message.visible.map((a) => a.addr),
    low,
  );
});

test("the sender in capitals is the sender, at exactly the threshold", () => {
  const strangers = Array.from({ length: 10 }, (_, i) => `s${i}@stranger${i}.example`);
  const message = readHeaders({
    from: "Anna <anna@example-corp.com>",
    to: ["ANNA@EXAMPLE-CORP.COM", ...strangers].join(", "),
  });
  assert.equal(check(message, buildPolicy()).verdict, "pass");
  const own = buildPolicy({ ownAddresses: ["Anna@Example-Corp.com"] });
  const withoutFrom = readHeaders({ to: ["ANNA@EXAMPLE-CORP.COM", ...strangers].join(", ") });
  assert.equal(check(withoutFrom, own).exposed_count, 10);
});

test("Resent-To and Resent-Cc are visible, Resent-Bcc hidden, Resent-From the sender", () => {
  const message = readHeaders({
    to: "anna@example-corp.com",
    "resent-to": "r0@r.example, r1@r.example",
    "resent-cc": ["c0@c.example", "C0@C.EXAMPLE, c1@c.example"],
    "resent-bcc": "quiet@h.example",
    "resent-from": "Anna <anna@example-corp.com>",
  });
  assert.deepEqual(
    message.visible.map((a) => a.addr),
    ["anna@example-corp.com", "r0@r.example", "r1@r.example", "c0@c.example", "c1@c.example"],
  );
  assert.deepEqual(
    message.hidden.map((a) => a.addr),
    ["quiet@h.example"],
  );
  assert.equal(check(message, buildPolicy({ threshold: 0 })).exposed_count, 4);
});

test("the address keeps what the user wrote; the key is for counting", () => {
  const address = makeAddress("DUP0@ALPHA.EXAMPLE.");
  assert.equal(address.addr, "DUP0@alpha.example");
  assert.equal(addressKey(address), "dup0@alpha.example");
  assert.equal(makeAddress("x@ΟΔΟΣ.gr").addr, "x@ΟΔΟΣ.gr");
});

test("trusted domains compare in their UTS #46 form", () => {
  const policy = buildPolicy({ trustedDomains: ["BÜCHER.de"] });
  assert.ok(trusts(policy, makeAddress("a@xn--bcher-kva.DE")));
  assert.ok(trusts(policy, makeAddress("a@eu.Bücher.de")));
  assert.ok(!trusts(policy, makeAddress("a@bucher.de")));
});
