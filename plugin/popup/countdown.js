// The Undo send popup: counts down the seconds the background page holds the
// message for, and reports Undo or Send now. Closing it does not stop the message.
import { localisePage } from "../modules/page_text.js";

const token = new URLSearchParams(location.search).get("token");

/** @param {"undo" | "send"} choice */
function choose(choice) {
  browser.runtime.sendMessage({ type: "bccguard-countdown-choice", token, choice });
}

/**
 * "Sending to 3 recipients in 10 s".
 * @param {number} count
 * @param {number} seconds
 * @returns {string}
 */
function headline(count, seconds) {
  return count === 1
    ? browser.i18n.getMessage("countdownOne", [String(seconds)])
    : browser.i18n.getMessage("countdownMany", [String(count), String(seconds)]);
}

async function show() {
  localisePage(browser, document);
  const countdown = await browser.runtime.sendMessage({ type: "bccguard-countdown", token });
  if (!countdown) {
    window.close();
    return;
  }
  const title = /** @type {HTMLElement} */ (document.getElementById("headline"));
  /** @type {HTMLElement} */ (document.getElementById("subject")).textContent = countdown.subject;
  const tick = () => {
    const seconds = Math.max(0, Math.ceil((countdown.untilMs - Date.now()) / 1000));
    title.textContent = headline(countdown.count, seconds);
    document.title = `BccGuard: ${title.textContent}`;
  };
  tick();
  setInterval(tick, 250);
  const undo = /** @type {HTMLElement} */ (document.getElementById("undo"));
  undo.addEventListener("click", () => choose("undo"));
  /** @type {HTMLElement} */ (document.getElementById("send")).addEventListener("click", () =>
    choose("send"),
  );
  undo.focus();
}

show();
