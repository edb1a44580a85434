/**
 * Recipient rules: mail to this list, these addresses or this domain always goes
 * Bcc, is never held, or has a threshold of its own.
 *
 * Mirrors `bccguard.core.recipient_rules` (its docstring has the semantics): a rule
 * covers an address by key or by domain (subdomains included); an effect stricter
 * than the policy (bcc, a lower threshold) applies when the rule touches the
 * message, a looser one (never-hold, a higher threshold) only when it covers every
 * exposed recipient; bcc wins, then the lowest threshold, never-hold last; a bcc
 * rule converts once at least two recipients other than the sender are shown.
 *
 * In Thunderbird a rule's lists are address-book mailing lists, found by name:
 * `withListMembers` adds their members to the rule before the check.
 * @module recipient_rules
 */

import { addressKey, asciiDomain, makeAddress } from "./address_list.js";
import { isPublicMailDomain } from "./public_domains.js";

export const EFFECTS = /** @type {const} */ (["bcc", "threshold", "never-hold"]);

/**
 * @typedef {"bcc" | "threshold" | "never-hold"} Effect
 * @typedef {{name: string, effect: Effect, threshold: number | null,
 *   addresses: Set<string>, domains: Set<string>, lists: string[]}} Rule
 * @typedef {{name?: unknown, effect?: unknown, threshold?: unknown,
 *   addresses?: unknown, domains?: unknown, lists?: unknown}} RuleValues
 * @typedef {{threshold: number | null, rule: Rule | null, bcc: Rule | null}} Outcome
 * @typedef {{addr: string}} Addressed
 */

/**
 * Text items from a list (anything else gives none).
 * @param {unknown} value
 * @returns {string[]}
 */
function texts(value) {
  return Array.isArray(value) ? value.map((v) => String(v).trim()).filter(Boolean) : [];
}

/**
 * A domain as rules compare it: UTS #46 form, no "@" or final dot.
 * @param {string} domain
 * @returns {string}
 */
export function ruleDomain(domain) {
  return asciiDomain(domain.trim().replace(/^@+/u, "").replace(/\.+$/u, ""));
}

/**
 * One rule from plain values, or null when it cannot work (no name, an unknown
 * effect, no threshold for a threshold rule, nothing it covers, or a looser rule
 * over a public mail domain): a rule that is not understood is left out.
 * @param {RuleValues} values
 * @returns {Rule | null}
 */
export function buildRule(values) {
  const name = typeof values.name === "string" ? values.name.trim() : "";
  const effect = /** @type {Effect} */ (values.effect);
  if (!name || !EFFECTS.includes(effect)) {
    return null;
  }
  const threshold = values.threshold;
  if (
    effect === "threshold" &&
    !(typeof threshold === "number" && Number.isInteger(threshold) && threshold >= 0)
  ) {
    return null;
  }
  const domains = texts(values.domains).map(ruleDomain);
  if (effect !== "bcc" && domains.some(isPublicMailDomain)) {
    return null;
  }
  const rule = {
    name,
    effect,
    threshold: effect === "threshold" ? /** @type {number} */ (threshold) : null,
    addresses: new Set(texts(values.addresses).map((a) => addressKey(makeAddress(a)))),
    domains: new Set(domains),
    lists: texts(values.lists),
  };
  return rule.addresses.size || rule.domains.size || rule.lists.length ? rule : null;
}

/**
 * The rules from plain values, in order; ones that cannot work are left out.
 * @param {unknown} values
 * @returns {Rule[]}
 */
export function buildRules(values) {
  const items = Array.isArray(values) ? values : [];
  return items
    .map((v) => (v && typeof v === "object" ? buildRule(v) : null))
    .filter((r) => r !== null);
}

/**
 * True when the rule covers the address (by key, or by its domain).
 * @param {Rule} rule
 * @param {Addressed} address
 * @returns {boolean}
 */
export function covers(rule, address) {
  const key = addressKey(address);
  if (rule.addresses.has(key)) {
    return true;
  }
  let domain = key.slice(key.lastIndexOf("@") + 1);
  while (domain) {
    if (rule.domains.has(domain)) {
      return true;
    }
    const dot = domain.indexOf(".");
    domain = dot < 0 ? "" : domain.slice(dot + 1);
  }
  return false;
}

/**
 * The most exposed recipients a rule lets through (null: no limit; -1: none).
 * @param {Rule} rule
 * @returns {number | null}
 */
function limit(rule) {
  if (rule.effect === "bcc") return -1;
  if (rule.effect === "threshold") return rule.threshold ?? 0;
  return null;
}

/**
 * @param {Rule} rule
 * @param {Addressed[]} shown
 * @param {Addressed[]} exposed
 * @param {number} threshold
 * @returns {boolean}
 */
function applies(rule, shown, exposed, threshold) {
  const most = limit(rule);
  if (most !== null && most < threshold) {
    if (!shown.some((a) => covers(rule, a))) return false;
    return rule.effect !== "bcc" || shown.length >= 2;
  }
  return exposed.length > 0 && exposed.every((a) => covers(rule, a));
}

/**
 * The rules' outcome for one message.
 * @param {Rule[]} rules in the order the user listed them
 * @param {Addressed[]} shown visible recipients that are not the sender's own
 * @param {Addressed[]} exposed those of them the policy counts
 * @param {number} threshold the policy's threshold
 * @returns {Outcome}
 */
export function weigh(rules, shown, exposed, threshold) {
  const applying = rules.filter((r) => applies(r, shown, exposed, threshold));
  const bcc = applying.find((r) => r.effect === "bcc") ?? null;
  /** @type {Rule | null} */
  let best = null;
  /** @type {number | null} */
  let bestLimit = null;
  for (const rule of applying) {
    if (rule.effect === "bcc") continue;
    const most = limit(rule);
    if (best === null || (most !== null && (bestLimit === null || most < bestLimit))) {
      best = rule;
      bestLimit = most;
    }
  }
  return best === null
    ? { threshold, rule: null, bcc }
    : { threshold: bestLimit, rule: best, bcc };
}

/**
 * Why the message goes Bcc (null when no bcc rule applies).
 * @param {Outcome} outcome
 * @returns {string | null}
 */
export function bccReason(outcome) {
  return outcome.bcc ? `rule '${outcome.bcc.name}' always sends Bcc` : null;
}

/**
 * Why the threshold is what it is (null: the policy's).
 * @param {Outcome} outcome
 * @returns {string | null}
 */
export function thresholdReason(outcome) {
  const rule = outcome.rule;
  if (!rule) return null;
  return rule.effect === "never-hold"
    ? `rule '${rule.name}' never holds mail to its members`
    : `rule '${rule.name}' sets the threshold to ${rule.threshold}`;
}

/**
 * The rules with the members of the address-book lists they name added, so the
 * check sees who a list stands for. A list that is not in the address books adds
 * nobody; one that cannot be read adds nobody either (a looser rule then covers
 * less, a stricter one touches only the addresses it names).
 * @param {Rule[]} rules
 * @param {{findList(pill: {name: string, inner: string}): Promise<{id: string} | undefined>,
 *   expandList(id: string, problems: any[], seen: Set<string>): Promise<Addressed[]>}} reader
 * @returns {Promise<Rule[]>}
 */
export async function withListMembers(rules, reader) {
  const out = [];
  for (const rule of rules) {
    const addresses = new Set(rule.addresses);
    for (const name of rule.lists) {
      try {
        const list = await reader.findList({ name, inner: name });
        if (list) {
          for (const member of await reader.expandList(list.id, [], new Set())) {
            addresses.add(addressKey(member));
          }
        }
      } catch (error) {
        console.error("BccGuard: a rule's list could not be read", name, error);
      }
    }
    out.push({ ...rule, addresses });
  }
  return out;
}

/**
 * The rules as plain JSON values (for storage), like the desktop app's answer.
 * @param {Rule[]} rules
 * @returns {Record<string, unknown>[]}
 */
export function ruleValues(rules) {
  return rules.map((r) => ({
    name: r.name,
    effect: r.effect,
    ...(r.threshold === null ? {} : { threshold: r.threshold }),
    addresses: [...r.addresses].sort(),
    domains: [...r.domains].sort(),
    lists: [...r.lists],
  }));
}

/**
 * The rules as the options page writes them, one a line:
 * `Name: effect: target, target, ...`, where the effect is `bcc`, `never-hold` or
 * `threshold N`, and a target is an address, `@domain`, or else the name of an
 * address-book list.
 * @param {Rule[]} rules
 * @returns {string}
 */
export function rulesText(rules) {
  return rules
    .map((r) => {
      const effect = r.effect === "threshold" ? `threshold ${r.threshold}` : r.effect;
      const targets = [...r.lists, ...r.addresses, ...[...r.domains].map((d) => `@${d}`)];
      return `${r.name}: ${effect}: ${targets.join(", ")}`;
    })
    .join("\n");
}

/**
 * Rules from the options page's text (see `rulesText`); `bad` lists the lines
 * (1-based) that are not a rule that can work, so nothing is saved half-read.
 * @param {string} text
 * @returns {{rules: RuleValues[], bad: number[]}}
 */
export function parseRulesText(text) {
  /** @type {RuleValues[]} */
  const rules = [];
  const bad = [];
  const lines = text.split(/\r?\n/u);
  for (const [index, line] of lines.entries()) {
    if (!line.trim()) continue;
    const match = /^([^:]+):\s*(bcc|never-hold|threshold\s+(\d+))\s*:(.*)$/iu.exec(line.trim());
    if (!match) {
      bad.push(index + 1);
      continue;
    }
    const targets = match[4].split(/[,;]/u).map((t) => t.trim()).filter(Boolean);
    const isAddress = (/** @type {string} */ t) => /^[^@\s]+@[^@\s]+$/u.test(t);
    const values = {
      name: match[1].trim(),
      effect: match[2].toLowerCase().startsWith("threshold") ? "threshold" : match[2].toLowerCase(),
      ...(match[3] === undefined ? {} : { threshold: Number(match[3]) }),
      addresses: targets.filter(isAddress),
      domains: targets.filter((t) => t.startsWith("@")),
      lists: targets.filter((t) => !t.startsWith("@") && !isAddress(t)),
    };
    if (buildRule(values)) {
      rules.push(values);
    } else {
      bad.push(index + 1);
    }
  }
  return { rules, bad };
}
