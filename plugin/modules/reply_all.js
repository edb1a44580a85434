/**
 * The reply-all guard: a reply that goes to everyone on a message with many visible
 * recipients gets its own warning ("you are about to write to all N people").
 * @module reply_all
 */

import { convertDetails, senderAddress } from "./conversion.js";
import { checkCompose } from "./gate.js";
import { readHeaders, check } from "./verdict.js";
import { effectivePolicy } from "./settings.js";

/**
 * @typedef {import("./decisions.js").DecisionBroker} DecisionBroker
 * @typedef {import("./native.js").NativeHost} NativeHost
 */

export class ReplyAllGuard {
  /** @param {{browser: any, host: NativeHost, broker: DecisionBroker}} parts */
  constructor({ browser, host, broker }) {
    this.browser = browser;
    this.host = host;
    this.broker = broker;
  }

  /**
   * True when the original message showed more strangers than the policy allows.
   * @param {number | undefined} messageId
   * @returns {Promise<boolean>}
   */
  async originalWasWide(messageId) {
    if (messageId === undefined) {
      return false;
    }
    const original = await this.browser.messages.get(messageId);
    const { policy } = await effectivePolicy(this.browser, this.host);
    const recipients = readHeaders({
      to: original.recipients ?? [],
      cc: original.ccList ?? [],
      from: original.author ?? "",
    });
    return check(recipients, policy).verdict === "hold";
  }

  /**
   * tabs.onCreated: warn when a new compose tab is a reply to all of a wide message.
   * @param {{id: number, type?: string}} tab
   * @returns {Promise<"warned" | "ignored">}
   */
  async onTabCreated(tab) {
    if (tab.type !== "messageCompose") {
      return "ignored";
    }
    try {
      const details = await this.browser.compose.getComposeDetails(tab.id);
      if (details.type !== "reply" || !(await this.originalWasWide(details.relatedMessageId))) {
        return "ignored";
      }
      const { verdict } = await checkCompose(this.browser, this.host, details);
      if (verdict.visible_count < 2 || verdict.verdict === "pass") {
        return "ignored"; // a reply to the sender alone, or few enough people
      }
      const choice = await this.broker.ask({
        kind: "reply-all",
        verdict,
        count: verdict.visible_count,
        domains: verdict.domains,
      });
      if (choice === "convert") {
        const sender = await senderAddress(this.browser, details);
        await this.browser.compose.setComposeDetails(tab.id, convertDetails(details, sender));
      }
      return "warned";
    } catch (error) {
      console.error("BccGuard: reply-all check failed", error);
      return "ignored";
    }
  }
}
