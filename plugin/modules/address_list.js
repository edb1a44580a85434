/**
 * Reading a recipient header (To, Cc, Bcc, Resent-*) into addresses, never short.
 *
 * The same reader as the desktop app's `bccguard.core.address_list`: every
 * `local@domain` found outside quoted display names and comments is a mailbox, and
 * each irregularity is reported as a problem, `doubtful` where the count itself may
 * be off. It counts what a reader sees as well: an address shown in a display name,
 * a comment, a group name or a bare word (encoded-words decoded) counts as one more
 * person and makes the count doubtful; so, in a malformed list, does any
 * address-like text. The identity rule (`addressKey`) is `bccguard.core.identity`'s.
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
// Anything around an "@", wherever it stands.
const ADDRESS_LIKE = /[^\s<>()[\],;:"@]*@[^\s<>()[\],;:"]*/gu;
const ENCODED_WORD = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/gu;
// RFC 2047 §6.2: white space between two encoded-words is not shown.
const BETWEEN_WORDS = /(\?=)\s+(?==\?)/gu;
const ASCII = /^[\x00-\x7f]*$/u;
// Code points a URL host may not hold: such a domain is no host at all.
const FORBIDDEN_HOST = /[\x00-\x20#%/:<>?@[\\\]^|\x7f]/u;
/** @type {Record<string, string>} */
const STRAY_TEXT = {
  '"': "an unterminated quote",
  "<": "a '<' without its '>'",
  ">": "a stray '>'",
  ")": "a stray ')'",
};

/**
 * @param {string} text
 * @returns {boolean}
 */
function isAscii(text) {
  return ASCII.test(text);
}

/**
 * @param {string} text
 * @returns {string}
 */
function nfc(text) {
  return isAscii(text) ? text : text.normalize("NFC");
}

/**
 * The domain as compared: the ASCII form of IDNA UTS #46 (non-transitional), lower
 * case, no final dot; a domain UTS #46 cannot map is compared in lower case, NFC.
 *
 * `new URL()` maps a host by UTS #46 non-transitional in Thunderbird and in Node
 * (both checked: `faß.de` is `xn--fa-hia.de`); node:url's `domainToASCII` does the
 * same but exists only in Node, and this module runs in Thunderbird.
 * @param {string} domain
 * @returns {string}
 */
export function asciiDomain(domain) {
  const bare = domain.replace(/\.+$/u, "");
  if (isAscii(bare)) {
    return bare.toLowerCase();
  }
  // Unicode 15.1's UTS #46 maps capital sharp s to ß, as Thunderbird 153 and the
  // desktop app do; older tables (Node 20's URL) map it to "ss" (UTC action
  // 176-A99, https://github.com/unicode-org/unicodetools/pull/511).
  const host = bare.replaceAll("\u1e9e", "\u00df");
  if (!FORBIDDEN_HOST.test(host)) {
    try {
      return new URL(`http://${host}/`).hostname.toLowerCase();
    } catch {
      // not a host UTS #46 can map
    }
  }
  return nfc(bare.toLowerCase());
}

/**
 * The local part as compared: its content (RFC 5322 §3.4.1), lower case, NFC.
 * Unicode default lower case, as Python's `str.lower`: never a case fold (ß stays ß).
 * @param {string} local
 * @returns {string}
 */
export function localKey(local) {
  const content =
    local.length >= 2 && local.startsWith('"') && local.endsWith('"')
      ? local.slice(1, -1).replace(/\\([\s\S])/gu, "$1")
      : local;
  return nfc(content.toLowerCase());
}

/**
 * `local@Domain.` -> `local@domain`, for showing; the local part as written. Only an
 * ASCII domain is lower-cased: a Unicode one keeps what was written, for UTS #46.
 * @param {string} addr
 * @returns {string}
 */
export function normaliseAddr(addr) {
  const at = addr.lastIndexOf("@");
  if (at < 0) {
    return addr;
  }
  const domain = addr.slice(at + 1).replace(/\.+$/u, "");
  return `${addr.slice(0, at)}@${isAscii(domain) ? domain.toLowerCase() : domain}`;
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
 * The domain of an address, lower-cased, for showing and grouping.
 * @param {{addr: string}} address
 * @returns {string}
 */
export function domainOf(address) {
  return address.addr.slice(address.addr.lastIndexOf("@") + 1).toLowerCase();
}

/**
 * One person, one key: the identity by which addresses are counted and compared.
 * @param {{addr: string}} address
 * @returns {string}
 */
export function addressKey(address) {
  const at = address.addr.lastIndexOf("@");
  const local = at < 0 ? "" : address.addr.slice(0, at);
  return `${localKey(local)}@${asciiDomain(address.addr.slice(at + 1))}`;
}

/**
 * The bytes of one encoded-word's text (B: forgiving base64, as `atob`; Q: RFC
 * 2047 §4.2), or null when it is not ASCII or not base64.
 * @param {string} encoding
 * @param {string} data
 * @returns {Uint8Array | null}
 */
function wordBytes(encoding, data) {
  if (!isAscii(data)) {
    return null;
  }
  const binary =
    encoding.toUpperCase() === "B"
      ? atob(data)
      : data
          .replace(/_/gu, " ")
          .replace(/=([0-9A-Fa-f]{2})/gu, (_m, /** @type {string} */ h) =>
            String.fromCharCode(parseInt(h, 16)),
          );
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * One encoded-word decoded, or as written when it does not decode.
 * @param {string} word
 * @param {string} charset
 * @param {string} encoding
 * @param {string} data
 * @returns {string}
 */
function decodeWord(word, charset, encoding, data) {
  try {
    const bytes = wordBytes(encoding, data);
    if (bytes === null) {
      return word;
    }
    // RFC 2231 §5: charset*language.
    const decoder = new TextDecoder(charset.split("*")[0], { fatal: true, ignoreBOM: true });
    return decoder.decode(bytes);
  } catch {
    return word;
  }
}

/**
 * Text as a reader sees it: every encoded-word decoded on its own (one that does not
 * decode stays as written), then compatibility forms folded (NFKC: a full-width "＠"
 * is an "@" to the eye). Mirrors `bccguard.core.encoded_words.shown_text`.
 * @param {string} text
 * @returns {string}
 */
export function shownText(text) {
  let shown = text;
  if (shown.includes("=?")) {
    shown = shown.replace(BETWEEN_WORDS, "$1").replace(ENCODED_WORD, decodeWord);
  }
  return isAscii(shown) ? shown : shown.normalize("NFKC");
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
 * A token's text as a reader sees it.
 * @param {Token} token
 * @returns {string}
 */
function tokenShown(token) {
  return shownText(token.kind === "quoted" ? unquote(token.text) : token.text);
}

/**
 * Address-like words in `text`; even a lone `x@` or `@domain` (a stray quote may have
 * split `p"@x` apart), but not an `@` on its own.
 * @param {string} text
 * @returns {string[]}
 */
function shownAddresses(text) {
  return [...text.matchAll(ADDRESS_LIKE)].map((m) => stripChars(m[0], "'.")).filter((a) => a !== "@");
}

/**
 * The keys of `addresses`, also as a reader sees them (NFKC).
 * @param {Address[]} addresses
 * @returns {Set<string>}
 */
function seenKeys(addresses) {
  const keys = new Set(addresses.map(addressKey));
  for (const address of addresses) {
    keys.add(addressKey({ addr: shownText(address.addr) }));
  }
  return keys;
}

/**
 * True when the `texts` show an address that is not one of the `keys`.
 * @param {string[]} texts
 * @param {Set<string>} keys
 * @returns {boolean}
 */
function showsOther(texts, keys) {
  return texts.some((t) => shownAddresses(t).some((a) => !keys.has(addressKey({ addr: a }))));
}

/** Turns the tokens of one header value into addresses. */
class Reader {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
    /** @type {AddressList} */
    this.result = { addresses: [], problems: [], groups: [] };
    /** @type {string[]} what a reader sees outside the mailboxes */
    this.texts = [];
    /** @type {string[]} */
    this.comments = [];
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
   * Record what a reader sees of `tokens` (not mailboxes); returns their names' texts.
   * @param {Token[]} tokens
   * @returns {string[]}
   */
  shown(tokens) {
    const names = [];
    for (const token of tokens) {
      if (token.kind === "angle") {
        const inner = (token.text.match(COMMENTS) ?? []).map(shownText);
        this.texts.push(...inner);
        this.comments.push(...inner);
        continue;
      }
      const text = tokenShown(token);
      this.texts.push(text);
      if (token.kind === "comment") {
        this.comments.push(text);
      } else {
        names.push(text);
      }
    }
    return names;
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
    const mailboxTokens = new Set(found.flat());
    const names = this.shown(tokens.filter((t) => !mailboxTokens.has(t)));
    if (!found.length) {
      if (words.length && showsOther(names, new Set())) {
        this.problem(`'${phrase(words)}' shows an address but is none; counted`, true);
      } else if (words.length) {
        this.problem(`'${phrase(words)}' has no address; not counted`);
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
    if (showsOther(names, seenKeys(this.result.addresses.slice(-found.length)))) {
      this.problem("a display name holds another address", true);
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
    const first = this.result.addresses.length;
    for (const i of angles) {
      const spec = angleAddr(tokens[i].text.slice(1, -1));
      if (spec) {
        this.add(spec, name, angles.length === 1 ? source : "");
      } else {
        this.problem("an empty <> was skipped");
      }
    }
    // `a@x <b@y>` is a missing comma, `a@x <a@x>` an Outlook-style name.
    const keys = seenKeys(this.result.addresses.slice(first));
    const bare = tokens.filter((t) => t.kind === "atom");
    for (const run of gluedRuns(bare)) {
      const addr = stripChars(run.map((t) => t.text).join(""), "'");
      if (addr.includes("@") && !keys.has(addressKey(makeAddress(addr)))) {
        this.problem("addresses not separated by commas", true);
        this.add(addr, "", "");
      }
    }
    // A name holding another address may be addresses a stray quote ate.
    const names = this.shown(tokens);
    if (showsOther(names, seenKeys(this.result.addresses.slice(first)))) {
      this.problem("a display name holds another address", true);
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
          // A group named like an address: a stray quote may have turned a list of
          // addresses into the group's name.
          if (showsOther(this.shown(entry), new Set())) {
            this.problem("a group name holds an address", true);
          }
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
    if (showsOther(this.comments, seenKeys(this.result.addresses))) {
      this.problem("a comment holds an address", true);
    }
    this.countShownText();
    return this.result;
  }

  /**
   * Count every address a reader sees outside the mailboxes; in a malformed list
   * (fail closed), anything shaped like an address anywhere in it.
   */
  countShownText() {
    const keys = seenKeys(this.result.addresses);
    const texts = [...this.texts];
    if (this.result.problems.some((p) => p.doubtful)) {
      // A stray quote may sit inside an address (a"@x) or between two (a@x"b@y).
      texts.push(shownText(this.text.replaceAll('"', "")), shownText(this.text.replaceAll('"', " ")));
    }
    let extra = 0;
    for (const text of texts) {
      for (const found of shownAddresses(text)) {
        const address = makeAddress(found);
        const key = addressKey(address);
        if (!keys.has(key)) {
          keys.add(key);
          this.result.addresses.push(address);
          extra += 1;
        }
      }
    }
    if (extra) {
      this.problem(`${extra} more address-like text${extra !== 1 ? "s" : ""} counted`, true);
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
