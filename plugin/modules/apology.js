/**
 * "Write an apology" on a sent message: the desktop app's guided composer when it is
 * installed, else a compose window with a plain built-in template.
 * @module apology
 */

import { readHeaders } from "./verdict.js";

/** @typedef {import("./native.js").NativeHost} NativeHost */

/**
 * The message shown in a tab (MV3 returns a list, MV2 one message).
 * @param {any} browser
 * @param {number} tabId
 * @returns {Promise<any | null>}
 */
async function displayedMessage(browser, tabId) {
  const display = browser.messageDisplay;
  if (display.getDisplayedMessages) {
    const shown = await display.getDisplayedMessages(tabId);
    const list = Array.isArray(shown) ? shown : (shown?.messages ?? []);
    return list[0] ?? null;
  }
  return display.getDisplayedMessage(tabId);
}

/**
 * A localised string, with a fallback for tests without locales.
 * @param {any} browser
 * @param {string} name
 * @param {string[]} subs
 * @returns {string}
 */
function text(browser, name, subs) {
  return browser.i18n?.getMessage(name, subs) || subs.join(" ");
}

export class ApologyAction {
  /** @param {{browser: any, host: NativeHost}} parts */
  constructor({ browser, host }) {
    this.browser = browser;
    this.host = host;
  }

  /**
   * The action's click: returns which composer opened.
   * @param {{id: number}} tab
   * @returns {Promise<"desktop" | "template" | "none">}
   */
  async onClicked(tab) {
    const message = await displayedMessage(this.browser, tab.id);
    if (!message) {
      return "none";
    }
    const { visible, senders } = readHeaders({
      to: message.recipients ?? [],
      cc: message.ccList ?? [],
      from: message.author ?? "",
    });
    // The desktop composer writes to the people exposed, from the sender.
    const incident = await this.host.recordIncident({
      source: "thunderbird",
      kind: "after-the-fact",
      message_id: message.headerMessageId ?? "",
      subject: message.subject ?? "",
      sender: senders[0]?.addr ?? "",
      exposed: visible.map((a) => a.addr),
      visible_count: visible.length,
      domains: [...new Set(visible.map((a) => a.addr.slice(a.addr.lastIndexOf("@") + 1)))],
    });
    if (incident && (await this.host.openApology(incident))) {
      return "desktop";
    }
    await this.browser.compose.beginNew({
      to: message.author ? [message.author] : [],
      bcc: visible.map((a) => a.addr),
      subject: text(this.browser, "apologySubject", [message.subject ?? ""]),
      plainTextBody: text(this.browser, "apologyBody", [String(visible.length)]),
      isPlainText: true,
    });
    return "template";
  }
}
