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
 * A stub browser.
 * @param {{managed?: object | null, local?: object, native?: (message: object) => any,
 *   books?: {lists: {id: string, name: string, description?: string}[],
 *   members: Record<string, {id: string, vCard?: string, properties?: object}[]>},
 *   contacts?: Record<string, object>, identities?: Record<string, object>,
 *   messages?: Record<number, object>, composeDetails?: Record<number, object>}} [setup]
 */
export function makeBrowser(setup = {}) {
  let nextWindow = 100;
  const calls = { windowsCreated: [], windowsRemoved: [], native: [], setComposeDetails: [], beginNew: [] };
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
