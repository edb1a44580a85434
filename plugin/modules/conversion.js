/**
 * Conversion to Bcc in the compose window: To becomes the sender, Cc disappears,
 * everyone moves to Bcc (mailing-list pills stay pills; Thunderbird expands them).
 * @module conversion
 */

import { addressKey, parseAddressList } from "./address_list.js";

/**
 * @typedef {import("./recipients.js").ComposeDetails} ComposeDetails
 * @typedef {import("./recipients.js").ComposeRecipient} ComposeRecipient
 */

/**
 * @param {ComposeRecipient | ComposeRecipient[] | undefined} field
 * @returns {ComposeRecipient[]}
 */
function items(field) {
  return field == null ? [] : Array.isArray(field) ? field : [field];
}

/**
 * A stable identity for one recipient entry.
 * @param {ComposeRecipient} item
 * @returns {string}
 */
function entryKey(item) {
  if (typeof item !== "string") {
    return `${item.type}:${item.nodeId ?? item.id}`;
  }
  const parsed = parseAddressList(item).addresses;
  return parsed.length === 1 && parsed[0].addr.includes("@") ? addressKey(parsed[0]) : item;
}

/**
 * The sender's address: the From of the compose window, else its identity's.
 * @param {any} browser
 * @param {ComposeDetails} details
 * @returns {Promise<string>}
 */
export async function senderAddress(browser, details) {
  const from = details.from ? parseAddressList(details.from).addresses[0] : undefined;
  if (from) {
    return from.addr;
  }
  try {
    const identity = await browser.identities.get(details.identityId);
    return identity?.email ?? "";
  } catch {
    return "";
  }
}

/**
 * The recipients rewritten for Bcc: to = the sender, cc = [], bcc = everyone.
 * @param {ComposeDetails} details
 * @param {string} sender
 * @returns {{to: ComposeRecipient[], cc: ComposeRecipient[], bcc: ComposeRecipient[]}}
 */
export function convertDetails(details, sender) {
  const senderKey = sender ? entryKey(sender) : "";
  const seen = new Set([senderKey]);
  /** @type {ComposeRecipient[]} */
  const bcc = [];
  for (const item of [...items(details.to), ...items(details.cc), ...items(details.bcc)]) {
    const key = entryKey(item);
    if (!seen.has(key)) {
      seen.add(key);
      bcc.push(item);
    }
  }
  return { to: sender ? [sender] : [], cc: [], bcc };
}
