// The options page: the plugin's own policy; enterprise policy fields are read-only.
import { NativeHost } from "../modules/native.js";
import { localisePage } from "../modules/page_text.js";
import { buildPolicy, domainList } from "../modules/policy.js";
import { effectivePolicy, readOptions, saveOptions } from "../modules/settings.js";

const field = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));

async function show() {
  localisePage(browser, document);
  const options = await readOptions(browser);
  const effective = await effectivePolicy(browser, new NativeHost(browser));
  const policy = buildPolicy(options);
  field("threshold").value = String(policy.threshold);
  field("trustedDomains").value = [...policy.trustedDomains].join("\n");
  field("action").value = policy.action;
  for (const key of effective.managed) {
    field(key).disabled = true;
  }
  const source = effective.managed.length ? "sourceManaged" : `source_${effective.source}`;
  field("source").textContent = browser.i18n.getMessage(source);
}

async function save() {
  const values = {
    threshold: Number(field("threshold").value),
    trustedDomains: domainList(field("trustedDomains").value),
    action: field("action").value,
  };
  const policy = buildPolicy(values);
  field("problem").textContent = policy.rejected.length
    ? browser.i18n.getMessage("publicDomainRefused", [policy.rejected.join(", ")])
    : "";
  await saveOptions(browser, {
    threshold: policy.threshold,
    trustedDomains: [...policy.trustedDomains],
    action: policy.action,
  });
}

field("save").addEventListener("click", save);
show();
