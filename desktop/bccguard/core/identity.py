"""One person, one key: the identity rule by which addresses are counted and compared.

The key of ``local@domain`` is ``local_key(local) + "@" + ascii_domain(domain)``:

* the domain in the ASCII form of IDNA UTS #46, non-transitional (``faß.de`` stays
  apart from ``fass.de``; ``BÜCHER.DE`` is ``xn--bcher-kva.de``), then lower case;
  a domain UTS #46 cannot map is compared in lower case, NFC;
* the local part in Unicode default lower case (``str.lower``: ``ẞ`` is ``ß``, a
  final capital sigma is ``ς``; never ``casefold``, which makes ``ß`` into ``ss``),
  NFC, and a quoted local part by its content (RFC 5322 §3.4.1).

RFC 5321 §2.4 lets a server treat local parts case-sensitively; virtually every
provider folds them, and counting ``Bob@`` and ``bob@`` as two people would hold
mail that shows one. Keys are for counting only: what BccGuard writes and relays
keeps the address as the user wrote it. ``plugin/modules/address_list.js`` applies
the same rule; ``tests/data/shared_vectors.json`` pins it on both sides.
"""

from __future__ import annotations

import re
import unicodedata

import idna

# Code points a WHATWG URL host may not hold (the plugin maps domains with URL).
_FORBIDDEN_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
_NUMBER_LABEL = re.compile(r"[0-9]+|0[xX][0-9A-Fa-f]*")
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_JOINERS = "\u200c\u200d"  # ZERO WIDTH NON-JOINER, ZERO WIDTH JOINER


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _lenient_uts46(domain: str) -> str:
    """UTS #46 without IDNA2008's stricter validity (what a WHATWG URL accepts).

    The ``idna`` package also applies IDNA2008's rules, which refuse symbols such
    as emoji, and hyphens at a label's end, that UTS #46 maps and browsers (and
    Thunderbird) accept; this step gives those the form the plugin gives them,
    with the checks a URL makes (no leading combining mark, joiners only where
    RFC 5892 allows them, the bidi rule).

    Raises:
        UnicodeError: the domain has no such form.
    """
    mapped = idna.uts46_remap(domain, std3_rules=False, transitional=False)
    if _FORBIDDEN_HOST.search(mapped):
        raise UnicodeError(domain)
    labels = mapped.split(".")
    for label in labels:
        if label.isascii():
            continue
        idna.check_initial_combiner(label)
        idna.check_bidi(label)
        for pos, char in enumerate(label):
            if char in _JOINERS and not idna.valid_contextj(label, pos):
                raise UnicodeError(domain)
    return ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode()
        for label in labels
    )


def _uts46(domain: str) -> str:
    """The UTS #46 ASCII form of a Unicode domain.

    Raises:
        UnicodeError: UTS #46 cannot map it, or (as a URL host) it ends in a number.
    """
    try:
        mapped = idna.encode(domain, uts46=True, transitional=False).decode("ascii")
    except UnicodeError:  # idna.IDNAError is one
        mapped = _lenient_uts46(domain)
    if _NUMBER_LABEL.fullmatch(mapped.rpartition(".")[2]):
        raise UnicodeError(domain)
    return mapped.lower()


def ascii_domain(domain: str) -> str:
    """The domain as compared: UTS #46 ASCII form, lower case, no final dot."""
    domain = domain.rstrip(".")
    if domain.isascii():
        return domain.lower()
    try:
        return _uts46(domain)
    except UnicodeError:
        return _nfc(domain.lower())


def local_key(local: str) -> str:
    """The local part as compared: its content, lower case, NFC."""
    if len(local) >= 2 and local[0] == local[-1] == '"':
        local = _QUOTED_PAIR.sub(r"\1", local[1:-1])
    return _nfc(local.lower())


def address_key(addr: str) -> str:
    """The identity of ``addr`` for counting people (see the module's rule)."""
    local, _, domain = addr.rpartition("@")
    return f"{local_key(local)}@{ascii_domain(domain)}"


def normalise_addr(addr: str) -> str:
    """``local@Domain.`` -> ``local@domain``, for showing; the local part as written.

    Only an ASCII domain is lower-cased here: a Unicode one is kept as written, so
    that its key is made by UTS #46 from what the user wrote (``str.lower`` first
    would turn a final ``Σ`` into ``ς``, which UTS #46 maps to ``σ``).
    """
    local, at, domain = addr.rpartition("@")
    if not at:
        return addr
    domain = domain.rstrip(".")
    return f"{local}@{domain.lower() if domain.isascii() else domain}"
