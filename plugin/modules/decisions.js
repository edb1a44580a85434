/**
 * Asking the user in a small popup window, and always getting an answer.
 *
 * A question resolves on the first of: a button in the popup, the popup being closed
 * (`"back"`), the popup failing to open (`"back"`), or the timeout (`"back"`), so
 * the compose window is never left waiting.
 * @module decisions
 */

import { waitInPopup } from "./popup_choice.js";

export const POPUP_PAGE = "popup/decision.html";
export const DECISION_TIMEOUT_MS = 5 * 60 * 1000;
export const CHOICES = /** @type {const} */ (["convert", "one-by-one", "send", "back"]);

/**
 * @typedef {"convert" | "one-by-one" | "send" | "back"} Choice
 * @typedef {{kind: "send" | "reply-all" | "blocked" | "error", verdict?: object,
 *   count?: number, domains?: Record<string, number>, error?: string}} Question
 * @typedef {{question: Question} & import("./popup_choice.js").PopupEntry<Choice>} Pending
 */

export class DecisionBroker {
  /**
   * @param {any} browser the WebExtension API object
   * @param {{timeoutMs?: number, page?: string}} [options]
   */
  constructor(browser, { timeoutMs = DECISION_TIMEOUT_MS, page = POPUP_PAGE } = {}) {
    this.browser = browser;
    this.timeoutMs = timeoutMs;
    this.page = page;
    /** @type {Map<string, Pending>} */
    this.pending = new Map();
    this.counter = 0;
  }

  /**
   * Show a question and wait for the user's choice.
   * @param {Question} question
   * @returns {Promise<Choice>}
   */
  ask(question) {
    this.counter += 1;
    const token = `${Date.now().toString(36)}-${this.counter}`;
    return waitInPopup({
      browser: this.browser,
      pending: this.pending,
      token,
      fields: { question },
      timeoutMs: this.timeoutMs,
      timeoutChoice: /** @type {Choice} */ ("back"),
      open: (t) => this.open(t, question.kind === "blocked" ? 200 : 320),
      openFailed: (_error, entry) => entry.settle("back"),
    });
  }

  /**
   * Show a message that needs no answer (the choice is ignored).
   * @param {Question} question
   */
  tell(question) {
    this.ask(question).catch(() => {});
  }

  /**
   * @param {string} token
   * @param {number} height
   * @returns {Promise<number>} the popup window's id
   */
  async open(token, height) {
    const url = this.browser.runtime.getURL(`${this.page}?token=${encodeURIComponent(token)}`);
    const window = await this.browser.windows.create({ url, type: "popup", width: 520, height });
    return window.id;
  }

  /**
   * runtime.onMessage: the popup asks for its question or reports a choice.
   * @param {any} message
   * @returns {Promise<unknown> | undefined}
   */
  handleMessage(message) {
    const entry = message && this.pending.get(message.token);
    if (!entry) {
      return undefined;
    }
    if (message.type === "bccguard-question") {
      return Promise.resolve(entry.question);
    }
    if (message.type === "bccguard-decision") {
      entry.settle(CHOICES.includes(message.choice) ? message.choice : "back");
      return Promise.resolve(true);
    }
    return undefined;
  }

  /**
   * windows.onRemoved: a closed popup means "back to editing".
   * @param {number} windowId
   */
  handleWindowRemoved(windowId) {
    for (const entry of [...this.pending.values()]) {
      if (entry.windowId === windowId) {
        entry.windowId = null;
        entry.settle("back");
      }
    }
  }
}
