/**
 * Which policy applies: enterprise policy (managed storage) over the desktop app's
 * shared policy over the plugin's own options over the defaults.
 * @module settings
 */

import { buildPolicy } from "./policy.js";

export const OPTIONS_KEY = "options";
const FIELDS = ["threshold", "trustedDomains", "action", "rules"];

/**
 * @typedef {import("./policy.js").Policy} Policy
 * @typedef {{threshold?: unknown, trustedDomains?: unknown, action?: unknown,
 *   rules?: unknown}} Options
 * @typedef {{policy: Policy, source: "desktop" | "options", managed: string[],
 *   decisionKey: string | null}} Effective
 */

const DECISION_KEY = /^[0-9a-f]{64}$/u;

/**
 * The enterprise policy values, or {} when none are set.
 * @param {any} browser
 * @returns {Promise<Options>}
 */
export async function readManaged(browser) {
  try {
    const managed = await browser.storage.managed.get(null);
    return managed && typeof managed === "object" ? managed : {};
  } catch {
    return {}; // no managed storage manifest: nothing is enforced
  }
}

/**
 * The plugin's own options.
 * @param {any} browser
 * @returns {Promise<Options>}
 */
export async function readOptions(browser) {
  try {
    const stored = await browser.storage.local.get(OPTIONS_KEY);
    return stored?.[OPTIONS_KEY] ?? {};
  } catch {
    return {};
  }
}

/**
 * Save the plugin's own options.
 * @param {any} browser
 * @param {Options} options
 * @returns {Promise<void>}
 */
export async function saveOptions(browser, options) {
  await browser.storage.local.set({ [OPTIONS_KEY]: options });
}

/**
 * The policy in force for mail from `sender` and where it came from.
 * @param {any} browser
 * @param {{policy(sender?: string): Promise<Record<string, unknown> | null>}} host
 * @param {string} [sender] the identity the message is from ("" if not known)
 * @returns {Promise<Effective>}
 */
export async function effectivePolicy(browser, host, sender = "") {
  const [managed, options, desktop] = await Promise.all([
    readManaged(browser),
    readOptions(browser),
    host.policy(sender),
  ]);
  /** @type {Record<string, unknown>} */
  const values = desktop
    ? {
        threshold: desktop.threshold,
        trustedDomains: desktop.trusted_domains,
        action: desktop.action,
        rules: desktop.rules,
      }
    : { ...options };
  const enforced = FIELDS.filter((k) => /** @type {any} */ (managed)[k] !== undefined);
  for (const key of enforced) {
    values[key] = /** @type {any} */ (managed)[key];
  }
  const key = desktop?.decision_key;
  return {
    policy: buildPolicy(values),
    source: desktop ? "desktop" : "options",
    managed: enforced,
    decisionKey: typeof key === "string" && DECISION_KEY.test(key) ? key : null,
  };
}
