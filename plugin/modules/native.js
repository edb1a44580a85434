/**
 * Talking to the desktop app through Thunderbird's native messaging.
 *
 * Every request settles: a missing host, an error or a slow answer become `null`,
 * and the plugin carries on with its own options.
 * @module native
 */

export const HOST_NAME = "org.bccguard.native_host";
export const HOST_TIMEOUT_MS = 3000;

/**
 * The promise's value, or `fallback` once `ms` milliseconds have passed.
 * @template T, F
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {F} fallback
 * @returns {Promise<T | F>}
 */
export function withTimeout(promise, ms, fallback) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The desktop app's native host, or nothing when it is not installed. */
export class NativeHost {
  /**
   * @param {any} browser the WebExtension API object
   * @param {{timeoutMs?: number}} [options]
   */
  constructor(browser, { timeoutMs = HOST_TIMEOUT_MS } = {}) {
    this.browser = browser;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Send one request; the host's reply when it says `ok`, else null.
   * @param {Record<string, unknown>} message
   * @returns {Promise<Record<string, any> | null>}
   */
  async request(message) {
    try {
      const send = Promise.resolve(this.browser.runtime.sendNativeMessage(HOST_NAME, message));
      const reply = await withTimeout(send.catch(() => null), this.timeoutMs, null);
      return reply && typeof reply === "object" && reply.ok ? reply : null;
    } catch {
      return null;
    }
  }

  /**
   * The desktop app's policy for mail from `sender` (its account's threshold and
   * action, as the proxy applies them), or null without the app; with the key
   * for decision proofs (`decision_key`, hex) when the app gives one.
   * @param {string} [sender]
   * @returns {Promise<{threshold: number, trusted_domains: string[], action: string,
   *   decision_key?: string} | null>}
   */
  async policy(sender = "") {
    const reply = await this.request(sender ? { type: "policy", sender } : { type: "policy" });
    if (!reply?.policy) {
      return null;
    }
    return typeof reply.decision_key === "string"
      ? { ...reply.policy, decision_key: reply.decision_key }
      : reply.policy;
  }

  /**
   * Log an incident with the desktop app; its id, or null.
   * @param {Record<string, unknown>} incident
   * @returns {Promise<string | null>}
   */
  async recordIncident(incident) {
    const reply = await this.request({ type: "record-incident", incident });
    return reply?.id ?? null;
  }

  /**
   * Ask the desktop app to open its apology composer; true when it did.
   * @param {string} incidentId
   * @returns {Promise<boolean>}
   */
  async openApology(incidentId) {
    const reply = await this.request({ type: "open-apology", incident: incidentId });
    return Boolean(reply?.opened);
  }
}
