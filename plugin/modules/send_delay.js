/**
 * Undo send in the compose window: after the gate lets a message go, it waits a
 * few seconds (the plugin's option, off by default, or the enterprise policy's
 * `sendDelay`, which wins) in a small countdown popup
 * with Undo and Send now. Undo cancels the send: the message stays in the compose
 * window. When it goes, a "delayed" decision proof (with the desktop app's key)
 * tells the desktop app's proxy that the user has waited already, so the proxy
 * does not make it wait again; the proxy still checks its recipients.
 * @module send_delay
 */

import { DECISION_HEADER, DELAYED, makeProof, namedDecisions, withProofHeader } from "./decision_proof.js";
import { checkCompose } from "./gate.js";
import { waitInPopup } from "./popup_choice.js";
import { readManaged, readOptions } from "./settings.js";

export const DELAYS = [0, 5, 10, 30, 60];
export const COUNTDOWN_PAGE = "popup/countdown.html";

/**
 * @typedef {import("./recipients.js").ComposeDetails} ComposeDetails
 * @typedef {import("./native.js").NativeHost} NativeHost
 * @typedef {{cancel?: boolean, details?: any}} SendAnswer
 * @typedef {"send" | "undo"} Choice
 * @typedef {{count: number, subject: string, untilMs: number}} Countdown
 * @typedef {{countdown: Countdown} & import("./popup_choice.js").PopupEntry<Choice>} Pending
 */

/**
 * The delay the options ask for, in seconds (0: none; anything else is refused).
 * @param {{sendDelay?: unknown} | undefined} options
 * @returns {number}
 */
export function delayOf(options) {
  const seconds = Number(options?.sendDelay ?? 0);
  return DELAYS.includes(seconds) ? seconds : 0;
}

/**
 * The delay in force: the enterprise policy's (managed storage) over the options.
 * @param {any} browser
 * @returns {Promise<number>}
 */
export async function delayInForce(browser) {
  const [managed, options] = await Promise.all([readManaged(browser), readOptions(browser)]);
  const chosen = /** @type {any} */ (managed).sendDelay !== undefined ? managed : options;
  return delayOf(/** @type {any} */ (chosen));
}

/**
 * How many addresses the message goes to, as the compose window lists them.
 * @param {ComposeDetails} details
 * @returns {number}
 */
function recipientCount(details) {
  const fields = [details.to, details.cc, details.bcc];
  return fields.reduce((n, field) => n + (Array.isArray(field) ? field.length : field ? 1 : 0), 0);
}

export class SendDelay {
  /**
   * @param {{browser: any, host: NativeHost, now?: () => number, page?: string,
   *   secondMs?: number}} parts `secondMs`: how long a second is (tests shorten it)
   */
  constructor({ browser, host, now = Date.now, page = COUNTDOWN_PAGE, secondMs = 1000 }) {
    this.browser = browser;
    this.host = host;
    this.now = now;
    this.page = page;
    this.secondMs = secondMs;
    /** @type {Map<string, Pending>} */
    this.pending = new Map();
    this.counter = 0;
  }

  /**
   * After the gate's answer: wait for Undo when the options ask for a delay.
   * @param {{id: number}} tab
   * @param {ComposeDetails} details what the compose window holds
   * @param {SendAnswer} answer the gate's answer
   * @returns {Promise<SendAnswer>}
   */
  async apply(tab, details, answer) {
    if (answer?.cancel) {
      return answer;
    }
    const seconds = await delayInForce(this.browser);
    if (!seconds) {
      return answer;
    }
    const final = { ...details, ...(answer?.details ?? {}) };
    const choice = await this.countdown(final, seconds);
    if (choice === "undo") {
      return { cancel: true };
    }
    return this.proven(final, answer ?? {});
  }

  /**
   * Show the countdown; "send" when the time is up or on Send now, "undo" on Undo.
   * Closing the popup (or a popup that cannot open) does not stop the message.
   * @param {ComposeDetails} details
   * @param {number} seconds
   * @returns {Promise<Choice>}
   */
  countdown(details, seconds) {
    this.counter += 1;
    const token = `${this.now().toString(36)}-${this.counter}`;
    const countdown = {
      count: recipientCount(details),
      subject: String(/** @type {any} */ (details).subject ?? ""),
      untilMs: this.now() + seconds * this.secondMs,
    };
    return waitInPopup({
      browser: this.browser,
      pending: this.pending,
      token,
      fields: { countdown },
      timeoutMs: seconds * this.secondMs,
      timeoutChoice: /** @type {Choice} */ ("send"),
      open: (t) => this.open(t),
      openFailed: (error) => console.error("BccGuard: no countdown window", error),
    });
  }

  /**
   * @param {string} token
   * @returns {Promise<number>} the popup window's id
   */
  async open(token) {
    const url = this.browser.runtime.getURL(`${this.page}?token=${encodeURIComponent(token)}`);
    const window = await this.browser.windows.create({ url, type: "popup", width: 440, height: 170 });
    return window.id;
  }

  /**
   * runtime.onMessage: the popup asks for its countdown or reports a choice.
   * @param {any} message
   * @returns {Promise<unknown> | undefined}
   */
  handleMessage(message) {
    const entry = message && this.pending.get(message.token);
    if (!entry) {
      return undefined;
    }
    if (message.type === "bccguard-countdown") {
      return Promise.resolve(entry.countdown);
    }
    if (message.type === "bccguard-countdown-choice") {
      entry.settle(message.choice === "undo" ? "undo" : "send");
      return Promise.resolve(true);
    }
    return undefined;
  }

  /**
   * windows.onRemoved: a closed countdown only hides; the message still goes.
   * @param {number} windowId
   */
  handleWindowRemoved(windowId) {
    for (const entry of this.pending.values()) {
      if (entry.windowId === windowId) {
        entry.windowId = null;
      }
    }
  }

  /**
   * The answer with a "delayed" proof for these recipients (and the gate's "as is"
   * when it just made one), so the proxy does not wait again. Without the desktop
   * app's key the answer stays as it is: the proxy then waits once more.
   * @param {ComposeDetails} details the message as it will go
   * @param {SendAnswer} answer
   * @returns {Promise<SendAnswer>}
   */
  async proven(details, answer) {
    try {
      const { verdict, decisionKey } = await checkCompose(this.browser, this.host, details);
      if (!decisionKey) {
        return answer;
      }
      const fresh = /** @type {any[]} */ (answer.details?.customHeaders ?? []);
      const gates = fresh.find((h) => String(h?.name).toLowerCase() === DECISION_HEADER.toLowerCase());
      const decisions = [...namedDecisions(gates?.value), DELAYED];
      const visible = verdict.visible.map((addr) => addr.toLowerCase());
      const value = await makeProof(decisionKey, visible, this.now(), globalThis.crypto.subtle, decisions);
      const existing = answer.details?.customHeaders ?? /** @type {any} */ (details).customHeaders;
      return {
        ...answer,
        cancel: false,
        details: { ...(answer.details ?? {}), customHeaders: withProofHeader(existing, value) },
      };
    } catch (error) {
      console.error("BccGuard: no delay proof", error);
      return answer;
    }
  }
}
