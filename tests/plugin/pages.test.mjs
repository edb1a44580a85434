// The compose toolbar's check page and the options page, with a stubbed browser and
// a minimal DOM (the page scripts only wire these modules to the real ones).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { CheckPage } from "../../plugin/modules/check_page.js";
import { NativeHost } from "../../plugin/modules/native.js";
import { OptionsPage } from "../../plugin/modules/options_page.js";
import { OPTIONS_KEY } from "../../plugin/modules/settings.js";
import { makeBrowser, people } from "./browser_stub.mjs";
import { fakeDocument } from "./fake_dom.mjs";

const page = (name) => readFileSync(new URL(`../../plugin/${name}`, import.meta.url), "utf-8");

// ---- the check page -------------------------------------------------------------

function checkDocument() {
  return fakeDocument({
    headline: { i18n: "checkTitle" },
    detail: {},
    domains: {},
    convert: { i18n: "buttonConvertOnly" },
  });
}

function checkSetup(details, setup = {}) {
  const browser = makeBrowser({ composeDetails: { 5: details }, ...setup });
  browser.tabs = {
    query: async (query) => {
      assert.deepEqual(query, { active: true, currentWindow: true });
      return [{ id: 5, type: "messageCompose" }];
    },
  };
  const document = checkDocument();
  let closed = 0;
  const checkPage = new CheckPage({
    browser,
    document,
    host: new NativeHost(browser, { timeoutMs: 100 }),
    close: () => {
      closed += 1;
    },
  });
  return { browser, document, checkPage, closed: () => closed };
}

const wide = {
  identityId: "id1",
  from: "Me <me@myorg.example>",
  to: [...people(8), "Colleague <col@myorg.example>"],
  cc: people(4, "c"),
  bcc: ["hidden@h.example"],
};

test("the check page uses the elements its HTML has", () => {
  const html = page("check/check.html");
  for (const id of Object.keys(checkDocument().elements)) {
    assert.match(html, new RegExp(`id="${id}"`, "u"));
  }
  assert.match(page("check/check.js"), /new CheckPage\(/u);
});

test("check page: count and domains of the compose tab's recipients, held", async () => {
  const { document, checkPage } = checkSetup(wide);
  const verdict = await checkPage.show();
  assert.equal(verdict.verdict, "hold");
  const { headline, detail, domains, convert } = document.elements;
  assert.equal(headline.textContent, "checkTitle()");
  // 13 visible (To and Cc; the Bcc is not counted), all strangers, limit 10.
  assert.equal(detail.textContent, "checkHold(13|13|10)");
  assert.match(domains.textContent, /^pd0\.example \(1\), /u);
  assert.match(domains.textContent, /\+\d+$/u); // more domains than shown
  assert.equal(convert.disabled, false);
});

test("check page: few recipients pass; trusted domains from the options count", async () => {
  const local = { [OPTIONS_KEY]: { threshold: 3, trustedDomains: ["pd0.example"] } };
  const { document, checkPage } = checkSetup({ ...wide, to: people(4), cc: [] }, { local });
  assert.equal((await checkPage.show()).verdict, "pass");
  assert.equal(document.elements.detail.textContent, "checkPass(3|4|3)");
  assert.equal(document.elements.convert.disabled, false);
});

test("check page: no visible recipients, nothing to convert", async () => {
  const { document, checkPage } = checkSetup({ ...wide, to: [], cc: [] });
  assert.equal((await checkPage.show()).visible_count, 0);
  assert.equal(document.elements.convert.disabled, true);
  assert.deepEqual(document.elements.convert.click(), []);
});

test("check page: the convert button rewrites the recipients in place", async () => {
  const { browser, document, checkPage, closed } = checkSetup(wide);
  await checkPage.show();
  const [done] = document.elements.convert.click();
  assert.equal(await done, true);
  assert.equal(browser.calls.setComposeDetails.length, 1);
  const [{ tabId, details }] = browser.calls.setComposeDetails;
  assert.equal(tabId, 5);
  assert.deepEqual(details.to, ["me@myorg.example"]);
  assert.deepEqual(details.cc, []);
  assert.deepEqual(details.bcc, [...wide.to, ...wide.cc, "hidden@h.example"]);
  assert.equal(closed(), 1);
});

test("check page: without a From, the sender identity becomes the To", async () => {
  const identities = { id1: { email: "identity@myorg.example" } };
  const { browser, document, checkPage } = checkSetup({ ...wide, from: undefined }, { identities });
  await checkPage.show();
  await document.elements.convert.click()[0];
  assert.deepEqual(browser.calls.setComposeDetails[0].details.to, ["identity@myorg.example"]);
});

test("check page: convert uses the recipients as they are when clicked", async () => {
  const { browser, document, checkPage } = checkSetup(wide);
  await checkPage.show();
  browser.compose.getComposeDetails = async () => ({ ...wide, to: ["late@l.example"], cc: [], bcc: [] });
  await document.elements.convert.click()[0];
  assert.deepEqual(browser.calls.setComposeDetails[0].details.bcc, ["late@l.example"]);
});

test("check page: a failed check says so and offers no conversion", async (t) => {
  const logged = t.mock.method(console, "error", () => {});
  const { browser, document, checkPage } = checkSetup(wide);
  browser.compose.getComposeDetails = async () => {
    throw new Error("compose window gone");
  };
  assert.equal(await checkPage.show(), null);
  assert.match(document.elements.detail.textContent, /^checkFailed\(.*compose window gone\)$/u);
  assert.equal(document.elements.convert.disabled, true);
  assert.equal(await checkPage.convert(), false);
  assert.equal(browser.calls.setComposeDetails.length, 0);
  assert.equal(logged.mock.callCount(), 1);
});

test("check page: a failed conversion keeps the page open to try again", async (t) => {
  const logged = t.mock.method(console, "error", () => {});
  const { browser, document, checkPage, closed } = checkSetup(wide);
  await checkPage.show();
  browser.compose.setComposeDetails = async () => {
    throw new Error("read-only");
  };
  assert.equal(await document.elements.convert.click()[0], false);
  assert.match(document.elements.detail.textContent, /read-only/u);
  assert.equal(document.elements.convert.disabled, false);
  assert.equal(closed(), 0);
  assert.equal(logged.mock.callCount(), 1);
});

// ---- the options page -----------------------------------------------------------

function optionsDocument() {
  return fakeDocument({
    source: {},
    threshold: {},
    trustedDomains: {},
    action: { value: "ask" },
    rules: {},
    sendDelay: { value: "0" },
    problem: {},
    save: { i18n: "optionSave" },
  });
}

function optionsSetup(setup = {}) {
  const browser = makeBrowser(setup);
  const document = optionsDocument();
  const optionsPage = new OptionsPage({
    browser,
    document,
    host: new NativeHost(browser, { timeoutMs: 100 }),
  });
  return { browser, document, optionsPage, stored: () => browser.storage.local.get(OPTIONS_KEY) };
}

const fieldsOf = (document) =>
  Object.fromEntries(
    ["threshold", "trustedDomains", "action"].map((k) => [
      k,
      { value: document.elements[k].value, disabled: document.elements[k].disabled },
    ]),
  );

test("the options page uses the elements its HTML has", () => {
  const html = page("options/options.html");
  for (const id of Object.keys(optionsDocument().elements)) {
    assert.match(html, new RegExp(`id="${id}"`, "u"));
  }
  assert.match(page("options/options.js"), /new OptionsPage\(/u);
});

test("options page: defaults when nothing is stored", async () => {
  const { document, optionsPage } = optionsSetup();
  await optionsPage.show();
  assert.deepEqual(fieldsOf(document), {
    threshold: { value: "10", disabled: false },
    trustedDomains: { value: "", disabled: false },
    action: { value: "ask", disabled: false },
  });
  assert.equal(document.elements.source.textContent, "source_options()");
  assert.equal(document.elements.save.textContent, "optionSave()");
});

test("options page: shows the stored options and saves edits to storage.local", async () => {
  const local = { [OPTIONS_KEY]: { threshold: 4, trustedDomains: ["corp.example"], action: "block" } };
  const { document, optionsPage, stored } = optionsSetup({ local });
  await optionsPage.show();
  assert.deepEqual(fieldsOf(document).threshold, { value: "4", disabled: false });
  assert.equal(document.elements.trustedDomains.value, "corp.example");
  assert.equal(document.elements.action.value, "block");
  document.elements.threshold.value = " 25 ";
  document.elements.trustedDomains.value = "@Corp.Example\nlab.example, other.example.";
  document.elements.action.value = "convert";
  await document.elements.save.click()[0];
  assert.deepEqual((await stored())[OPTIONS_KEY], {
    threshold: 25,
    trustedDomains: ["corp.example", "lab.example", "other.example"],
    action: "convert",
  });
  assert.equal(document.elements.problem.textContent, "");
});

test("options page: a bad limit is refused and nothing is saved", async () => {
  for (const bad of ["", "  ", "-1", "2.5", "ten"]) {
    const local = { [OPTIONS_KEY]: { threshold: 4 } };
    const { document, optionsPage, stored } = optionsSetup({ local });
    await optionsPage.show();
    document.elements.threshold.value = bad;
    assert.equal(await optionsPage.save(), null, bad);
    assert.equal(document.elements.problem.textContent, `thresholdInvalid(${bad.trim()})`);
    assert.deepEqual((await stored())[OPTIONS_KEY], { threshold: 4 });
  }
});

test("options page: a public mail domain is refused, with its name", async () => {
  const { document, optionsPage, stored } = optionsSetup();
  await optionsPage.show();
  document.elements.trustedDomains.value = "corp.example\ngmail.com";
  assert.equal(await optionsPage.save(), null);
  assert.equal(document.elements.problem.textContent, "publicDomainRefused(gmail.com)");
  assert.deepEqual(await stored(), {});
  document.elements.trustedDomains.value = "corp.example";
  assert.deepEqual(await optionsPage.save(), {
    threshold: 10,
    trustedDomains: ["corp.example"],
    action: "ask",
  });
  assert.equal(document.elements.problem.textContent, "");
});

test("options page: an unknown action is saved as the default, ask", async () => {
  const { document, optionsPage, stored } = optionsSetup();
  await optionsPage.show();
  document.elements.action.value = "explode";
  await optionsPage.save();
  assert.equal((await stored())[OPTIONS_KEY].action, "ask");
});

test("options page: the enterprise policy's fields show its values and are locked", async () => {
  const local = { [OPTIONS_KEY]: { threshold: 4, trustedDomains: ["own.example"], action: "ask" } };
  const managed = { threshold: 2, action: "block" };
  const { document, optionsPage } = optionsSetup({ local, managed });
  await optionsPage.show();
  assert.deepEqual(fieldsOf(document), {
    threshold: { value: "2", disabled: true },
    trustedDomains: { value: "own.example", disabled: false },
    action: { value: "block", disabled: true },
  });
  assert.equal(document.elements.source.textContent, "sourceManaged()");
});

test("options page: saving keeps the user's own values of locked fields", async () => {
  const local = { [OPTIONS_KEY]: { threshold: 4, trustedDomains: ["own.example"], action: "convert" } };
  const managed = { threshold: 2, action: "block", trustedDomains: ["org.example"] };
  const { document, optionsPage, stored } = optionsSetup({ local, managed });
  await optionsPage.show();
  assert.equal(document.elements.trustedDomains.value, "org.example");
  assert.equal(document.elements.trustedDomains.disabled, true);
  // Even if a locked field's value were changed (or shows the enforced one), the
  // stored own options stay the user's.
  document.elements.threshold.value = "not a number";
  await optionsPage.save();
  assert.deepEqual((await stored())[OPTIONS_KEY], {
    threshold: 4,
    trustedDomains: ["own.example"],
    action: "convert",
  });
});

test("options page: with the desktop app, its settings apply and the page says so", async () => {
  const native = (m) =>
    m.type === "policy"
      ? { ok: true, policy: { threshold: 3, trusted_domains: [], action: "convert" } }
      : { ok: false };
  const { document, optionsPage } = optionsSetup({ native });
  await optionsPage.show();
  assert.equal(document.elements.source.textContent, "source_desktop()");
  // The fields are the plugin's own options, used when the app is absent.
  assert.equal(document.elements.threshold.value, "10");
  assert.equal(document.elements.threshold.disabled, false);
});
