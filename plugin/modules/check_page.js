/**
 * The compose toolbar button's page: the manual check of the compose window's
 * recipients, and a button that converts them to Bcc in place.
 * The page script only wires this to the real `browser` and `document`.
 * @module check_page
 */

import { convertDetails, senderAddress } from "./conversion.js";
import { checkCompose } from "./gate.js";
import { domainSummary, localisePage } from "./page_text.js";

/**
 * @typedef {import("./native.js").NativeHost} NativeHost
 * @typedef {import("./verdict.js").Verdict} Verdict
 * @typedef {import("./recipients.js").ComposeDetails} ComposeDetails
 */

export class CheckPage {
  /**
   * @param {{browser: any, document: any, host: NativeHost, close: () => void}} parts
   */
  constructor({ browser, document, host, close }) {
    this.browser = browser;
    this.document = document;
    this.host = host;
    this.close = close;
    /** @type {number | null} */
    this.tabId = null;
    /** @type {ComposeDetails | null} */
    this.details = null;
  }

  /** @param {string} id */
  element(id) {
    return this.document.getElementById(id);
  }

  /**
   * Check the active compose tab and fill the page; the verdict, or null when the
   * check could not be made (the page then says why and offers no conversion).
   * @returns {Promise<Verdict | null>}
   */
  async show() {
    localisePage(this.browser, this.document);
    const button = this.element("convert");
    button.disabled = true;
    button.addEventListener("click", () => this.convert());
    try {
      const [tab] = await this.browser.tabs.query({ active: true, currentWindow: true });
      if (!tab) {
        throw new Error("no compose tab");
      }
      const details = await this.browser.compose.getComposeDetails(tab.id);
      const { verdict } = await checkCompose(this.browser, this.host, details);
      this.tabId = tab.id;
      this.details = details;
      const name = verdict.verdict === "hold" ? "checkHold" : "checkPass";
      this.element("detail").textContent = this.browser.i18n.getMessage(name, [
        String(verdict.exposed_count),
        String(verdict.visible_count),
        String(verdict.threshold),
      ]);
      this.element("domains").textContent = domainSummary(verdict.domains);
      button.disabled = verdict.visible_count === 0;
      return verdict;
    } catch (error) {
      console.error("BccGuard: manual check failed", error);
      this.element("detail").textContent = this.browser.i18n.getMessage("checkFailed", [
        String(error),
      ]);
      return null;
    }
  }

  /**
   * The convert button: to = the sender, cc = [], bcc = everyone, in the compose
   * window itself; the page closes when done.
   * @returns {Promise<boolean>} true when the compose window was rewritten
   */
  async convert() {
    if (this.tabId === null || this.details === null) {
      return false;
    }
    const button = this.element("convert");
    button.disabled = true;
    try {
      // The recipients as they are now, not as they were when the page opened.
      const details = await this.browser.compose.getComposeDetails(this.tabId);
      const sender = await senderAddress(this.browser, details);
      await this.browser.compose.setComposeDetails(this.tabId, convertDetails(details, sender));
    } catch (error) {
      console.error("BccGuard: conversion failed", error);
      this.element("detail").textContent = this.browser.i18n.getMessage("checkFailed", [
        String(error),
      ]);
      button.disabled = false;
      return false;
    }
    this.close();
    return true;
  }
}
