/**
 * The decision: pass or hold a message, with the reasons a person can read.
 *
 * Mirrors `bccguard.core.message` (visible / hidden / senders) and
 * `bccguard.core.verdict` (rules and the JSON of `bccguard check --json`). Visible
 * are To, Cc, Resent-To and Resent-Cc (mail programs show the Resent- fields to
 * readers); hidden are Bcc and Resent-Bcc.
 * @module verdict
 */

import { addressKey, domainOf, parseAddressList } from "./address_list.js";
import { isOwn, trusts } from "./policy.js";
import { bccReason, thresholdReason, weigh } from "./recipient_rules.js";

/**
 * @typedef {import("./address_list.js").Address} Address
 * @typedef {import("./address_list.js").Problem} Problem
 * @typedef {import("./policy.js").Policy} Policy
 * @typedef {{visible: Address[], hidden: Address[], senders: Address[],
 *   problems: Problem[]}} Recipients
 * @typedef {{verdict: "pass" | "hold", visible_count: number, hidden_count: number,
 *   exposed_count: number, threshold: number, visible: string[], hidden: string[],
 *   exposed: string[], domains: Record<string, number>, rules: string[],
 *   reasons: string[], action: import("./policy.js").Action,
 *   recipient_rule: {name: string, effect: string} | null}} Verdict
 * @typedef {string | string[] | undefined | null} HeaderValue
 * @typedef {{to?: HeaderValue, cc?: HeaderValue, bcc?: HeaderValue, from?: HeaderValue,
 *   sender?: HeaderValue, "resent-to"?: HeaderValue, "resent-cc"?: HeaderValue,
 *   "resent-bcc"?: HeaderValue, "resent-from"?: HeaderValue,
 *   "resent-sender"?: HeaderValue}} Headers
 */

/**
 * First occurrence of each address, by key.
 * @param {Address[]} addresses
 * @returns {Address[]}
 */
export function distinct(addresses) {
  const seen = new Map();
  for (const address of addresses) {
    const key = addressKey(address);
    if (!seen.has(key)) {
      seen.set(key, address);
    }
  }
  return [...seen.values()];
}

/**
 * One raw header value as the desktop app's header reader would see it.
 * @param {string} name
 * @param {string} raw
 * @param {Problem[]} problems
 * @returns {string}
 */
function fieldText(name, raw, problems) {
  let value = raw;
  // RFC 5322 §2.2.3: unfold; a line break without white space after it is a line
  // that is not folded, read as part of this field.
  if (/(?:\r\n|\n|\r)(?![ \t])/u.test(value.replace(/(?:\r\n|\n|\r)$/u, ""))) {
    problems.push({ text: `${name} continues on a line that is not folded`, doubtful: true });
  }
  value = value.replace(/(?:\r\n|\n|\r)(?=[ \t])/gu, "").replace(/\r\n|\n|\r/gu, " ").trim();
  if (value.includes("\0")) {
    problems.push({ text: `${name} contains NUL bytes`, doubtful: true });
    value = value.replaceAll("\0", " ");
  }
  return value;
}

/**
 * The addresses of every copy of a header.
 * @param {string} name
 * @param {HeaderValue} value
 * @param {Problem[]} problems
 * @returns {Address[]}
 */
function readField(name, value, problems) {
  const copies = value == null ? [] : Array.isArray(value) ? value : [value];
  const found = [];
  for (const copy of copies) {
    const result = parseAddressList(fieldText(name, String(copy), problems));
    for (const problem of result.problems) {
      problems.push({ text: `${name}: ${problem.text}`, doubtful: problem.doubtful });
    }
    found.push(...result.addresses);
  }
  return found;
}

/**
 * The recipients of a message from its raw header values (keys in lower case, as
 * Thunderbird's `messages.getFull()` gives them).
 * @param {Headers} headers
 * @returns {Recipients}
 */
export function readHeaders(headers) {
  /** @type {Problem[]} */
  const problems = [];
  const visible = distinct([
    ...readField("To", headers.to, problems),
    ...readField("Cc", headers.cc, problems),
    ...readField("Resent-To", headers["resent-to"], problems),
    ...readField("Resent-Cc", headers["resent-cc"], problems),
  ]);
  // Whoever resent the message (RFC 5322 §3.6.6) sends it as much as its author.
  const senders = distinct([
    ...readField("From", headers.from, []),
    ...readField("Sender", headers.sender, []),
    ...readField("Resent-From", headers["resent-from"], []),
    ...readField("Resent-Sender", headers["resent-sender"], []),
  ]);
  const visibleKeys = new Set(visible.map(addressKey));
  const hidden = distinct([
    ...readField("Bcc", headers.bcc, problems),
    ...readField("Resent-Bcc", headers["resent-bcc"], problems),
  ]).filter((a) => !visibleKeys.has(addressKey(a)));
  return { visible, hidden, senders, problems };
}

/**
 * Exposed recipients per domain, most first.
 * @param {Address[]} exposed
 * @returns {Record<string, number>}
 */
function domainCounts(exposed) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const address of exposed) {
    const domain = domainOf(address);
    counts.set(domain, (counts.get(domain) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}

/**
 * Decide whether a message may leave under a policy.
 *
 * The message's own From/Sender addresses count as the sender's, never exposed.
 * The policy's recipient rules set the threshold in force and may convert without
 * asking; `action` is what to do when the verdict holds.
 * @param {Recipients} message
 * @param {Policy} policy
 * @returns {Verdict}
 */
export function check(message, policy) {
  const own = new Set([...policy.ownKeys, ...message.senders.map(addressKey)]);
  const mine = (/** @type {Address} */ a) => own.has(addressKey(a)) || isOwn(policy, a);
  const exposed = message.visible.filter((a) => !mine(a) && !trusts(policy, a));
  const trustedCount = message.visible.filter((a) => !mine(a) && trusts(policy, a)).length;
  const ownCount = message.visible.filter(mine).length;
  const domains = domainCounts(exposed);
  const shown = message.visible.filter((a) => !mine(a));
  const outcome = weigh(policy.rules ?? [], shown, exposed, policy.threshold);
  // No limit (a never-hold rule): as many as there are, so the count never holds.
  const threshold = outcome.threshold ?? exposed.length;
  const rules = [];
  const reasons = [];
  const bcc = bccReason(outcome);
  if (bcc) {
    rules.push("always-bcc");
    reasons.push(bcc);
  }
  if (exposed.length > threshold) {
    const n = Object.keys(domains).length;
    rules.push("exposed-recipients");
    reasons.push(
      `${exposed.length} recipients from ${n} domain${n !== 1 ? "s" : ""} would see ` +
        `each other's address (more than ${threshold})`,
    );
  }
  // Fail closed: a problem may have hidden recipients, even if none were read.
  if (message.problems.some((p) => p.doubtful)) {
    rules.push("unreadable-recipients");
    reasons.push(
      "the recipient headers are malformed, so BccGuard cannot be sure who would see whom",
    );
  }
  const why = thresholdReason(outcome);
  if (why) reasons.push(why);
  let summary =
    `${message.visible.length} visible, ${message.hidden.length} hidden, ` +
    `${exposed.length} exposed (threshold ${threshold})`;
  if (ownCount) summary += `; ${ownCount} of the visible are the sender's own`;
  if (trustedCount) summary += `; ${trustedCount} in trusted domains`;
  reasons.push(summary, ...message.problems.map((p) => p.text));
  return {
    verdict: rules.length ? "hold" : "pass",
    visible_count: message.visible.length,
    hidden_count: message.hidden.length,
    exposed_count: exposed.length,
    threshold,
    visible: message.visible.map((a) => a.addr),
    hidden: message.hidden.map((a) => a.addr),
    exposed: exposed.map((a) => a.addr),
    domains,
    rules,
    reasons,
    // Doubt is handled as the policy says: a bcc rule converts what is read for sure.
    action: outcome.bcc && !message.problems.some((p) => p.doubtful) ? "convert" : policy.action,
    recipient_rule: ruleJson(outcome.bcc ?? outcome.rule),
  };
}

/**
 * The rule that decided, as the verdict's JSON names it.
 * @param {import("./recipient_rules.js").Rule | null} rule
 * @returns {{name: string, effect: string} | null}
 */
function ruleJson(rule) {
  return rule ? { name: rule.name, effect: rule.effect } : null;
}
