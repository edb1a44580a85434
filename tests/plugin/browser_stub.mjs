// A small stand-in for Thunderbird's `browser` object: only what the modules call.

/** An event with addListener and a way for tests to fire it. */
export class StubEvent {
  constructor() {
    this.listeners = [];
  }
  addListener(listener) {
    this.listeners.push(listener);
  }
  fire(...args) {
    return this.listeners.map((listener) => listener(...args));
  }
}

/**
 * A native messaging port to a host that answers with `native(message)` (as a
 * connectNative port does: replies echo the request's `request_id`); without
 * `native`, the host is missing and the port disconnects at once with an error.
 * @param {string} name
 * @param {((message: object) => any) | undefined} native
 * @param {{native: object[]}} calls
 */
export function stubPort(name, native, calls) {
  const port = {
    name,
    error: null,
    disconnected: false,
    onMessage: new StubEvent(),
    onDisconnect: new StubEvent(),
    postMessage(payload) {
      if (port.disconnected) {
        throw new Error("Attempt to postMessage on disconnected port");
      }
      const { request_id: id, ...message } = payload;
      calls.native.push({ name, message });
      if (!native) return;
      Promise.resolve()
        .then(() => native(message))
        .then((reply) => {
          if (port.disconnected) return;
          const answer = reply && typeof reply === "object" ? reply : { ok: false };
          port.onMessage.fire({ ...answer, request_id: id }, port);
        })
        .catch((error) => {
          // A host that fails: Thunderbird sees it exit and disconnects the port.
          port.disconnected = true;
          port.error = { message: String(error) };
          port.onDisconnect.fire(port);
        });
    },
    disconnect() {
      port.disconnected = true;
    },
  };
  if (!native) {
    setTimeout(() => {
      port.disconnected = true;
      port.error = { message: `No such native application ${name}` };
      port.onDisconnect.fire(port);
    }, 0);
  }
  return port;
}

/**
 * A stub browser.
 * @param {{managed?: object | null, local?: object, native?: (message: object) => any,
 *   books?: {lists: {id: string, name: string, description?: string}[],
 *   members: Record<string, {id: string, vCard?: string, properties?: object}[]>},
 *   contacts?: Record<string, object>, identities?: Record<string, object>,
 *   messages?: Record<number, object>, composeDetails?: Record<number, object>}} [setup]
 */
export function makeBrowser(setup = {}) {
  let nextWindow = 100;
  const calls = { windowsCreated: [], windowsRemoved: [], native: [], connects: [], setComposeDetails: [], beginNew: [] };
  const local = { ...(setup.local ?? {}) };
  const books = setup.books ?? { lists: [], members: {} };
  const browser = {
    calls,
    runtime: {
      getURL: (path) => `moz-extension://bccguard/${path}`,
      sendNativeMessage: async (name, message) => {
        calls.native.push({ name, message });
        if (!setup.native) {
          throw new Error("No such native application org.bccguard.native_host");
        }
        return setup.native(message);
      },
      connectNative: (name) => {
        calls.connects.push(name);
        return stubPort(name, setup.native, calls);
      },
      onMessage: new StubEvent(),
    },
    storage: {
      managed: {
        get: async () => {
          if (setup.managed == null) {
            throw new Error("Managed storage manifest not found");
          }
          return setup.managed;
        },
      },
      local: {
        get: async (key) => (key in local ? { [key]: local[key] } : {}),
        set: async (values) => Object.assign(local, values),
      },
    },
    windows: {
      create: async (info) => {
        if (setup.windowsFail) {
          throw new Error("cannot open a window");
        }
        nextWindow += 1;
        calls.windowsCreated.push({ ...info, id: nextWindow });
        return { id: nextWindow };
      },
      remove: async (id) => {
        calls.windowsRemoved.push(id);
      },
      onRemoved: new StubEvent(),
    },
    addressBooks: {
      list: async () => [{ id: "B1", name: "Personal" }],
      mailingLists: {
        list: async (parentId) => {
          if (typeof parentId !== "string") {
            throw new Error("Incorrect argument types for addressBooks.mailingLists.list.");
          }
          return books.lists.filter((l) => (l.parentId ?? "B1") === parentId);
        },
        listMembers: async (id) => {
          if (!(id in books.members)) throw new Error(`no list ${id}`);
          return books.members[id];
        },
      },
      contacts: {
        get: async (id) => {
          if (!setup.contacts?.[id]) throw new Error(`no contact ${id}`);
          return setup.contacts[id];
        },
      },
    },
    identities: {
      get: async (id) => setup.identities?.[id] ?? null,
    },
    messages: {
      get: async (id) => setup.messages?.[id],
    },
    messageDisplay: {
      getDisplayedMessages: async () => ({ messages: setup.displayed ? [setup.displayed] : [] }),
    },
    compose: {
      getComposeDetails: async (tabId) => setup.composeDetails?.[tabId],
      setComposeDetails: async (tabId, details) => {
        calls.setComposeDetails.push({ tabId, details });
      },
      beginNew: async (details) => {
        calls.beginNew.push(details);
        return { id: 9 };
      },
    },
    i18n: {
      getMessage: (name, subs = []) => `${name}(${[].concat(subs).join("|")})`,
    },
  };
  return browser;
}

/** A vCard for a contact with one e-mail address. */
export function vCard(email, name = "") {
  return `BEGIN:VCARD\r\nVERSION:4.0\r\nFN:${name}\r\nEMAIL;PREF=1:${email}\r\nEND:VCARD\r\n`;
}

/** `n` addresses like `Person 1 <p1@domainN.example>`, each in its own domain. */
export function people(n, prefix = "p") {
  return Array.from({ length: n }, (_, i) => `Person ${i} <${prefix}${i}@${prefix}d${i}.example>`);
}

/** Wait until `predicate()` is true (polling the event loop). */
export async function until(predicate, ms = 2000) {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
