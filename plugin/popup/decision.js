// The decision popup: shows the question from the background page, reports the choice.
import { domainSummary, localisePage } from "../modules/page_text.js";

const token = new URLSearchParams(location.search).get("token");
/** @type {Record<string, string[]>} */
const BUTTONS = {
  send: ["convert", "one-by-one", "send", "back"],
  "reply-all": ["convert", "back"],
  blocked: ["back"],
  error: ["send", "back"],
};

/** @param {string} choice */
function choose(choice) {
  browser.runtime.sendMessage({ type: "bccguard-decision", token, choice });
}

async function show() {
  localisePage(browser, document);
  const question = await browser.runtime.sendMessage({ type: "bccguard-question", token });
  if (!question) {
    window.close();
    return;
  }
  const count = String(question.count ?? 0);
  const texts = /** @type {Record<string, string[]>} */ ({
    send: ["holdHeadline", "holdDetail"],
    "reply-all": ["replyAllHeadline", "replyAllDetail"],
    blocked: ["blockedHeadline", "blockedDetail"],
    error: ["errorHeadline", "errorHeadline"],
  })[question.kind];
  const headline = browser.i18n.getMessage(texts[0], [count]);
  /** @type {HTMLElement} */ (document.getElementById("headline")).textContent = headline;
  document.title = `BccGuard: ${headline}`; // the window's title says what is asked
  /** @type {HTMLElement} */ (document.getElementById("detail")).textContent =
    question.kind === "error" ? question.error : browser.i18n.getMessage(texts[1], [count]);
  /** @type {HTMLElement} */ (document.getElementById("domains")).textContent =
    domainSummary(question.domains);
  for (const id of BUTTONS[question.kind] ?? ["back"]) {
    if (id === "one-by-one" && !question.oneByOne) {
      continue; // only with the desktop app, which sends the copies
    }
    const button = /** @type {HTMLElement} */ (document.getElementById(id));
    button.hidden = false;
    button.addEventListener("click", () => choose(id));
  }
  // "convert" shows the gentle default; "back" is the safe one for a block.
  /** @type {HTMLElement} */ (document.getElementById(BUTTONS[question.kind]?.[0] ?? "back")).focus();
}

show();
