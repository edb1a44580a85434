// The reply-all guard and the apology action.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApologyAction } from "../../plugin/modules/apology.js";
import { DecisionBroker } from "../../plugin/modules/decisions.js";
import { NativeHost } from "../../plugin/modules/native.js";
import { ReplyAllGuard } from "../../plugin/modules/reply_all.js";
import { makeBrowser, people, until } from "./browser_stub.mjs";

const original = { author: "Boss <boss@corp.example>", recipients: people(15), ccList: people(5, "c") };

function guard(composeDetails) {
  const browser = makeBrowser({ messages: { 7: original }, composeDetails: { 3: composeDetails } });
  const broker = new DecisionBroker(browser, { timeoutMs: 2000 });
  browser.runtime.onMessage.addListener((m) => broker.handleMessage(m));
  const replyAll = new ReplyAllGuard({ browser, host: new NativeHost(browser), broker });
  return { browser, replyAll };
}

async function answer(browser, choice) {
  await until(() => browser.calls.windowsCreated.length > 0);
  const token = new URL(browser.calls.windowsCreated[0].url).searchParams.get("token");
  const [question] = browser.runtime.onMessage.fire({ type: "bccguard-question", token });
  browser.runtime.onMessage.fire({ type: "bccguard-decision", token, choice });
  return question;
}

const replyAll = {
  type: "reply",
  relatedMessageId: 7,
  from: "Me <me@myorg.example>",
  to: [original.author, ...original.recipients],
  cc: original.ccList,
};

test("reply-all to a wide message warns with the number of people", async () => {
  const { browser, replyAll: g } = guard(replyAll);
  const result = g.onTabCreated({ id: 3, type: "messageCompose" });
  const question = await answer(browser, "back");
  assert.equal((await question).kind, "reply-all");
  assert.equal((await question).count, 21);
  assert.equal(await result, "warned");
  assert.equal(browser.calls.setComposeDetails.length, 0);
});

test("reply-all warning: convert rewrites the compose window", async () => {
  const { browser, replyAll: g } = guard(replyAll);
  const result = g.onTabCreated({ id: 3, type: "messageCompose" });
  await answer(browser, "convert");
  assert.equal(await result, "warned");
  const [{ tabId, details }] = browser.calls.setComposeDetails;
  assert.equal(tabId, 3);
  assert.deepEqual(details.to, ["me@myorg.example"]);
  assert.equal(details.bcc.length, 21);
});

test("a reply to the sender alone, a new message or another tab is not warned", async () => {
  const cases = [
    { ...replyAll, to: [original.author], cc: [] },
    { ...replyAll, type: "new", relatedMessageId: undefined },
  ];
  for (const details of cases) {
    const { browser, replyAll: g } = guard(details);
    assert.equal(await g.onTabCreated({ id: 3, type: "messageCompose" }), "ignored");
    assert.equal(browser.calls.windowsCreated.length, 0);
  }
  assert.equal(await guard(replyAll).replyAll.onTabCreated({ id: 3, type: "mail" }), "ignored");
});

test("reply-all to a small message is not warned", async () => {
  const { browser, replyAll: g } = guard(replyAll);
  browser.messages.get = async () => ({ author: original.author, recipients: people(3), ccList: [] });
  assert.equal(await g.onTabCreated({ id: 3, type: "messageCompose" }), "ignored");
});

const sent = {
  author: "Me <me@myorg.example>",
  recipients: people(12),
  ccList: [],
  subject: "Party",
  headerMessageId: "abc@myorg.example",
};

test("apology: the desktop app opens its composer when installed", async () => {
  const requests = [];
  const native = (m) => {
    requests.push(m);
    return m.type === "record-incident" ? { ok: true, id: "42" } : { ok: true, opened: true };
  };
  const browser = makeBrowser({ native, displayed: sent });
  const action = new ApologyAction({ browser, host: new NativeHost(browser) });
  assert.equal(await action.onClicked({ id: 1 }), "desktop");
  assert.equal(requests[0].incident.visible_count, 12);
  assert.equal(requests[0].incident.kind, "after-the-fact");
  assert.equal(requests[0].incident.sender, "me@myorg.example");
  assert.deepEqual(requests[0].incident.exposed, people(12).map((p) => p.match(/<(.*)>/u)[1]));
  assert.equal(requests[0].incident.domains.length, 12);
  assert.deepEqual(requests[1], { type: "open-apology", incident: "42" });
  assert.equal(browser.calls.beginNew.length, 0);
});

test("apology: without the app, a compose window with the built-in template", async () => {
  for (const native of [undefined, (m) => (m.type === "record-incident" ? { ok: true, id: "1" } : { ok: false })]) {
    const browser = makeBrowser({ native, displayed: sent });
    const action = new ApologyAction({ browser, host: new NativeHost(browser, { timeoutMs: 100 }) });
    assert.equal(await action.onClicked({ id: 1 }), "template");
    const [compose] = browser.calls.beginNew;
    assert.deepEqual(compose.to, ["Me <me@myorg.example>"]);
    assert.equal(compose.bcc.length, 12);
    assert.equal(compose.subject, "apologySubject(Party)");
    assert.equal(compose.plainTextBody, "apologyBody(12)");
  }
});
