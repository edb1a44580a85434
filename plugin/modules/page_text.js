/**
 * Fill a page's text from the extension's locales: `data-i18n="messageName"`.
 * @module page_text
 */

/**
 * @param {any} browser
 * @param {Document} document
 */
export function localisePage(browser, document) {
  for (const element of document.querySelectorAll("[data-i18n]")) {
    const text = browser.i18n.getMessage(element.getAttribute("data-i18n") ?? "");
    if (text) {
      element.textContent = text;
    }
  }
}

/**
 * "example.org (12), other.net (3)" for the most exposed domains.
 * @param {Record<string, number>} domains
 * @param {number} [limit]
 * @returns {string}
 */
export function domainSummary(domains, limit = 8) {
  const entries = Object.entries(domains ?? {});
  const shown = entries.slice(0, limit).map(([d, n]) => `${d} (${n})`);
  if (entries.length > limit) {
    shown.push(`+${entries.length - limit}`);
  }
  return shown.join(", ");
}
