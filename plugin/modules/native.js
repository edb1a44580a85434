/**
 * Talking to the desktop app through Thunderbird's native messaging.
 *
 * One port (`runtime.connectNative`) stays open, so one host process answers many
 * requests; `runtime.sendNativeMessage` would start a new one per request (about
 * 0.3 s a message). Each request carries a `request_id` that its reply echoes; a
 * reply without one (an older desktop app) answers the oldest request, as the host
 * answers in order.
 *
 * Every request settles: a missing host, an error, a closed port or a slow answer
 * become `null`, and the plugin carries on with its own options. A request that
 * times out also closes the port (the host answers in order, so the next request
 * would wait behind the stuck one); the next request starts a fresh host.
 *
 * Thunderbird's MV3 background is an event page, suspended once idle (pref
 * `extensions.background.idle.timeout`, 30 s by default). An open native port keeps
 * it up: Gecko's `terminateBackground` resets the idle timer while the page
 * `hasActiveNativeAppPorts` ("exempt from being terminated when the idle timeout
 * expires"), https://searchfox.org/mozilla-central/source/toolkit/components/extensions/parent/ext-backgroundPage.js
 * Seen in Thunderbird 153 with the timeout at 1 s: without a port the page was
 * suspended after 1.1 s; with one it stayed up, with the same host process, for
 * 14 s; after `port.disconnect()` it was suspended within 0.3 s and the host read
 * EOF (tests/plugin/test_native_port.py sends 3 s apart through one host process).
 * So the port is not dropped under the page; the background closes it itself after
 * `idleMs` without requests, letting the page and the host go, and the next request
 * (or a compose window opening) connects again.
 * @module native
 */

export const HOST_NAME = "org.bccguard.native_host";
export const HOST_TIMEOUT_MS = 3000;
/** How long the background keeps an unused port (and so itself and the host). */
export const HOST_IDLE_MS = 10 * 60 * 1000;

/**
 * @typedef {Record<string, any>} Reply
 * @typedef {{runtime: {connectNative(application: string): messenger.runtime.Port}}}
 *   NativeMessaging the part of the WebExtension API this module uses
 * @typedef {{port: messenger.runtime.Port, resolve: (reply: Reply | null) => void,
 *   timer: ReturnType<typeof setTimeout>}} Pending
 */

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
  /** @type {Promise<F>} */
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The desktop app's native host, or nothing when it is not installed. */
export class NativeHost {
  /**
   * @param {NativeMessaging} browser the WebExtension API object
   * @param {{timeoutMs?: number, idleMs?: number}} [options] `idleMs`: close the
   *   port after this long without a request (0, the default: keep it while the
   *   page lives, as a popup or the options page does)
   */
  constructor(browser, { timeoutMs = HOST_TIMEOUT_MS, idleMs = 0 } = {}) {
    this.browser = browser;
    this.timeoutMs = timeoutMs;
    this.idleMs = idleMs;
    /** @type {messenger.runtime.Port | null} */
    this.port = null;
    /** @type {Map<number, Pending>} */
    this.pending = new Map();
    this.nextId = 1;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.idleTimer = undefined;
  }

  /**
   * Send one request; the host's reply when it says `ok`, else null.
   * @param {Record<string, unknown>} message
   * @returns {Promise<Reply | null>}
   */
  request(message) {
    const port = this.connect();
    if (!port) {
      return Promise.resolve(null);
    }
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.timedOut(id), this.timeoutMs);
      this.pending.set(id, { port, resolve, timer });
      try {
        port.postMessage({ ...message, request_id: id });
      } catch {
        this.close(port); // already disconnected: settles this request with null
      }
    });
  }

  /** Start the host ahead of a request (a compose window opened), if it is not running. */
  warmUp() {
    if (this.connect() && this.pending.size === 0) {
      this.idleAfterwards();
    }
  }

  /**
   * The open port, or a new one; null when Thunderbird refuses to connect.
   * @returns {messenger.runtime.Port | null}
   */
  connect() {
    if (this.port) {
      return this.port;
    }
    try {
      const port = this.browser.runtime.connectNative(HOST_NAME);
      port.onMessage.addListener((/** @type {unknown} */ reply) => this.received(port, reply));
      // A missing host, a crash or the host's exit: Thunderbird disconnects the port.
      port.onDisconnect.addListener(() => this.dropped(port));
      this.port = port;
      return port;
    } catch {
      return null;
    }
  }

  /**
   * A reply from the host: settle the request it answers.
   * @param {messenger.runtime.Port} port
   * @param {unknown} reply
   */
  received(port, reply) {
    const answer = reply && typeof reply === "object" ? /** @type {Reply} */ (reply) : {};
    const { request_id: id, ...rest } = answer;
    const oldest = [...this.pending].find(([, p]) => p.port === port)?.[0];
    const key = id === undefined ? oldest : id;
    const pending = this.pending.get(key);
    if (key === undefined || !pending || pending.port !== port) {
      return; // a late answer to a request that has timed out
    }
    this.settle(key, rest.ok ? rest : null);
    if (this.pending.size === 0) {
      this.idleAfterwards();
    }
  }

  /**
   * A request the host has not answered in time: null, and a fresh host next time.
   * @param {number} id
   */
  timedOut(id) {
    const pending = this.pending.get(id);
    if (pending) {
      this.settle(id, null);
      this.close(pending.port);
    }
  }

  /**
   * Thunderbird closed the port: every request still waiting on it gets null.
   * @param {messenger.runtime.Port} port
   */
  dropped(port) {
    for (const [id, pending] of [...this.pending]) {
      if (pending.port === port) {
        this.settle(id, null);
      }
    }
    if (this.port === port) {
      this.port = null;
      clearTimeout(this.idleTimer);
    }
  }

  /**
   * Close `port` (the host reads EOF and exits); its requests get null.
   * @param {messenger.runtime.Port | null} [port]
   */
  close(port = this.port) {
    if (!port) {
      return;
    }
    try {
      port.disconnect(); // fires no onDisconnect on this side
    } catch {
      // already disconnected
    }
    this.dropped(port);
  }

  /**
   * @param {number} id
   * @param {Reply | null} reply
   */
  settle(id, reply) {
    const pending = this.pending.get(id);
    if (pending) {
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.resolve(reply);
    }
  }

  idleAfterwards() {
    clearTimeout(this.idleTimer);
    if (this.idleMs > 0) {
      this.idleTimer = setTimeout(() => this.close(), this.idleMs);
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
