/**
 * Reading a recipient header (To, Cc, Bcc) into addresses, leniently and never short.
 *
 * The same reader as the desktop app's `bccguard.core.address_list`: every
 * `local@domain` found outside quoted display names and comments is counted, and each
 * irregularity is reported as a problem, `doubtful` where the count itself may be off.
 * When it is, address-like text inside quotes and comments counts too.
 * Keep the two in step: tests/plugin runs both against tests/data/shared_vectors.json.
 * @module address_list
 */

/**
 * @typedef {{text: string, doubtful: boolean}} Problem
 * @typedef {{addr: string, name: string, source: string}} Address
 * @typedef {{addresses: Address[], problems: Problem[], groups: string[]}} AddressList
 * @typedef {{kind: string, text: string, start: number, end: number, spaced: boolean}} Token
 */

// One alternative per token kind; comments are read by hand because they nest.
const TOKEN = new RegExp(
  [
    String.raw`(?<ws>\s+)`,
    String.raw`(?<encoded>=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)`, // RFC 2047; may hold a ","
    String.raw`(?<atom>[^\s()<>,;:"]+)`,
    String.raw`(?<quoted>"(?:[^"\\]|\\[\s\S])*")`,
    String.raw`(?<angle><(?:[^<>"]|"(?:[^"\\]|\\[\s\S])*")*>)`,
    String.raw`(?<sep>[,;])`,
    String.raw`(?<colon>:)`,
    String.raw`(?<comment>\()`,
    String.raw`(?<stray>[)>"<])`,
  ].join("|"),
  "uy",
);
const KINDS = ["ws", "encoded", "atom", "quoted", "angle", "sep", "colon", "comment", "stray"];
const COMMENTS = /\((?:[^()\\]|\\[\s\S])*\)/gu;
// Anything around an "@"; used only when in doubt.
const ADDRESS_LIKE = /[^\s<>()[\],;:"@]*@[^\s<>()[\],;:"]*/gu;
/** @type {Record<string, string>} */
const STRAY_TEXT = {
  '"': "an unterminated quote",
  "<": "a '<' without its '>'",
  ">": "a stray '>'",
  ")": "a stray ')'",
};

/**
 * The ASCII (IDNA) form of a domain, lower-cased; as-is if it cannot encode.
 * @param {string} domain
 * @returns {string}
 */
export function asciiDomain(domain) {
  const lower = domain.toLowerCase();
  if (/^[\x00-\x7f]*$/u.test(lower)) {
    return lower;
  }
  try {
    const host = new URL(`http://${lower}/`).hostname;
    return host || lower;
  } catch {
    return lower;
  }
}

/**
 * `local@Domain.` -> `local@domain`: the local part is kept as written.
 * @param {string} addr
 * @returns {string}
 */
export function normaliseAddr(addr) {
  const at = addr.lastIndexOf("@");
  if (at < 0) {
    return addr;
  }
  return `${addr.slice(0, at)}@${addr.slice(at + 1).replace(/\.+$/u, "").toLowerCase()}`;
}

/**
 * An address from its text, normalised.
 * @param {string} addr
 * @param {string} [name]
 * @param {string} [source]
 * @returns {Address}
 */
export function makeAddress(addr, name = "", source = "") {
  return { addr: normaliseAddr(addr), name, source };
}

/**
 * The domain of an address as written (lower-cased by normalisation).
 * @param {{addr: string}} address
 * @returns {string}
 */
export function domainOf(address) {
  return address.addr.slice(address.addr.lastIndexOf("@") + 1);
}

/**
 * Identity for de-duplication: domain case-insensitive, IDN in ASCII form.
 * @param {{addr: string}} address
 * @returns {string}
 */
export function addressKey(address) {
  const at = address.addr.lastIndexOf("@");
  const local = at < 0 ? "" : address.addr.slice(0, at);
  return `${local}@${asciiDomain(address.addr.slice(at + 1))}`;
}

/**
 * End offset of the (possibly nested) comment opening at `start`, or null.
 * @param {string} text
 * @param {number} start
 * @returns {number | null}
 */
function readComment(text, start) {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const char = text[i];
    if (char === "\\") {
      i += 2;
      continue;
    }
    if (char === "(") {
      depth += 1;
    } else if (char === ")") {
      depth -= 1;
      if (depth === 0) {
        return i + 1;
      }
    }
    i += 1;
  }
  return null;
}

/**
 * @param {string} text
 * @param {Problem[]} problems
 * @returns {Token[]}
 */
function tokenise(text, problems) {
  /** @type {Token[]} */
  const tokens = [];
  let pos = 0;
  let spaced = false;
  while (pos < text.length) {
    TOKEN.lastIndex = pos;
    const match = TOKEN.exec(text);
    if (!match || !match.groups) {
      throw new Error("unreachable: the token alternatives cover every character");
    }
    const groups = match.groups;
    const kind = KINDS.find((k) => groups[k] !== undefined) ?? "stray";
    let end = pos + match[0].length;
    if (kind === "ws") {
      spaced = true;
    } else if (kind === "comment") {
      const close = readComment(text, pos);
      if (close === null) {
        problems.push({ text: "an unterminated comment '('", doubtful: true });
        end = pos + 1;
      } else {
        tokens.push({ kind: "comment", text: text.slice(pos, close), start: pos, end: close, spaced });
        end = close;
      }
      spaced = true;
    } else if (kind === "encoded") {
      tokens.push({ kind: "atom", text: match[0], start: pos, end, spaced });
      spaced = false;
    } else if (kind === "stray") {
      problems.push({ text: `${STRAY_TEXT[match[0]]} was skipped`, doubtful: true });
      spaced = true;
    } else {
      tokens.push({ kind, text: match[0], start: pos, end, spaced });
      spaced = false;
    }
    pos = end;
  }
  return tokens;
}

/**
 * Decode RFC 2047 encoded words; text that fails to decode stays as written.
 * @param {string} text
 * @returns {string}
 */
export function decodeWords(text) {
  if (!text.includes("=?")) {
    return text;
  }
  try {
    return text
      .replace(/(\?=)\s+(=\?)/gu, "$1$2")
      .replace(/=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/gu, (_, charset, enc, data) => {
        const bytes =
          enc.toUpperCase() === "B"
            ? Uint8Array.from(atob(data), (c) => c.charCodeAt(0))
            : Uint8Array.from(
                data
                  .replace(/_/gu, " ")
                  .replace(/=([0-9A-Fa-f]{2})/gu, (/** @type {string} */ _m, /** @type {string} */ h) =>
                    String.fromCharCode(parseInt(h, 16)),
                  ),
                (c) => c.charCodeAt(0),
              );
        return new TextDecoder(charset.split("*")[0], { fatal: true }).decode(bytes);
      });
  } catch {
    return text;
  }
}

/**
 * @param {string} text
 * @returns {string}
 */
function unquote(text) {
  if (text.length > 1 && text.startsWith('"') && text.endsWith('"')) {
    return text.slice(1, -1).replace(/\\\\/gu, "\\").replace(/\\"/gu, '"');
  }
  return text;
}

/**
 * @param {Token[]} tokens
 * @returns {string}
 */
function phrase(tokens) {
  const words = [];
  for (const token of tokens) {
    if (token.kind === "quoted") {
      words.push(unquote(token.text));
    } else if (token.kind !== "comment") {
      words.push(token.text);
    }
  }
  return decodeWords(words.join(" ")).trim();
}

/**
 * The addr-spec inside `<...>`, without comments, spaces or an obsolete route.
 * @param {string} inner
 * @returns {string}
 */
function angleAddr(inner) {
  let spec = inner.replace(COMMENTS, "");
  spec = spec.split(/\s+/u).join("");
  if (spec.startsWith("@") && spec.includes(":")) {
    // RFC 5322 §4.4 obs-route
    spec = spec.slice(spec.indexOf(":") + 1);
  }
  return spec;
}

/**
 * Group words written together; `a . b @ c` (obsolete spacing) stays one run.
 * @param {Token[]} tokens
 * @returns {Token[][]}
 */
function gluedRuns(tokens) {
  /** @type {Token[][]} */
  const runs = [];
  for (const token of tokens) {
    const last = runs.length ? runs[runs.length - 1] : null;
    const joins =
      last !== null &&
      (!token.spaced ||
        "@.".includes(token.text.slice(0, 1)) ||
        "@.".includes(last[last.length - 1].text.slice(-1)));
    if (joins && last) {
      last.push(token);
    } else {
      runs.push([token]);
    }
  }
  return runs;
}

/**
 * @param {string} text
 * @param {string} chars
 * @returns {string}
 */
function stripChars(text, chars) {
  let start = 0;
  let end = text.length;
  while (start < end && chars.includes(text[start])) start += 1;
  while (end > start && chars.includes(text[end - 1])) end -= 1;
  return text.slice(start, end);
}

/**
 * True when `text` holds a `local@domain` not among the keys counted.
 * @param {string} text
 * @param {Set<string>} keys
 * @returns {boolean}
 */
function holdsOther(text, keys) {
  for (const match of text.matchAll(ADDRESS_LIKE)) {
    const at = match[0].indexOf("@");
    const local = match[0].slice(0, at);
    const domain = match[0].slice(at + 1);
    const key = addressKey(makeAddress(stripChars(match[0], "'.")));
    if (stripChars(local, "'") && domain && !keys.has(key)) {
      return true;
    }
  }
  return false;
}

/** Turns the tokens of one header value into addresses. */
class Reader {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
    /** @type {AddressList} */
    this.result = { addresses: [], problems: [], groups: [] };
  }

  /**
   * @param {string} text
   * @param {boolean} [doubtful]
   */
  problem(text, doubtful = false) {
    this.result.problems.push({ text, doubtful });
  }

  /**
   * @param {string} addr
   * @param {string} name
   * @param {string} source
   */
  add(addr, name, source) {
    if (addr.split("@").length - 1 !== 1 && !addr.startsWith('"')) {
      this.problem(`'${addr}' is not a well-formed address`, true);
    }
    const at = addr.lastIndexOf("@");
    const local = at < 0 ? "" : addr.slice(0, at);
    const domain = at < 0 ? "" : addr.slice(at + 1);
    if (!local || !domain) {
      this.problem(`'${addr}' is not a well-formed address`, true);
    }
    this.result.addresses.push(makeAddress(addr, name, source));
  }

  /**
   * One comma-separated entry: `Name <addr>`, `addr (Name)`, or worse.
   * @param {Token[]} tokens
   */
  entry(tokens) {
    if (!tokens.length) {
      return;
    }
    const source = this.text.slice(tokens[0].start, tokens[tokens.length - 1].end).trim();
    const angles = tokens.flatMap((t, i) => (t.kind === "angle" ? [i] : []));
    if (angles.length) {
      this.angleEntry(tokens, angles, source);
      return;
    }
    const words = tokens.filter((t) => t.kind !== "comment");
    const comments = tokens.filter((t) => t.kind === "comment");
    const runs = gluedRuns(words);
    // An "@" only inside quotes is a display name, no mailbox.
    const found = runs.filter((r) => r.some((t) => t.kind !== "quoted" && t.text.includes("@")));
    if (!found.length) {
      if (words.length) {
        const quotedAt = words.some((t) => t.text.includes("@"));
        this.problem(`'${phrase(words)}' has no address; not counted`, quotedAt);
      }
      return;
    }
    if (found.length > 1) {
      this.problem("addresses not separated by commas", true);
    } else if (runs.length > 1) {
      this.problem(`'${source}' has a name but no <> around the address`);
    }
    const name = comments.length ? decodeWords(comments[0].text.slice(1, -1).trim()) : "";
    const clean = found.length === 1 && runs.length === 1;
    for (const run of found) {
      this.add(run.map((t) => t.text).join(""), name, clean ? source : "");
    }
  }

  /**
   * @param {Token[]} tokens
   * @param {number[]} angles
   * @param {string} source
   */
  angleEntry(tokens, angles, source) {
    if (angles.length > 1) {
      this.problem(`'${source}' has several <addresses>`, true);
    }
    const name = phrase(tokens.slice(0, angles[0]));
    const keys = new Set();
    for (const i of angles) {
      const spec = angleAddr(tokens[i].text.slice(1, -1));
      if (spec) {
        this.add(spec, name, angles.length === 1 ? source : "");
        keys.add(addressKey(makeAddress(spec)));
      } else {
        this.problem("an empty <> was skipped");
      }
    }
    // A quoted name holding another address may be addresses a stray quote ate.
    if (tokens.some((t) => t.kind === "quoted" && holdsOther(t.text, keys))) {
      this.problem("a display name holds another address", true);
    }
    // `a@x <b@y>` is a missing comma, `a@x <a@x>` an Outlook-style name.
    const bare = tokens.filter((t) => t.kind === "atom");
    for (const run of gluedRuns(bare)) {
      const addr = stripChars(run.map((t) => t.text).join(""), "'");
      if (addr.includes("@") && !keys.has(addressKey(makeAddress(addr)))) {
        this.problem("addresses not separated by commas", true);
        this.add(addr, "", "");
      }
    }
  }

  /** @returns {AddressList} */
  read() {
    const tokens = tokenise(this.text, this.result.problems);
    /** @type {Token[]} */
    let entry = [];
    let inGroup = false;
    let outlookNoted = false;
    for (const token of tokens) {
      if (token.kind === "sep") {
        this.entry(entry);
        entry = [];
        if (token.text === ";") {
          if (inGroup) {
            inGroup = false;
          } else if (!outlookNoted) {
            this.problem("';' used between addresses (Outlook style)");
            outlookNoted = true;
          }
        }
      } else if (token.kind === "colon") {
        if (inGroup || entry.some((t) => t.kind !== "quoted" && t.text.includes("@"))) {
          this.problem("a stray ':' read as a separator", true);
          this.entry(entry);
        } else {
          this.result.groups.push(phrase(entry));
          inGroup = true;
        }
        entry = [];
      } else {
        entry.push(token);
      }
    }
    this.entry(entry);
    if (inGroup) {
      this.problem("a group without its closing ';'");
    }
    // A stray "(" can turn addresses into a comment that still closes.
    const keys = new Set(this.result.addresses.map(addressKey));
    if (tokens.some((t) => t.kind === "comment" && holdsOther(t.text, keys))) {
      this.problem("a comment holds an address", true);
    }
    if (this.result.problems.some((p) => p.doubtful)) {
      this.countAddressLikeText();
    }
    return this.result;
  }

  /** Fail closed: in a malformed list, anything shaped like an address counts. */
  countAddressLikeText() {
    const keys = new Set(this.result.addresses.map(addressKey));
    let extra = 0;
    // A stray quote may sit inside an address (a"@x) or between two (a@x"b@y).
    const texts = [this.text.replaceAll('"', ""), this.text.replaceAll('"', " ")];
    for (const text of texts) {
      for (const match of text.matchAll(ADDRESS_LIKE)) {
        const addr = normaliseAddr(stripChars(match[0], "'."));
        const key = addressKey({ addr });
        if (addr !== "@" && !keys.has(key)) {
          keys.add(key);
          this.result.addresses.push(makeAddress(addr));
          extra += 1;
        }
      }
    }
    if (extra) {
      this.problem(
        `${extra} more address-like text${extra !== 1 ? "s" : ""} counted because the list is malformed`,
        true,
      );
    }
  }
}

/**
 * Read one To/Cc/Bcc header value (unfolded text) into addresses and problems.
 * @param {string} text the field body, RFC 2047 encoded words still encoded
 * @returns {AddressList} the addresses in order (duplicates kept), groups and problems
 */
export function parseAddressList(text) {
  return new Reader(text).read();
}
