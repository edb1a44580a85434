// Undo send in the compose window: the countdown popup, Undo, Send now, and the
// "delayed" proof that keeps the desktop app's proxy from waiting again.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { DecisionBroker } from "../../plugin/modules/decisions.js";
import { SendGate } from "../../plugin/modules/gate.js";
import { NativeHost } from "../../plugin/modules/native.js";
import { OptionsPage } from "../../plugin/modules/options_page.js";
import { delayOf, SendDelay } from "../../plugin/modules/send_delay.js";
import { OPTIONS_KEY } from "../../plugin/modules/settings.js";
import { makeBrowser, people, until } from "./browser_stub.mjs";
import { fakeDocument } from "./fake_dom.mjs";

const SENDER = "Me <me@myorg.example>";
const KEY = "0f".repeat(32);
const NOW_MS = 1_700_000_000_000; // minute 28333333
const SECOND_MS = 20; // a "second" of the countdown in these tests

/** A desktop app whose policy comes with a decision key (or none). */
function desktop(key = KEY) {
  return (m) =>
    m.type === "policy"
      ? {
          ok: true,
          policy: { threshold: 10, trusted_domains: [], action: "ask" },
          ...(key ? { decision_key: key } : {}),
        }
      : { ok: true, id: "inc-1" };
}

/** The gate and the delay wired as background.js wires them. */
function wired({ sendDelay = 5, native = desktop(), windowsFail = false } = {}) {
  const browser = makeBrowser({
    native,
    windowsFail,
    local: { options: sendDelay ? { sendDelay } : {} },
  });
  const host = new NativeHost(browser, { timeoutMs: 200 });
  const broker = new DecisionBroker(browser, { timeoutMs: 2000 });
  const gate = new SendGate({ browser, host, broker, now: () => NOW_MS });
  const delay = new SendDelay({ browser, host, now: () => NOW_MS, secondMs: SECOND_MS });
  browser.runtime.onMessage.addListener(
    (m) => broker.handleMessage(m) ?? delay.handleMessage(m),
  );
  browser.windows.onRemoved.addListener((id) => {
    broker.handleWindowRemoved(id);
    delay.handleWindowRemoved(id);
  });
  const send = async (details) =>
    delay.apply({ id: 1 }, details, await gate.onBeforeSend({ id: 1 }, details));
  return { browser, delay, send };
}

/** The popup's side: the countdown it shows, then its answer (or nothing). */
async function countdownPopup(browser, answer, index = 0) {
  await until(() =>
    browser.calls.windowsCreated.filter((w) => w.url.includes("countdown")).length > index,
  );
  const created = browser.calls.windowsCreated.filter((w) => w.url.includes("countdown"))[index];
  const token = new URL(created.url).searchParams.get("token");
  const [shown] = browser.runtime.onMessage.fire({ type: "bccguard-countdown", token });
  if (answer === "close") {
    browser.windows.onRemoved.fire(created.id);
  } else if (answer) {
    browser.runtime.onMessage.fire({ type: "bccguard-countdown-choice", token, choice: answer });
  }
  return { countdown: await shown, created };
}

/** The proof, computed here independently of the plugin's modules. */
function expectedProof(addresses, decisions) {
  const minute = Math.floor(NOW_MS / 60000);
  const text = `v1|${decisions}|${minute}|${[...new Set(addresses)].sort().join(",")}`;
  const mac = createHmac("sha256", Buffer.from(KEY, "hex")).update(text, "utf8").digest("hex");
  return `v1; ${decisions}; t=${minute}; mac=${mac}`;
}

const lunch = {
  from: SENDER,
  to: ["Ann <ann@a.example>", "bob@b.example"],
  cc: ["cy@c.example"],
  subject: "Lunch",
  customHeaders: [{ name: "X-Mailer-Note", value: "kept" }],
};
const lunchVisible = ["ann@a.example", "bob@b.example", "cy@c.example"];

test("off by default: no countdown, the gate's answer as it was", async () => {
  const { browser, send } = wired({ sendDelay: 0 });
  assert.deepEqual(await send(lunch), {});
  assert.equal(browser.calls.windowsCreated.length, 0);
});

test("only the offered delays count", () => {
  assert.deepEqual(
    [0, 5, 10, 30, 60, 3, -5, "10", "x", undefined].map((d) => delayOf({ sendDelay: d })),
    [0, 5, 10, 30, 60, 0, 0, 10, 0, 0],
  );
  assert.equal(delayOf(undefined), 0);
});

test("Undo in the countdown cancels the send: the message stays in the compose window", async () => {
  const { browser, send } = wired();
  const pending = send(lunch);
  const { countdown, created } = await countdownPopup(browser, "undo");
  assert.deepEqual(countdown, { count: 3, subject: "Lunch", untilMs: NOW_MS + 5 * SECOND_MS });
  assert.deepEqual(await pending, { cancel: true });
  assert.deepEqual(browser.calls.windowsRemoved, [created.id]);
});

test("left alone, it goes when the time is up, with the delay proven", async () => {
  const { browser, send } = wired();
  const pending = send(lunch);
  const { created } = await countdownPopup(browser, null);
  assert.deepEqual(await pending, {
    cancel: false,
    details: {
      customHeaders: [
        { name: "X-Mailer-Note", value: "kept" },
        { name: "X-BccGuard-Decision", value: expectedProof(lunchVisible, "delayed") },
      ],
    },
  });
  assert.deepEqual(browser.calls.windowsRemoved, [created.id]);
});

test("Send now goes at once", async () => {
  const { browser, delay, send } = wired({ sendDelay: 60 }); // 60 test seconds: 1.2 s
  const pending = send(lunch);
  await countdownPopup(browser, "send");
  const answer = await pending;
  assert.equal(answer.cancel, false);
  assert.equal(answer.details.customHeaders.at(-1).value, expectedProof(lunchVisible, "delayed"));
  assert.equal(delay.pending.size, 0);
});

test("closing the countdown does not stop the message", async () => {
  const { browser, send } = wired();
  const pending = send(lunch);
  await countdownPopup(browser, "close");
  const answer = await pending;
  assert.equal(answer.cancel, false);
  assert.match(answer.details.customHeaders.at(-1).value, /^v1; delayed; /u);
});

test("a countdown that cannot open still sends after the delay", async () => {
  const { send } = wired({ windowsFail: true });
  const answer = await send(lunch);
  assert.equal(answer.cancel, false);
});

test("without the desktop app's key it waits but proves nothing", async () => {
  const { browser, send } = wired({ native: desktop(null) });
  const pending = send(lunch);
  await countdownPopup(browser, null);
  assert.deepEqual(await pending, {});
});

test("'Send as is' then the delay: one proof with both decisions", async () => {
  const { browser, send } = wired();
  const wide = { from: SENDER, to: people(20), cc: people(10, "c"), subject: "All" };
  const pending = send(wide);
  await until(() => browser.calls.windowsCreated.length > 0);
  const asked = browser.calls.windowsCreated[0];
  const token = new URL(asked.url).searchParams.get("token");
  browser.runtime.onMessage.fire({ type: "bccguard-decision", token, choice: "send" });
  const { countdown } = await countdownPopup(browser, null);
  assert.equal(countdown.count, 30);
  const answer = await pending;
  const visible = [
    ...Array.from({ length: 20 }, (_, i) => `p${i}@pd${i}.example`),
    ...Array.from({ length: 10 }, (_, i) => `c${i}@cd${i}.example`),
  ];
  const headers = answer.details.customHeaders;
  assert.equal(headers.length, 1);
  assert.equal(headers[0].value, expectedProof(visible, "as-is,delayed"));
});

test("converted by the gate: the proof is for the recipients that stay visible", async () => {
  const browser = makeBrowser({ native: desktop(), managed: { action: "convert" } });
  browser.storage.local.set({ options: { sendDelay: 5 } });
  const host = new NativeHost(browser, { timeoutMs: 200 });
  const gate = new SendGate({ browser, host, broker: new DecisionBroker(browser) });
  const delay = new SendDelay({ browser, host, now: () => NOW_MS, secondMs: SECOND_MS });
  const wide = { from: SENDER, to: people(20), cc: [], bcc: [] };
  const answer = await delay.apply({ id: 1 }, wide, await gate.onBeforeSend({ id: 1 }, wide));
  assert.deepEqual(answer.details.to, ["me@myorg.example"]);
  assert.equal(answer.details.bcc.length, 20);
  const proof = answer.details.customHeaders.at(-1).value;
  assert.equal(proof, expectedProof(["me@myorg.example"], "delayed"));
});

test("a stale 'as is' left in the compose window is not signed again", async () => {
  const { browser, send } = wired();
  const stale = { name: "X-BccGuard-Decision", value: `v1; as-is; t=1; mac=${"0".repeat(64)}` };
  const pending = send({ ...lunch, customHeaders: [stale] });
  await countdownPopup(browser, null);
  const headers = (await pending).details.customHeaders;
  assert.deepEqual(headers, [
    { name: "X-BccGuard-Decision", value: expectedProof(lunchVisible, "delayed") },
  ]);
});

test("a message the gate sends back to editing is not counted down", async () => {
  const { browser, send } = wired();
  const wide = { from: SENDER, to: people(20), cc: people(10, "c") };
  const pending = send(wide);
  await until(() => browser.calls.windowsCreated.length > 0);
  const token = new URL(browser.calls.windowsCreated[0].url).searchParams.get("token");
  browser.runtime.onMessage.fire({ type: "bccguard-decision", token, choice: "back" });
  assert.deepEqual(await pending, { cancel: true });
  assert.equal(browser.calls.windowsCreated.length, 1);
});

test("unknown tokens and choices change nothing", async () => {
  const { browser, delay, send } = wired();
  const pending = send(lunch);
  await until(() => delay.pending.size === 1);
  assert.deepEqual(
    browser.runtime.onMessage.fire({ type: "bccguard-countdown-choice", token: "x" }),
    [undefined],
  );
  const { countdown } = await countdownPopup(browser, "explode"); // not "undo": it goes
  assert.equal(countdown.count, 3);
  assert.equal((await pending).cancel, false);
});

// -- the option -------------------------------------------------------------------

function optionsPage(stored = {}) {
  const browser = makeBrowser({ local: { [OPTIONS_KEY]: stored } });
  const document = fakeDocument({
    source: {},
    threshold: {},
    trustedDomains: {},
    action: { value: "ask" },
    rules: {},
    sendDelay: { value: "0" },
    problem: {},
    save: { i18n: "optionSave" },
  });
  const page = new OptionsPage({ browser, document, host: new NativeHost(browser, { timeoutMs: 100 }) });
  return { browser, document, page };
}

test("the options page shows and saves the delay; off is not stored", async () => {
  const { browser, document, page } = optionsPage({ threshold: 10, sendDelay: 30 });
  await page.show();
  assert.equal(document.elements.sendDelay.value, "30");
  document.elements.sendDelay.value = "10";
  assert.equal((await page.save()).sendDelay, 10);
  assert.equal((await browser.storage.local.get(OPTIONS_KEY))[OPTIONS_KEY].sendDelay, 10);
  document.elements.sendDelay.value = "0";
  assert.equal("sendDelay" in (await page.save()), false);
});

test("the enterprise policy's delay wins, and the options page shows it locked", async () => {
  const browser = makeBrowser({ managed: { sendDelay: 10 }, local: { options: { sendDelay: 60 } } });
  const host = new NativeHost(browser, { timeoutMs: 100 });
  const delay = new SendDelay({ browser, host, now: () => NOW_MS, secondMs: SECOND_MS });
  browser.runtime.onMessage.addListener((m) => delay.handleMessage(m));
  const pending = delay.apply({ id: 1 }, lunch, {});
  const { countdown } = await countdownPopup(browser, "undo");
  assert.equal(countdown.untilMs, NOW_MS + 10 * SECOND_MS);
  assert.deepEqual(await pending, { cancel: true });

  const off = makeBrowser({ managed: { sendDelay: 0 }, local: { options: { sendDelay: 60 } } });
  const none = new SendDelay({ browser: off, host: new NativeHost(off, { timeoutMs: 100 }) });
  assert.deepEqual(await none.apply({ id: 1 }, lunch, {}), {});

  const { browser: b, document, page } = optionsPage({ sendDelay: 30 });
  b.storage.managed.get = async () => ({ sendDelay: 5 });
  await page.show();
  assert.equal(document.elements.sendDelay.value, "5");
  assert.equal(document.elements.sendDelay.disabled, true);
  assert.equal((await page.save()).sendDelay, 30); // the user's own stays theirs
});

test("the pages have the elements and words the scripts use", () => {
  const read = (name) => readFileSync(new URL(`../../plugin/${name}`, import.meta.url), "utf-8");
  assert.match(read("options/options.html"), /id="sendDelay"/u);
  const popup = read("popup/countdown.html");
  for (const id of ["headline", "subject", "undo", "send"]) {
    assert.match(popup, new RegExp(`id="${id}"`, "u"));
  }
  const script = read("popup/countdown.js");
  const used = [
    ...[...popup.matchAll(/data-i18n="(\w+)"/gu)].map((m) => m[1]),
    ...[...script.matchAll(/getMessage\("(\w+)"/gu)].map((m) => m[1]),
  ];
  assert.ok(used.length >= 5, used.join(" "));
  for (const lang of ["en", "it"]) {
    const messages = JSON.parse(read(`_locales/${lang}/messages.json`));
    for (const name of [...used, "optionSendDelay", "sendDelayOff"]) {
      assert.ok(messages[name]?.message, `${lang}: ${name}`);
    }
  }
  assert.match(read("background.js"), /delay\.apply\(tab, details, await gate\.onBeforeSend/u);
});
