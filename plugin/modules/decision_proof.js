/**
 * The proof of a "send as is": a header the desktop app's proxy honours, so the
 * user is not asked twice about the same message.
 *
 * Mirrors `bccguard.core.decision_proof.make_proof`: the header value is
 * `v1; <decisions>; t=<unix minute>; mac=<hex HMAC-SHA256>` over
 * `v1|<decisions>|<unix minute>|<sorted, lower-cased, distinct visible addresses,
 * comma separated>`, keyed with the key the native host gives (never the local
 * secret). `<decisions>` is `as-is` (send as is was chosen here), `delayed` (the
 * Undo send delay was waited here, so the proxy does not wait again),
 * `individually` (send one by one) or several, sorted and comma separated.
 * @module decision_proof
 */

export const DECISION_HEADER = "X-BccGuard-Decision";
export const AS_IS = "as-is";
export const DELAYED = "delayed";
// "Send one by one": the message goes converted to Bcc, and the desktop app's
// proxy sends it one copy per recipient.
export const INDIVIDUALLY = "individually";
const DECISIONS = [AS_IS, DELAYED, INDIVIDUALLY];
const VALUE = /^\s*v1;\s*([a-z-]+(?:,[a-z-]+)*);\s*t=\d{1,12};\s*mac=[0-9a-f]{64}\s*$/u;

/**
 * The decisions as the MAC covers them: sorted, each once.
 * @param {Iterable<string>} decisions
 * @returns {string}
 */
export function decisionsText(decisions) {
  const chosen = [...new Set(decisions)].sort();
  if (chosen.length === 0 || chosen.some((d) => !DECISIONS.includes(d))) {
    throw new Error(`decisions must be some of ${DECISIONS.join(", ")}`);
  }
  return chosen.join(",");
}

/**
 * The decisions a proof header value names (not verified: the proxy does that),
 * or [] when it is not a proof.
 * @param {string | undefined} value
 * @returns {string[]}
 */
export function namedDecisions(value) {
  const match = VALUE.exec(String(value ?? ""));
  return match ? match[1].split(",").filter((d) => DECISIONS.includes(d)) : [];
}

// Python's str.strip() with no argument: the characters str.isspace() accepts.
const PY_SPACE =
  "\\t\\n\\v\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const EDGE_SPACE = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "gu");

/**
 * Compare two strings by code point, as Python's `sorted` does (JavaScript's own
 * comparison goes by UTF-16 unit, which differs above U+FFFF).
 * @param {string} a
 * @param {string} b
 * @returns {number}
 */
function byCodePoint(a, b) {
  const left = [...a];
  const right = [...b];
  const n = Math.min(left.length, right.length);
  for (let i = 0; i < n; i += 1) {
    const diff = /** @type {number} */ (left[i].codePointAt(0)) - /** @type {number} */ (right[i].codePointAt(0));
    if (diff !== 0) {
      return diff;
    }
  }
  return left.length - right.length;
}

/**
 * The text the MAC covers.
 * @param {Iterable<string>} addresses
 * @param {number} minute
 * @param {Iterable<string>} [decisions]
 * @returns {string}
 */
export function canonical(addresses, minute, decisions = [AS_IS]) {
  const people = new Set();
  for (const address of addresses) {
    const stripped = String(address).replace(EDGE_SPACE, "");
    if (stripped) {
      people.add(stripped.toLowerCase());
    }
  }
  return `v1|${decisionsText(decisions)}|${minute}|${[...people].sort(byCodePoint).join(",")}`;
}

/**
 * Bytes from hex text.
 * @param {string} hex
 * @returns {Uint8Array<ArrayBuffer>}
 */
function fromHex(hex) {
  if (typeof hex !== "string" || hex.length === 0 || !/^(?:[0-9a-fA-F]{2})+$/u.test(hex)) {
    throw new Error("the decision key is not hex");
  }
  return Uint8Array.from(hex.match(/../gu) ?? [], (pair) => parseInt(pair, 16));
}

/**
 * The header value proving `decisions` ("send as is" by default) for these
 * visible recipients.
 * @param {string} keyHex the key from the native host, as hex
 * @param {Iterable<string>} addresses the visible (To and Cc) addresses
 * @param {number} nowMs the time, in milliseconds since the epoch
 * @param {SubtleCrypto} [subtle] WebCrypto (the global one by default)
 * @param {Iterable<string>} [decisions] some of "as-is", "delayed", "individually"
 * @returns {Promise<string>}
 */
export async function makeProof(
  keyHex,
  addresses,
  nowMs,
  subtle = globalThis.crypto.subtle,
  decisions = [AS_IS],
) {
  const text = decisionsText(decisions);
  const minute = Math.floor(nowMs / 60000);
  const key = await subtle.importKey(
    "raw",
    fromHex(keyHex),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signed = new TextEncoder().encode(canonical(addresses, minute, decisions));
  const mac = await subtle.sign("HMAC", key, signed);
  const hex = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `v1; ${text}; t=${minute}; mac=${hex}`;
}

/**
 * The compose window's custom headers with the proof in place of any older one.
 * @param {{name: string, value: string}[] | undefined} existing
 * @param {string} value
 * @returns {{name: string, value: string}[]}
 */
export function withProofHeader(existing, value) {
  const others = (Array.isArray(existing) ? existing : []).filter(
    (header) => String(header?.name).toLowerCase() !== DECISION_HEADER.toLowerCase(),
  );
  return [...others, { name: DECISION_HEADER, value }];
}
