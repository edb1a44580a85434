/**
 * Who a message being composed goes to: the compose window's To/Cc/Bcc, with
 * address-book contacts and mailing lists (nested ones too) expanded.
 *
 * Thunderbird hands mailing lists over unexpanded, as `ListName <ListName>` strings
 * or `{nodeId|id, type: "mailingList"}` objects, so the plugin expands them itself;
 * a list it cannot find is counted as one doubtful recipient (fail closed).
 * @module recipients
 */

import { addressKey, makeAddress, parseAddressList } from "./address_list.js";
import { distinct } from "./verdict.js";

/**
 * @typedef {import("./address_list.js").Address} Address
 * @typedef {import("./address_list.js").Problem} Problem
 * @typedef {import("./verdict.js").Recipients} Recipients
 * @typedef {string | {id?: string, nodeId?: string, type: "contact" | "mailingList"}} ComposeRecipient
 * @typedef {{to?: ComposeRecipient | ComposeRecipient[], cc?: ComposeRecipient | ComposeRecipient[],
 *   bcc?: ComposeRecipient | ComposeRecipient[], from?: string, identityId?: string,
 *   type?: string, relatedMessageId?: number}} ComposeDetails
 * @typedef {{id: string, name: string, description?: string}} MailingList
 * @typedef {{id: string, vCard?: string, properties?: Record<string, string>}} Contact
 */

const MAX_DEPTH = 8;

/**
 * The mailing-list and contact APIs, wherever this Thunderbird keeps them.
 * @param {any} browser
 * @returns {{lists: any, contacts: any}}
 */
function bookApis(browser) {
  const books = browser.addressBooks ?? {};
  return {
    lists: books.mailingLists ?? browser.mailingLists ?? null,
    contacts: books.contacts ?? browser.contacts ?? null,
  };
}

/**
 * The e-mail address of a contact (MV3 vCard or MV2 properties).
 * @param {Contact} contact
 * @returns {string}
 */
export function contactEmail(contact) {
  if (contact.properties?.PrimaryEmail) {
    return contact.properties.PrimaryEmail;
  }
  const lines = (contact.vCard ?? "").replace(/\r?\n[ \t]/gu, "").split(/\r?\n/u);
  const emails = lines.filter((l) => /^(?:[^:;.]+\.)?EMAIL[;:]/iu.test(l));
  const preferred = emails.find((l) => /;(?:PREF=1|TYPE=[^:]*pref)/iu.test(l)) ?? emails[0];
  return preferred ? preferred.slice(preferred.indexOf(":") + 1).trim() : "";
}

/**
 * A list pill's name: `ListName <ListName>` or `ListName <Description>`, no "@".
 * @param {string} text
 * @returns {{name: string, inner: string} | null}
 */
export function listPill(text) {
  if (text.includes("@")) {
    return null;
  }
  const match = /^\s*(.*?)\s*<([^<>]*)>\s*$/su.exec(text);
  if (!match) {
    return text.trim() ? { name: text.trim(), inner: text.trim() } : null;
  }
  const name = match[1].replace(/^"(.*)"$/su, "$1").replace(/\\(.)/gsu, "$1");
  return { name: name || match[2].trim(), inner: match[2].trim() };
}

/** Expands one compose window's recipients through the address books. */
export class RecipientReader {
  /** @param {any} browser the WebExtension API object (a stub in tests) */
  constructor(browser) {
    this.browser = browser;
    this.apis = bookApis(browser);
    /** @type {Promise<MailingList[]> | null} */
    this.allLists = null;
  }

  /** @returns {Promise<MailingList[]>} */
  lists() {
    if (!this.allLists) {
      this.allLists = this.readAllLists();
    }
    return /** @type {Promise<MailingList[]>} */ (this.allLists);
  }

  /**
   * Every mailing list of every address book (Thunderbird wants one book at a time).
   * @returns {Promise<MailingList[]>}
   */
  async readAllLists() {
    const lists = this.apis.lists;
    if (!lists) {
      return [];
    }
    const books = await this.browser.addressBooks.list(false);
    const found = [];
    for (const book of books ?? []) {
      found.push(...((await lists.list(book.id)) ?? []));
    }
    return found;
  }

  /**
   * The list a pill names, by name first, then by the text in its angle brackets.
   * @param {{name: string, inner: string}} pill
   * @returns {Promise<MailingList | undefined>}
   */
  async findList(pill) {
    const lists = await this.lists();
    const same = (/** @type {string | undefined} */ a, /** @type {string} */ b) =>
      (a ?? "").trim().toLowerCase() === b.toLowerCase();
    return (
      lists.find((l) => same(l.name, pill.name)) ??
      lists.find((l) => same(l.name, pill.inner) || same(l.description, pill.inner))
    );
  }

  /**
   * Every address a mailing list reaches, nested lists included.
   * @param {string} listId
   * @param {Problem[]} problems
   * @param {Set<string>} seen list ids on the way here (a cycle stops)
   * @returns {Promise<Address[]>}
   */
  async expandList(listId, problems, seen) {
    if (seen.has(listId) || seen.size >= MAX_DEPTH) {
      return [];
    }
    const inner = new Set(seen).add(listId);
    /** @type {Contact[]} */
    let members;
    try {
      members = await this.apis.lists.listMembers(listId);
    } catch {
      problems.push({ text: `mailing list ${listId} could not be read`, doubtful: true });
      return [];
    }
    const found = [];
    for (const member of members ?? []) {
      found.push(...(await this.readText(contactEmail(member), problems, inner)));
    }
    return found;
  }

  /**
   * The addresses in one recipient string (a mailbox or a list pill).
   * @param {string} text
   * @param {Problem[]} problems
   * @param {Set<string>} seen
   * @returns {Promise<Address[]>}
   */
  async readText(text, problems, seen) {
    const pill = listPill(text);
    if (pill) {
      const list = await this.findList(pill);
      if (list) {
        return this.expandList(list.id, problems, seen);
      }
    }
    const result = parseAddressList(text);
    problems.push(...result.problems);
    return result.addresses;
  }

  /**
   * The addresses one compose recipient stands for.
   * @param {ComposeRecipient} recipient
   * @param {Problem[]} problems
   * @returns {Promise<Address[]>}
   */
  async readOne(recipient, problems) {
    if (typeof recipient === "string") {
      return this.readText(recipient, problems, new Set());
    }
    const id = recipient.nodeId ?? recipient.id ?? "";
    if (recipient.type === "mailingList" && this.apis.lists) {
      return this.expandList(id, problems, new Set());
    }
    try {
      const contact = await this.apis.contacts.get(id);
      return this.readText(contactEmail(contact), problems, new Set());
    } catch {
      problems.push({ text: `contact ${id} could not be read`, doubtful: true });
      return [makeAddress(`contact-${id}@unknown.invalid`)];
    }
  }

  /**
   * @param {ComposeRecipient | ComposeRecipient[] | undefined} field
   * @param {Problem[]} problems
   * @returns {Promise<Address[]>}
   */
  async readField(field, problems) {
    const items = field == null ? [] : Array.isArray(field) ? field : [field];
    const found = [];
    for (const item of items) {
      found.push(...(await this.readOne(item, problems)));
    }
    return found;
  }

  /**
   * The recipients of a compose window, expanded and without duplicates.
   * @param {ComposeDetails} details
   * @returns {Promise<Recipients>}
   */
  async read(details) {
    /** @type {Problem[]} */
    const problems = [];
    const visible = distinct([
      ...(await this.readField(details.to, problems)),
      ...(await this.readField(details.cc, problems)),
    ]);
    const keys = new Set(visible.map(addressKey));
    const hidden = distinct(await this.readField(details.bcc, problems)).filter(
      (a) => !keys.has(addressKey(a)),
    );
    const senders = details.from ? parseAddressList(details.from).addresses : [];
    return { visible, hidden, senders, problems };
  }
}
