/**
 * A popup window that waits for one choice: the first of the popup's answer, the
 * caller's other ways (the popup closed, or failing to open) and the time running
 * out settles it, once. A settled choice closes its popup, also one that opens
 * only after the choice was made.
 * @module popup_choice
 */

/**
 * @template C
 * @typedef {{windowId: number | null, settle: (choice: C) => void}} PopupEntry
 */

/**
 * Open a popup and wait for its choice. Until then `pending` holds its entry under
 * `token`: `fields` (what the popup asks for), its window's id once open, and
 * `settle`, which makes the choice.
 * @template C
 * @template {object} T
 * @param {{browser: any, pending: Map<string, T & PopupEntry<C>>, token: string,
 *   fields: T, timeoutMs: number, timeoutChoice: C,
 *   open: (token: string) => Promise<number>,
 *   openFailed: (error: unknown, entry: T & PopupEntry<C>) => void}} parts
 *   `timeoutChoice`: the choice when `timeoutMs` have passed; `openFailed`: what a
 *   popup that cannot open does
 * @returns {Promise<C>}
 */
export function waitInPopup({ browser, pending, token, fields, timeoutMs, timeoutChoice, open, openFailed }) {
  return new Promise((resolve) => {
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    /** @type {T & PopupEntry<C>} */
    const entry = {
      ...fields,
      windowId: null,
      settle: (choice) => {
        if (!pending.has(token)) return;
        pending.delete(token);
        clearTimeout(timer);
        if (entry.windowId !== null) {
          Promise.resolve(browser.windows.remove(entry.windowId)).catch(() => {});
        }
        resolve(choice);
      },
    };
    pending.set(token, entry);
    timer = setTimeout(() => entry.settle(timeoutChoice), timeoutMs);
    open(token)
      .then((windowId) => {
        entry.windowId = windowId;
        if (!pending.has(token)) {
          // settled while the window was opening
          Promise.resolve(browser.windows.remove(windowId)).catch(() => {});
        }
      })
      .catch((error) => openFailed(error, entry));
  });
}
