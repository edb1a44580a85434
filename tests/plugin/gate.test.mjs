// The pre-send gate and its popup always resolve, and do what the policy says.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";

import { DecisionBroker } from "../../plugin/modules/decisions.js";
import { SendGate } from "../../plugin/modules/gate.js";
import { NativeHost } from "../../plugin/modules/native.js";
import { makeBrowser, people, until } from "./browser_stub.mjs";

const SENDER = "Me <me@myorg.example>";

function makeGate(
  setup = {},
  { timeoutMs = 2000, hostTimeoutMs = 200, checkTimeoutMs, now } = {},
) {
  const browser = makeBrowser(setup);
  const host = new NativeHost(browser, { timeoutMs: hostTimeoutMs });
  const broker = new DecisionBroker(browser, { timeoutMs });
  browser.runtime.onMessage.addListener((m) => broker.handleMessage(m));
  browser.windows.onRemoved.addListener((id) => broker.handleWindowRemoved(id));
  const gate = new SendGate({ browser, host, broker, checkTimeoutMs, now });
  return { browser, broker, gate };
}

/** The popup's side: read the question, then answer (or close the window). */
async function popupAnswers(browser, answer) {
  await until(() => browser.calls.windowsCreated.length > 0);
  const created = browser.calls.windowsCreated.at(-1);
  const token = new URL(created.url).searchParams.get("token");
  const [question] = browser.runtime.onMessage.fire({ type: "bccguard-question", token });
  if (answer === "close") {
    browser.windows.onRemoved.fire(created.id);
  } else if (answer) {
    browser.runtime.onMessage.fire({ type: "bccguard-decision", token, choice: answer });
  }
  return question;
}

const wide = { from: SENDER, to: people(20), cc: people(10, "c"), bcc: [] };

test("under the threshold the message passes untouched, no popup", async () => {
  const { browser, gate } = makeGate();
  const answer = await gate.onBeforeSend({ id: 1 }, { from: SENDER, to: people(10) });
  assert.deepEqual(answer, {});
  assert.equal(browser.calls.windowsCreated.length, 0);
});

test("host missing: the plugin's own options apply (threshold 3 holds 4)", async () => {
  const { browser, gate } = makeGate({ local: { options: { threshold: 3, action: "block" } } });
  const answer = await gate.onBeforeSend({ id: 1 }, { from: SENDER, to: people(4) });
  assert.deepEqual(answer, { cancel: true });
  assert.equal(browser.calls.native[0].name, "org.bccguard.native_host");
});

test("host present: the desktop app's policy wins over the plugin's options", async () => {
  const native = (m) =>
    m.type === "policy"
      ? { ok: true, policy: { threshold: 50, trusted_domains: [], action: "block" } }
      : { ok: true, id: "inc-1" };
  const { gate } = makeGate({ native, local: { options: { threshold: 3, action: "block" } } });
  assert.deepEqual(await gate.onBeforeSend({ id: 1 }, wide), {});
});

test("the desktop app is asked for the sender's own policy (per account)", async () => {
  // The proxy applies the account's threshold: the plugin must ask for the same one.
  const asked = [];
  const native = (m) => {
    asked.push(m);
    if (m.type !== "policy") return { ok: true, id: "inc-1" };
    const threshold = m.sender === "me@myorg.example" ? 50 : 3;
    return { ok: true, policy: { threshold, trusted_domains: [], action: "block" } };
  };
  const { gate } = makeGate({ native });
  assert.deepEqual(await gate.onBeforeSend({ id: 1 }, wide), {});
  assert.equal(asked.find((m) => m.type === "policy").sender, "me@myorg.example");
});

test("host that never answers: times out and the options apply", async () => {
  const native = () => new Promise(() => {});
  const { gate } = makeGate({ native, local: { options: { threshold: 3, action: "block" } } });
  const started = Date.now();
  const answer = await gate.onBeforeSend({ id: 1 }, { from: SENDER, to: people(4) });
  assert.deepEqual(answer, { cancel: true });
  assert.ok(Date.now() - started < 1500);
});

test("managed storage overrides the desktop app and the options", async () => {
  const native = () => ({ ok: true, policy: { threshold: 50, trusted_domains: [], action: "ask" } });
  const { gate } = makeGate({ native, managed: { threshold: 5, action: "block" } });
  assert.deepEqual(await gate.onBeforeSend({ id: 1 }, { from: SENDER, to: people(6) }), {
    cancel: true,
  });
});

test("convert automatically: to = sender, cc = [], bcc = everyone", async () => {
  const { browser, gate } = makeGate({ managed: { action: "convert" } });
  const answer = await gate.onBeforeSend({ id: 1 }, { ...wide, bcc: ["x@y.example"] });
  assert.equal(answer.cancel, false);
  assert.deepEqual(answer.details.to, ["me@myorg.example"]);
  assert.deepEqual(answer.details.cc, []);
  assert.equal(answer.details.bcc.length, 31);
  assert.equal(browser.calls.windowsCreated.length, 0);
});

test("ask: 'Convert to Bcc and send' converts", async () => {
  const { browser, gate } = makeGate();
  const pending = gate.onBeforeSend({ id: 1 }, wide);
  const question = await popupAnswers(browser, "convert");
  assert.equal((await question).count, 30);
  assert.equal(Object.keys((await question).domains).length, 30);
  const answer = await pending;
  assert.equal(answer.details.bcc.length, 30);
  assert.deepEqual(browser.calls.windowsRemoved, [browser.calls.windowsCreated[0].id]);
});

test("ask: 'Send as is' sends unchanged and records the incident", async () => {
  const incidents = [];
  const native = (m) => {
    if (m.type === "record-incident") incidents.push(m.incident);
    return m.type === "policy" ? null : { ok: true, id: "1" };
  };
  const { browser, gate } = makeGate({ native });
  const pending = gate.onBeforeSend({ id: 1 }, wide);
  await popupAnswers(browser, "send");
  assert.deepEqual(await pending, {});
  await until(() => incidents.length === 1);
  assert.equal(incidents[0].outcome, "sent-anyway");
  assert.equal(incidents[0].exposed_count, 30);
});

test("ask: 'Back to editing' cancels", async () => {
  const { browser, gate } = makeGate();
  const pending = gate.onBeforeSend({ id: 1 }, wide);
  await popupAnswers(browser, "back");
  assert.deepEqual(await pending, { cancel: true });
});

test("ask: closing the popup means back to editing", async () => {
  const { browser, gate } = makeGate();
  const pending = gate.onBeforeSend({ id: 1 }, wide);
  await popupAnswers(browser, "close");
  assert.deepEqual(await pending, { cancel: true });
});

test("ask: no answer in time means back to editing, and the popup closes", async () => {
  const { browser, gate } = makeGate({}, { timeoutMs: 50 });
  const pending = gate.onBeforeSend({ id: 1 }, wide);
  await popupAnswers(browser, null);
  assert.deepEqual(await pending, { cancel: true });
  assert.deepEqual(browser.calls.windowsRemoved, [browser.calls.windowsCreated[0].id]);
});

test("ask: a popup that cannot open means back to editing", async () => {
  const { gate } = makeGate({ windowsFail: true });
  assert.deepEqual(await gate.onBeforeSend({ id: 1 }, wide), { cancel: true });
});

test("a check that fails asks whether to send anyway", async () => {
  const slow = makeGate({}, { checkTimeoutMs: 50 });
  slow.browser.addressBooks.mailingLists.list = () => new Promise(() => {});
  const pending = slow.gate.onBeforeSend({ id: 1 }, { from: SENDER, to: ["Team <Team>"] });
  const question = await popupAnswers(slow.browser, "send");
  assert.equal((await question).kind, "error");
  assert.deepEqual(await pending, {});
});

test("a popup answer with an unknown token or choice changes nothing", async () => {
  const { browser, gate } = makeGate();
  const pending = gate.onBeforeSend({ id: 1 }, wide);
  await until(() => browser.calls.windowsCreated.length > 0);
  const token = new URL(browser.calls.windowsCreated[0].url).searchParams.get("token");
  assert.deepEqual(browser.runtime.onMessage.fire({ type: "bccguard-decision", token: "x" }), [
    undefined,
  ]);
  browser.runtime.onMessage.fire({ type: "bccguard-decision", token, choice: "explode" });
  assert.deepEqual(await pending, { cancel: true });
});

// -- the proof of "send as is" for the desktop app's proxy --------------------------

const KEY = "0f".repeat(32);
const NOW_MS = 1_700_000_000_000; // minute 28333333

/** A desktop app whose policy (action `action`) comes with a decision key. */
function desktopWithKey(action = "ask", key = KEY) {
  return (m) =>
    m.type === "policy"
      ? { ok: true, policy: { threshold: 10, trusted_domains: [], action }, decision_key: key }
      : { ok: true, id: "inc-1" };
}

/** The proof, computed here independently of the plugin's module. */
function expectedProof(addresses, nowMs = NOW_MS) {
  const minute = Math.floor(nowMs / 60000);
  const text = `v1|as-is|${minute}|${[...new Set(addresses)].sort().join(",")}`;
  const mac = createHmac("sha256", Buffer.from(KEY, "hex")).update(text, "utf8").digest("hex");
  return `v1; as-is; t=${minute}; mac=${mac}`;
}

const mixed = {
  from: SENDER,
  to: [...people(11), "Shouting <P0@PD0.EXAMPLE>"],
  cc: ["Zed <Zed@Zoo.Example>", "me@myorg.example"],
  customHeaders: [{ name: "X-Mailer-Note", value: "kept" }],
};
const mixedVisible = [
  ...Array.from({ length: 11 }, (_, i) => `p${i}@pd${i}.example`),
  "zed@zoo.example",
  "me@myorg.example",
];

test("ask: 'Send as is' carries the proof for the proxy, with the other headers", async () => {
  const { browser, gate } = makeGate({ native: desktopWithKey() }, { now: () => NOW_MS });
  const pending = gate.onBeforeSend({ id: 1 }, mixed);
  await popupAnswers(browser, "send");
  const answer = await pending;
  assert.deepEqual(answer, {
    cancel: false,
    details: {
      customHeaders: [
        { name: "X-Mailer-Note", value: "kept" },
        { name: "X-BccGuard-Decision", value: expectedProof(mixedVisible) },
      ],
    },
  });
  assert.equal(answer.details.to, undefined); // the recipients stay as they are
});

test("ask: 'Send as is' replaces a proof already in the compose window", async () => {
  const { browser, gate } = makeGate({ native: desktopWithKey() }, { now: () => NOW_MS + 61_000 });
  const old = { name: "X-Bccguard-Decision", value: "v1; as-is; t=1; mac=00" };
  const pending = gate.onBeforeSend({ id: 1 }, { ...wide, customHeaders: [old] });
  await popupAnswers(browser, "send");
  const headers = (await pending).details.customHeaders;
  assert.equal(headers.length, 1);
  assert.equal(headers[0].name, "X-BccGuard-Decision");
  assert.match(headers[0].value, /^v1; as-is; t=28333334; mac=[0-9a-f]{64}$/u);
});

test("no proof without the desktop app's key, or with a key that is not one", async () => {
  for (const native of [
    (m) => (m.type === "policy" ? { ok: true, policy: { threshold: 10, action: "ask" } } : null),
    desktopWithKey("ask", "not-a-key"),
    desktopWithKey("ask", "0f".repeat(31)),
  ]) {
    const { browser, gate } = makeGate({ native });
    const pending = gate.onBeforeSend({ id: 1 }, mixed);
    await popupAnswers(browser, "send");
    assert.deepEqual(await pending, {});
  }
});

test("no proof when the message is converted, sent back or passes", async () => {
  const asked = makeGate({ native: desktopWithKey() });
  let pending = asked.gate.onBeforeSend({ id: 1 }, mixed);
  await popupAnswers(asked.browser, "convert");
  let answer = await pending;
  // P0@PD0.EXAMPLE is p0@pd0.example: one person, one Bcc entry.
  assert.equal(answer.details.bcc.length, 12);
  assert.equal(answer.details.customHeaders, undefined);

  const automatic = makeGate({ native: desktopWithKey("convert") });
  answer = await automatic.gate.onBeforeSend({ id: 1 }, mixed);
  assert.equal(answer.cancel, false);
  assert.deepEqual(answer.details.cc, []);
  assert.equal(answer.details.customHeaders, undefined);

  const back = makeGate({ native: desktopWithKey() });
  pending = back.gate.onBeforeSend({ id: 1 }, mixed);
  await popupAnswers(back.browser, "back");
  assert.deepEqual(await pending, { cancel: true });

  const blocked = makeGate({ native: desktopWithKey("block") });
  assert.deepEqual(await blocked.gate.onBeforeSend({ id: 1 }, mixed), { cancel: true });

  const small = makeGate({ native: desktopWithKey() });
  assert.deepEqual(await small.gate.onBeforeSend({ id: 1 }, { from: SENDER, to: people(10) }), {});
  assert.equal(small.browser.calls.windowsCreated.length, 0);
});

// -- send one by one: converted to Bcc, with the proof for the desktop app -----------

test("one by one: offered only with the desktop app's key", async () => {
  const without = makeGate();
  let pending = without.gate.onBeforeSend({ id: 1 }, wide);
  let question = await popupAnswers(without.browser, "back");
  assert.equal(question.oneByOne, false);
  await pending;
  const withKey = makeGate({ native: desktopWithKey() });
  pending = withKey.gate.onBeforeSend({ id: 1 }, wide);
  question = await popupAnswers(withKey.browser, "back");
  assert.equal(question.oneByOne, true);
  assert.deepEqual(await pending, { cancel: true });
});

test("one by one: the message goes in Bcc form with the proof of the choice", async () => {
  const { browser, gate } = makeGate({ native: desktopWithKey() }, { now: () => NOW_MS });
  const pending = gate.onBeforeSend({ id: 1 }, mixed);
  await popupAnswers(browser, "one-by-one");
  const answer = await pending;
  assert.equal(answer.cancel, false);
  // Safe wherever it goes: nobody is in To or Cc but the sender.
  assert.deepEqual(answer.details.to, ["me@myorg.example"]);
  assert.deepEqual(answer.details.cc, []);
  assert.equal(answer.details.bcc.length, 12);
  const minute = Math.floor(NOW_MS / 60000);
  const text = `v1|individually|${minute}|me@myorg.example`;
  const mac = createHmac("sha256", Buffer.from(KEY, "hex")).update(text, "utf8").digest("hex");
  assert.deepEqual(answer.details.customHeaders, [
    { name: "X-Mailer-Note", value: "kept" },
    { name: "X-BccGuard-Decision", value: `v1; individually; t=${minute}; mac=${mac}` },
  ]);
});

test("one by one: a key that fails keeps the message in the compose window", async () => {
  const { browser, gate } = makeGate({ native: desktopWithKey("ask", "not-a-key") });
  const pending = gate.onBeforeSend({ id: 1 }, mixed);
  await popupAnswers(browser, "one-by-one");
  assert.deepEqual(await pending, { cancel: true });
});

test("one by one without a key (a forged answer) is never sent", async () => {
  const { browser, gate } = makeGate();
  const pending = gate.onBeforeSend({ id: 1 }, mixed);
  await popupAnswers(browser, "one-by-one");
  assert.deepEqual(await pending, { cancel: true });
});
