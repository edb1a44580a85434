// Recipient rules in the plugin: the shared vectors, and address-book lists by name.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { DecisionBroker } from "../../plugin/modules/decisions.js";
import { SendGate } from "../../plugin/modules/gate.js";
import { NativeHost } from "../../plugin/modules/native.js";
import { OptionsPage } from "../../plugin/modules/options_page.js";
import { buildPolicy } from "../../plugin/modules/policy.js";
import {
  buildRule,
  buildRules,
  parseRulesText,
  ruleValues,
  rulesText,
} from "../../plugin/modules/recipient_rules.js";
import { effectivePolicy, OPTIONS_KEY } from "../../plugin/modules/settings.js";
import { check, readHeaders } from "../../plugin/modules/verdict.js";
import { makeBrowser, people, vCard } from "./browser_stub.mjs";
import { fakeDocument } from "./fake_dom.mjs";

const { rule_vectors: vectors } = JSON.parse(
  readFileSync(new URL("../data/shared_vectors.json", import.meta.url), "utf-8"),
);

test("there are rule vectors to agree on", () => {
  assert.ok(vectors.length >= 10, `only ${vectors.length} rule vectors`);
});

for (const vector of vectors) {
  test(`rule vector ${vector.name}`, () => {
    const policy = buildPolicy({ ...vector.policy });
    assert.equal(policy.rules.length, vector.policy.rules.length, "a rule was refused");
    const verdict = check(readHeaders(vector.headers), policy);
    const { rule_reasons: reasons, ...expected } = vector.expected;
    assert.deepEqual(
      Object.fromEntries(Object.keys(expected).map((k) => [k, verdict[k]])),
      expected,
    );
    assert.deepEqual(
      verdict.reasons.filter((r) => r.startsWith("rule '")),
      reasons,
    );
  });
}

test("a rule that cannot work is left out, never half-read", () => {
  assert.equal(buildRule({ name: "x", effect: "bcc" }), null); // covers nobody
  assert.equal(buildRule({ name: "x", effect: "often", domains: ["a.example"] }), null);
  assert.equal(buildRule({ name: "x", effect: "threshold", domains: ["a.example"] }), null);
  assert.equal(buildRule({ effect: "bcc", domains: ["a.example"] }), null);
  assert.equal(buildRule({ name: "x", effect: "never-hold", domains: ["gmail.com"] }), null);
  assert.ok(buildRule({ name: "x", effect: "bcc", domains: ["gmail.com"] }));
  assert.equal(buildRules("not a list").length, 0);
});

test("rules go back to plain values as the desktop app writes them", () => {
  const rules = buildRules([
    { name: "B", effect: "threshold", threshold: 3, domains: ["@BÜCHER.de."], lists: ["L"] },
  ]);
  assert.deepEqual(ruleValues(rules), [
    {
      name: "B",
      effect: "threshold",
      threshold: 3,
      addresses: [],
      domains: ["xn--bcher-kva.de"],
      lists: ["L"],
    },
  ]);
});

// --- address-book lists, by name ---------------------------------------------------

const member = (id, email) => ({ id, type: "contact", vCard: vCard(email) });
const books = {
  lists: [{ id: "L1", name: "Parents 3B", description: "" }],
  members: {
    L1: [member("c1", "ann@a.example"), member("c2", "bob@b.example"), member("c3", "cy@c.example")],
  },
};
const SENDER = "Me <me@school.example>";

function makeGate(setup) {
  const browser = makeBrowser({ books, ...setup });
  const host = new NativeHost(browser, { timeoutMs: 200 });
  const broker = new DecisionBroker(browser, { timeoutMs: 2000 });
  return { browser, gate: new SendGate({ browser, host, broker }) };
}

test("a send to an always-Bcc address-book list is converted without asking", async () => {
  const rules = [{ name: "Parents", effect: "bcc", lists: ["parents 3b"] }];
  const { browser, gate } = makeGate({ local: { options: { rules } } });
  const answer = await gate.onBeforeSend({ id: 1 }, { from: SENDER, to: ["Parents 3B <Parents 3B>"] });
  assert.equal(answer.cancel, false);
  assert.deepEqual(answer.details.to, ["me@school.example"]);
  assert.deepEqual(answer.details.bcc, ["Parents 3B <Parents 3B>"]);
  assert.equal(browser.calls.windowsCreated.length, 0);
});

test("the members a list stands for are covered when written out too", async () => {
  const rules = [{ name: "Parents", effect: "bcc", lists: ["Parents 3B"] }];
  const { gate } = makeGate({ local: { options: { rules } } });
  const to = ["ann@a.example", "Bob <bob@b.example>"];
  const answer = await gate.onBeforeSend({ id: 1 }, { from: SENDER, to });
  assert.deepEqual(answer.details?.bcc, to);
});

test("a never-hold list passes, but not with an outsider added", async () => {
  const team = Array.from({ length: 12 }, (_, i) => member(`t${i}`, `t${i}@team${i}.example`));
  const many = { lists: [{ id: "T", name: "Team" }], members: { T: team } };
  const rules = [{ name: "Team", effect: "never-hold", lists: ["Team"] }];
  const setup = { books: many, local: { options: { rules, action: "block" } } };
  const alone = makeGate(setup);
  assert.deepEqual(await alone.gate.onBeforeSend({ id: 1 }, { from: SENDER, to: ["Team <Team>"] }), {});
  const mixed = makeGate(setup);
  const answer = await mixed.gate.onBeforeSend(
    { id: 1 },
    { from: SENDER, to: ["Team <Team>", "out@side.example"] },
  );
  assert.deepEqual(answer, { cancel: true });
});

test("the desktop app's rules apply, with its lists' members", async () => {
  const native = (m) =>
    m.type === "policy"
      ? {
          ok: true,
          policy: {
            threshold: 10,
            trusted_domains: [],
            action: "ask",
            rules: [{ name: "Board", effect: "bcc", addresses: ["chair@gov.example"], domains: [], lists: [] }],
          },
        }
      : { ok: true, id: "inc-1" };
  const browser = makeBrowser({ native, local: { options: { rules: [] } } });
  const { policy, source } = await effectivePolicy(browser, new NativeHost(browser));
  assert.equal(source, "desktop");
  assert.deepEqual(policy.rules.map((r) => r.name), ["Board"]);
  const { gate } = makeGate({ native });
  const answer = await gate.onBeforeSend({ id: 1 }, { from: SENDER, to: ["chair@gov.example", ...people(2)] });
  assert.equal(answer.details?.bcc.length, 3);
});

test("an enterprise policy's rules are enforced over the user's", async () => {
  const managed = { rules: [{ name: "Org", effect: "bcc", domains: ["a.example"] }] };
  const browser = makeBrowser({ managed, local: { options: { rules: [] } } });
  const { policy, managed: enforced } = await effectivePolicy(browser, new NativeHost(browser, { timeoutMs: 100 }));
  assert.ok(enforced.includes("rules"));
  assert.deepEqual(policy.rules.map((r) => r.name), ["Org"]);
});

// --- the options page --------------------------------------------------------------

test("rules as text, one a line, and back", () => {
  const text =
    "Parents 3B: bcc: Parents 3B, extra@home.example\n\n" +
    "Staff: never-hold: @school.example\n" +
    "Board: Threshold 2: chair@gov.example, @gov.example";
  const { rules, bad } = parseRulesText(text);
  assert.deepEqual(bad, []);
  assert.deepEqual(rules[0], {
    name: "Parents 3B",
    effect: "bcc",
    addresses: ["extra@home.example"],
    domains: [],
    lists: ["Parents 3B"],
  });
  assert.equal(rules[2].threshold, 2);
  assert.equal(
    rulesText(buildRules(rules)),
    "Parents 3B: bcc: Parents 3B, extra@home.example\n" +
      "Staff: never-hold: @school.example\n" +
      "Board: threshold 2: chair@gov.example, @gov.example",
  );
  const wrong = parseRulesText("x: often: a@b.example\ny: bcc:\nz: never-hold: @gmail.com\nok: bcc: @a.example");
  assert.deepEqual(wrong.bad, [1, 2, 3]);
});

function optionsPage(setup = {}) {
  const browser = makeBrowser(setup);
  const document = fakeDocument({
    source: {},
    threshold: {},
    trustedDomains: {},
    action: { value: "ask" },
    sendDelay: { value: "0" },
    rules: {},
    problem: {},
    save: {},
  });
  const page = new OptionsPage({ browser, document, host: new NativeHost(browser, { timeoutMs: 100 }) });
  return { browser, document, page };
}

test("options page: rules are shown, edited, refused with their line, and saved", async () => {
  const local = { [OPTIONS_KEY]: { threshold: 4, rules: [{ name: "P", effect: "bcc", lists: ["Parents"] }] } };
  const { browser, document, page } = optionsPage({ local });
  await page.show();
  assert.equal(document.elements.rules.value, "P: bcc: Parents");
  document.elements.rules.value = "P: bcc: Parents\nbroken line";
  assert.equal(await page.save(), null);
  assert.equal(document.elements.problem.textContent, "rulesInvalid(2)");
  document.elements.rules.value = "P: bcc: Parents\nTeam: never-hold: @team.example";
  await page.save();
  const stored = (await browser.storage.local.get(OPTIONS_KEY))[OPTIONS_KEY];
  assert.deepEqual(stored.rules.map((r) => [r.name, r.effect]), [
    ["P", "bcc"],
    ["Team", "never-hold"],
  ]);
  assert.equal(document.elements.problem.textContent, "");
});
