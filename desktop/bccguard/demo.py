"""The demo's sample mass mail: the mistake BccGuard exists to stop."""

from __future__ import annotations

import smtplib
from email.header import Header
from email.utils import formatdate, make_msgid

from bccguard.core.settings import LOOPBACK_HOST
from bccguard.i18n import tr

DEMO_SENDER = "you@bccguard-demo.example"
_NAMES = [
    "Alice Rossi",
    "Bob Smith",
    "Chiara Bianchi",
    "David Jones",
    "Elena Greco",
    "Frank Miller",
    "Giulia Ricci",
    "Hannah Brown",
    "Ivan Petrov",
    "Julia Costa",
    "Karl Weber",
    "Laura Conti",
    "Marco Gallo",
    "Nina Novak",
    "Oscar Diaz",
    "Paola Romano",
    "Quentin Blake",
    "Rita Moretti",
    "Sam Wilson",
    "Tina Fontana",
    "Umberto Leone",
    "Vera Lima",
    "Walter Colombo",
    "Xenia Sala",
    "Yuri Mancini",
]
_DOMAINS = ["gmail.com", "libero.it", "outlook.com", "example.org", "yahoo.com"]


def sample_mass_mail(count: int = 25) -> bytes:
    """A season's greetings sent with everyone in To and Cc."""
    people = [
        (
            name,
            f"{name.split()[0].lower()}.{name.split()[1].lower()}@"
            f"{_DOMAINS[i % len(_DOMAINS)]}",
        )
        for i, name in enumerate((_NAMES * (count // len(_NAMES) + 1))[:count])
    ]
    half = len(people) // 2
    to = ", ".join(f"{n} <{a}>" for n, a in people[:half])
    cc = ", ".join(f"{n} <{a}>" for n, a in people[half:])
    # In the user's language, like everything else the demo shows; "You" is a
    # name (the apology guesses it from you@...), not a word to translate.
    subject = tr("Season's greetings from all of us")
    lines = [
        f"From: You <{DEMO_SENDER}>",
        f"To: {to}",
        f"Cc: {cc}",
        f"Subject: {_header_text(subject)}",
        f"Date: {formatdate(localtime=True)}",
        f"Message-ID: {make_msgid(domain='bccguard-demo.example')}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        tr("Dear friends,"),
        "",
        tr("warm wishes for the holidays and a happy new year!"),
        "",
        "You",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


def _header_text(text: str) -> str:
    """``text`` as it goes in a header: an encoded word unless it is ASCII."""
    return text if text.isascii() else Header(text, "utf-8").encode()  # RFC 2047


def recipients_of(data: bytes) -> list[str]:
    """Every To/Cc address of a sample message (what a mail client puts in RCPT TO)."""
    from bccguard.core.message import read_message  # noqa: PLC0415

    return [a.addr for a in read_message(data).visible]


def send_sample(port: int, secret: str, count: int = 25, timeout: float = 100.0) -> str:
    """Submit the sample mass mail to the proxy as a mail client would.

    Returns:
        The proxy's reply to DATA, e.g. ``250 ...`` or ``451 ...``.
    """
    data = sample_mass_mail(count)
    with smtplib.SMTP(LOOPBACK_HOST, port, timeout=timeout) as client:
        client.login("bccguard", secret)
        client.mail(DEMO_SENDER)
        for rcpt in recipients_of(data):
            client.rcpt(rcpt)
        code, text = client.data(data)
    return f"{code} {text.decode('utf-8', 'replace')}"
