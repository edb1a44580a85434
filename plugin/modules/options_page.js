/**
 * The options page: the plugin's own policy (storage.local), with the fields an
 * enterprise policy (managed storage) sets shown with the enforced value and locked.
 * The page script only wires this to the real `browser` and `document`.
 * @module options_page
 */

import { localisePage } from "./page_text.js";
import { buildPolicy, domainList } from "./policy.js";
import { parseRulesText, ruleValues, rulesText } from "./recipient_rules.js";
import { delayOf } from "./send_delay.js";
import { effectivePolicy, readManaged, readOptions, saveOptions } from "./settings.js";

/**
 * @typedef {import("./native.js").NativeHost} NativeHost
 * @typedef {import("./settings.js").Options} Options
 * @typedef {{threshold: number, trustedDomains: string[], action: string,
 *   rules?: Record<string, unknown>[], sendDelay?: number}} Saved
 */

const WHOLE_NUMBER = /^\d+$/u;

export class OptionsPage {
  /** @param {{browser: any, document: any, host: NativeHost}} parts */
  constructor({ browser, document, host }) {
    this.browser = browser;
    this.document = document;
    this.host = host;
    /** @type {string[]} */
    this.locked = [];
  }

  /** @param {string} id */
  field(id) {
    return this.document.getElementById(id);
  }

  /**
   * Fill the fields: the plugin's own options, except where the enterprise policy
   * decides (those show its value and cannot be edited).
   * @returns {Promise<void>}
   */
  async show() {
    localisePage(this.browser, this.document);
    const [options, effective] = await Promise.all([
      readOptions(this.browser),
      effectivePolicy(this.browser, this.host),
    ]);
    const own = buildPolicy(options);
    this.locked = effective.managed;
    /** @type {Record<string, string>} */
    const shown = {
      threshold: String(own.threshold),
      trustedDomains: [...own.trustedDomains].join("\n"),
      action: own.action,
      rules: rulesText(own.rules),
    };
    const enforced = effective.policy;
    for (const key of this.locked) {
      shown[key] =
        key === "threshold"
          ? String(enforced.threshold)
          : key === "trustedDomains"
            ? [...enforced.trustedDomains].join("\n")
            : key === "rules"
              ? rulesText(enforced.rules)
              : enforced.action;
    }
    for (const [key, value] of Object.entries(shown)) {
      this.field(key).value = value;
      this.field(key).disabled = this.locked.includes(key);
    }
    const managed = /** @type {any} */ (await readManaged(this.browser));
    const delayLocked = managed.sendDelay !== undefined; // the enterprise policy's
    this.field("sendDelay").value = String(delayOf(delayLocked ? managed : options));
    this.field("sendDelay").disabled = delayLocked;
    this.field("save").addEventListener("click", () => this.save());
    const source = this.locked.length ? "sourceManaged" : `source_${effective.source}`;
    this.field("source").textContent = this.browser.i18n.getMessage(source);
  }

  /**
   * Validate and store the plugin's own options; what was saved, or null when a value
   * is refused (the page says which). Locked fields keep the stored own value, so
   * the enterprise policy's values never become the user's.
   * @returns {Promise<Saved | null>}
   */
  async save() {
    const i18n = this.browser.i18n;
    const problems = [];
    const thresholdText = String(this.field("threshold").value).trim();
    if (!this.locked.includes("threshold") && !WHOLE_NUMBER.test(thresholdText)) {
      problems.push(i18n.getMessage("thresholdInvalid", [thresholdText]));
    }
    const domains = domainList(this.field("trustedDomains").value);
    const edited = buildPolicy({
      threshold: thresholdText,
      trustedDomains: domains,
      action: this.field("action").value,
    });
    if (edited.rejected.length && !this.locked.includes("trustedDomains")) {
      problems.push(i18n.getMessage("publicDomainRefused", [edited.rejected.join(", ")]));
    }
    const rules = parseRulesText(String(this.field("rules").value));
    if (rules.bad.length && !this.locked.includes("rules")) {
      problems.push(i18n.getMessage("rulesInvalid", [rules.bad.join(", ")]));
    }
    if (problems.length) {
      this.field("problem").textContent = problems.join(" ");
      return null;
    }
    const previous = buildPolicy(await readOptions(this.browser));
    const pick = (/** @type {string} */ key) => (this.locked.includes(key) ? previous : edited);
    /** @type {Saved} */
    const saved = {
      threshold: pick("threshold").threshold,
      trustedDomains: [...pick("trustedDomains").trustedDomains],
      action: pick("action").action,
    };
    const ownRules = this.locked.includes("rules")
      ? previous.rules
      : buildPolicy({ rules: rules.rules }).rules;
    if (ownRules.length) {
      saved.rules = ruleValues(ownRules);
    }
    const delayField = this.field("sendDelay");
    const sendDelay = delayField.disabled // the enterprise policy's: keep the own one
      ? delayOf(/** @type {any} */ (await readOptions(this.browser)))
      : delayOf({ sendDelay: delayField.value });
    if (sendDelay) {
      saved.sendDelay = sendDelay; // Undo send in the compose window (off: absent)
    }
    await saveOptions(this.browser, saved);
    this.field("problem").textContent = "";
    return saved;
  }
}
