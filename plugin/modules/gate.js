/**
 * The pre-send gate: `compose.onBeforeSend` counts, decides and, when the policy
 * holds the message, converts, blocks or asks, and always answers.
 * @module gate
 */

import { convertDetails, senderAddress } from "./conversion.js";
import { INDIVIDUALLY, makeProof, withProofHeader } from "./decision_proof.js";
import { withTimeout } from "./native.js";
import { withListMembers } from "./recipient_rules.js";
import { RecipientReader } from "./recipients.js";
import { effectivePolicy } from "./settings.js";
import { check } from "./verdict.js";

export const CHECK_TIMEOUT_MS = 20000;

/**
 * @typedef {import("./recipients.js").ComposeDetails} ComposeDetails
 * @typedef {import("./verdict.js").Verdict} Verdict
 * @typedef {import("./decisions.js").DecisionBroker} DecisionBroker
 * @typedef {import("./native.js").NativeHost} NativeHost
 * @typedef {{cancel?: boolean, details?: object}} SendAnswer
 * @typedef {{verdict: Verdict, action: string, details: ComposeDetails,
 *   decisionKey: string | null}} Checked
 */

/**
 * Check a compose window's recipients against the policy in force.
 * @param {any} browser
 * @param {NativeHost} host
 * @param {ComposeDetails} details
 * @returns {Promise<Checked>}
 */
export async function checkCompose(browser, host, details) {
  const sender = await senderAddress(browser, details);
  const { policy, decisionKey } = await effectivePolicy(browser, host, sender);
  const reader = new RecipientReader(browser);
  const recipients = await reader.read(details);
  // A rule's lists are address-book lists too: their members, by the list's name.
  const rules = await withListMembers(policy.rules, reader);
  const verdict = check(recipients, { ...policy, rules });
  return { verdict, action: verdict.action, details, decisionKey };
}

export class SendGate {
  /**
   * @param {{browser: any, host: NativeHost, broker: DecisionBroker,
   *   checkTimeoutMs?: number, now?: () => number}} parts
   */
  constructor({ browser, host, broker, checkTimeoutMs = CHECK_TIMEOUT_MS, now = Date.now }) {
    this.browser = browser;
    this.host = host;
    this.broker = broker;
    this.checkTimeoutMs = checkTimeoutMs;
    this.now = now;
  }

  /**
   * compose.onBeforeSend: the answer Thunderbird waits for.
   * @param {{id: number}} tab
   * @param {ComposeDetails} details
   * @returns {Promise<SendAnswer>}
   */
  async onBeforeSend(tab, details) {
    /** @type {Checked | null} */
    let checked;
    try {
      const timedOut = Symbol("timeout");
      const result = await withTimeout(
        checkCompose(this.browser, this.host, details),
        this.checkTimeoutMs,
        timedOut,
      );
      if (result === timedOut) {
        throw new Error("the check took too long");
      }
      checked = /** @type {Checked} */ (result);
    } catch (error) {
      console.error("BccGuard: check failed", error);
      const choice = await this.broker.ask({ kind: "error", error: String(error) });
      return choice === "send" ? {} : { cancel: true };
    }
    const { verdict, action, decisionKey } = checked;
    if (verdict.verdict === "pass") {
      return {};
    }
    return this.held(details, verdict, action, decisionKey);
  }

  /**
   * What to do with a held message.
   * @param {ComposeDetails} details
   * @param {Verdict} verdict
   * @param {string} action
   * @param {string | null} [decisionKey] the desktop app's key for decision proofs
   * @returns {Promise<SendAnswer>}
   */
  async held(details, verdict, action, decisionKey = null) {
    const summary = {
      kind: "send",
      verdict,
      count: verdict.exposed_count,
      domains: verdict.domains,
      // Send one by one needs the desktop app (its key proves the choice to it).
      oneByOne: Boolean(decisionKey),
    };
    let choice;
    if (action === "convert") {
      choice = "convert";
    } else if (action === "block") {
      this.broker.tell({ ...summary, kind: "blocked" });
      choice = "back";
    } else {
      choice = await this.broker.ask(/** @type {any} */ (summary));
    }
    await this.record(verdict, action, choice);
    if (choice === "send") {
      return this.sentAsIs(details, verdict, decisionKey);
    }
    if (choice === "convert") {
      const sender = await senderAddress(this.browser, details);
      return { cancel: false, details: convertDetails(details, sender) };
    }
    if (choice === "one-by-one" && decisionKey) {
      return this.oneByOne(details, decisionKey);
    }
    return { cancel: true };
  }

  /**
   * Send one by one: the message leaves converted to Bcc, with a proof of the
   * choice for the desktop app's proxy, which then sends one copy per recipient.
   * Wherever else it goes it is a Bcc message: nobody sees anybody else. Without a
   * proof (the key fails) it is not sent, and the compose window stays open.
   * @param {ComposeDetails} details
   * @param {string} decisionKey
   * @returns {Promise<SendAnswer>}
   */
  async oneByOne(details, decisionKey) {
    const sender = await senderAddress(this.browser, details);
    const converted = convertDetails(details, sender);
    try {
      const value = await makeProof(decisionKey, sender ? [sender] : [], this.now(), undefined, [
        INDIVIDUALLY,
      ]);
      const existing = /** @type {any} */ (details).customHeaders;
      return {
        cancel: false,
        details: { ...converted, customHeaders: withProofHeader(existing, value) },
      };
    } catch (error) {
      console.error("BccGuard: no proof for sending one by one", error);
      return { cancel: true };
    }
  }

  /**
   * The answer for a held message the user lets go as it is: with the desktop app's
   * key, a proof of that choice for its proxy (which then does not ask again).
   * @param {ComposeDetails} details
   * @param {Verdict} verdict
   * @param {string | null} decisionKey
   * @returns {Promise<SendAnswer>}
   */
  async sentAsIs(details, verdict, decisionKey) {
    if (!decisionKey) {
      return {};
    }
    try {
      const visible = verdict.visible.map((addr) => addr.toLowerCase());
      const value = await makeProof(decisionKey, visible, this.now());
      const existing = /** @type {any} */ (details).customHeaders;
      return { cancel: false, details: { customHeaders: withProofHeader(existing, value) } };
    } catch (error) {
      // Without the proof the proxy asks once more: annoying, never unsafe.
      console.error("BccGuard: no decision proof", error);
      return {};
    }
  }

  /**
   * Log the hold with the desktop app before the message goes (bounded by the
   * host's timeout; without the app nothing is logged).
   * @param {Verdict} verdict
   * @param {string} action
   * @param {string} choice
   * @returns {Promise<void>}
   */
  async record(verdict, action, choice) {
    const done = {
      convert: "converted",
      "one-by-one": "sent-one-by-one",
      send: "sent-anyway",
      back: action === "block" ? "blocked" : "back-to-editing",
    };
    await this.host
      .recordIncident({
        source: "thunderbird",
        kind: "hold",
        outcome: done[/** @type {"convert" | "one-by-one" | "send" | "back"} */ (choice)],
        visible_count: verdict.visible_count,
        exposed_count: verdict.exposed_count,
        domains: verdict.domains,
        reasons: verdict.reasons,
      })
      .catch(() => null);
  }
}
