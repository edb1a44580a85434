/**
 * The policy: how many strangers may see each other before a message is held.
 *
 * Mirrors `bccguard.core.policy`: threshold (default 10), trusted organisation
 * domains (subdomains included, never a public mail domain), the sender's own
 * addresses, the action for a held message, and the recipient rules
 * (`recipient_rules.js`).
 * @module policy
 */

import { addressKey, asciiDomain, makeAddress } from "./address_list.js";
import { isPublicMailDomain } from "./public_domains.js";
import { buildRules } from "./recipient_rules.js";

// More than ten strangers who see each other is a mass mail, not a conversation.
export const DEFAULT_THRESHOLD = 10;
export const ACTIONS = /** @type {const} */ (["ask", "convert", "block"]);

/**
 * @typedef {"ask" | "convert" | "block"} Action
 * @typedef {{threshold: number, trustedDomains: Set<string>, ownKeys: Set<string>,
 *   action: Action, rejected: string[],
 *   rules: import("./recipient_rules.js").Rule[]}} Policy
 * @typedef {{threshold?: unknown, trustedDomains?: unknown, trusted_domains?: unknown,
 *   action?: unknown, ownAddresses?: string[], rules?: unknown}} PolicyValues
 */

/**
 * A whole number >= 0 from a setting, or the fallback.
 * @param {unknown} value
 * @param {number} fallback
 * @returns {number}
 */
function wholeNumber(value, fallback) {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isInteger(number) && number >= 0
    ? number
    : fallback;
}

/**
 * Domains from a list or from text with one domain per line / comma.
 * @param {unknown} value
 * @returns {string[]}
 */
export function domainList(value) {
  const items = typeof value === "string" ? value.split(/[\s,;]+/u) : Array.isArray(value) ? value : [];
  return items.map((d) => String(d).trim()).filter(Boolean);
}

/**
 * Normalise one trusted domain as the desktop app does.
 * @param {string} domain
 * @returns {string}
 */
function trustedDomain(domain) {
  return asciiDomain(domain.trim().replace(/^@+/u, "").replace(/\.+$/u, ""));
}

/**
 * A policy from plain values; public mail domains are refused (listed in `rejected`).
 * @param {PolicyValues} [values]
 * @returns {Policy}
 */
export function buildPolicy(values = {}) {
  const trusted = new Set();
  const rejected = [];
  for (const domain of domainList(values.trustedDomains ?? values.trusted_domains)) {
    if (isPublicMailDomain(domain)) {
      rejected.push(domain);
    } else {
      trusted.add(trustedDomain(domain));
    }
  }
  const action = ACTIONS.includes(/** @type {Action} */ (values.action))
    ? /** @type {Action} */ (values.action)
    : "ask";
  return {
    threshold: wholeNumber(values.threshold, DEFAULT_THRESHOLD),
    trustedDomains: trusted,
    ownKeys: new Set((values.ownAddresses ?? []).map((a) => addressKey(makeAddress(a.trim())))),
    action,
    rejected,
    rules: buildRules(values.rules),
  };
}

/**
 * True when the address is one of the sender's own (by key: however it is written).
 * @param {Policy} policy
 * @param {{addr: string}} address
 * @returns {boolean}
 */
export function isOwn(policy, address) {
  return policy.ownKeys.has(addressKey(address));
}

/**
 * True when the address is in a trusted domain or one of its subdomains.
 * @param {Policy} policy
 * @param {{addr: string}} address
 * @returns {boolean}
 */
export function trusts(policy, address) {
  const key = addressKey(address);
  let domain = key.slice(key.lastIndexOf("@") + 1); // UTS #46 form, from what was written
  while (domain) {
    if (policy.trustedDomains.has(domain)) {
      return true;
    }
    const dot = domain.indexOf(".");
    domain = dot < 0 ? "" : domain.slice(dot + 1);
  }
  return false;
}

/**
 * The policy as plain JSON values (for storage and the popup).
 * @param {Policy} policy
 * @returns {{threshold: number, trustedDomains: string[], action: Action}}
 */
export function policyValues(policy) {
  return {
    threshold: policy.threshold,
    trustedDomains: [...policy.trustedDomains].sort(),
    action: policy.action,
  };
}
