// A minimal stand-in for a page's DOM: the elements a page script reads and writes.

/** One element: text, value, disabled, data-i18n, and click listeners. */
export class FakeElement {
  constructor(id, { i18n = null, value = "" } = {}) {
    this.id = id;
    this.i18n = i18n;
    this.textContent = "";
    this.value = value;
    this.disabled = false;
    this.listeners = [];
  }
  getAttribute(name) {
    return name === "data-i18n" ? this.i18n : null;
  }
  addEventListener(type, listener) {
    if (type === "click") this.listeners.push(listener);
  }
  /** Like a user's click: runs the listeners (unless disabled), returns their results. */
  click() {
    return this.disabled ? [] : this.listeners.map((listener) => listener());
  }
}

/**
 * A document with these elements: `{id: {i18n?, value?}}`.
 * @param {Record<string, {i18n?: string, value?: string}>} spec
 */
export function fakeDocument(spec) {
  const elements = Object.fromEntries(
    Object.entries(spec).map(([id, options]) => [id, new FakeElement(id, options)]),
  );
  return {
    elements,
    getElementById: (id) => elements[id] ?? null,
    querySelectorAll: (selector) => {
      if (selector !== "[data-i18n]") throw new Error(`unsupported selector ${selector}`);
      return Object.values(elements).filter((e) => e.i18n !== null);
    },
  };
}
