"""The libmilter binding (pymilter): one ``GuardFilter`` per SMTP connection.

Thin by design: each callback collects what Postfix says and the end of the
message asks the shared :class:`~bccguard.milter.desk.MilterDesk`. The body is
never asked for (``@nocallback``): the check needs only the header block, so a
50 MB message costs the milter no more than its headers. Any error inside a
callback is a temporary failure for that message (Postfix tells the client 4xx),
never a crash of the milter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

import Milter

from bccguard.milter.decision import MilterAction
from bccguard.milter.desk import Answer, MilterDesk
from bccguard.milter.message_head import MessageHead

log = logging.getLogger(__name__)

_F = TypeVar("_F", bound=Callable[..., int])
# pymilter's replies and decorators, typed (the library has no annotations).
CONTINUE = cast(int, Milter.CONTINUE)
ACCEPT = cast(int, Milter.ACCEPT)
REJECT = cast(int, Milter.REJECT)
TEMPFAIL = cast(int, Milter.TEMPFAIL)
noreply = cast(Callable[[_F], _F], Milter.noreply)
as_bytes = cast(Callable[[_F], _F], Milter.decode("bytes"))


def _address(value: str) -> str:
    """An SMTP path without its brackets (RFC 5321 §4.1.2)."""
    return value.strip().removeprefix("<").removesuffix(">").strip()


class GuardFilter(Milter.Base):  # type: ignore[misc]
    """One connection's callbacks (libmilter calls them on one thread)."""

    def __init__(self, desk: MilterDesk) -> None:
        self._desk = desk
        self._client = ""
        self._head = MessageHead()
        self._checked = False

    @noreply
    def connect(self, hostname: str, family: int, hostaddr: Any) -> int:
        """Remember the client's address (trusted networks)."""
        if isinstance(hostaddr, tuple) and hostaddr:
            self._client = str(hostaddr[0])
        return CONTINUE

    def envfrom(self, mail_from: str, *params: str) -> int:
        """A new message: is it one the milter checks?"""
        try:
            self._head = MessageHead(mail_from=_address(mail_from))
            authenticated = bool(self.getsymval("{auth_authen}"))
            self._checked = self._desk.checks(authenticated, self._client)
        except Exception:
            log.exception("MAIL FROM could not be read")
            return TEMPFAIL
        return CONTINUE

    @noreply
    def envrcpt(self, recipient: str, *params: str) -> int:
        """One envelope recipient."""
        self._head.recipients.append(_address(recipient))
        return CONTINUE

    def data(self) -> int:
        """DATA: nothing to decide yet, but a reply. Without one, Postfix's next
        write (the first header, from its cleanup) waits behind the unanswered
        DATA-stage macros for the milter host's delayed ACK: about 40 ms a
        message over TCP (Nagle's algorithm, RFC 896, meeting RFC 1122's delayed
        acknowledgements); the reply carries the ACK at once."""
        return CONTINUE

    @noreply
    @as_bytes
    def header(self, name: str, value: bytes) -> int:
        """One header field, as bytes (the check decodes encoded words itself)."""
        self._head.add_field(name, value)
        return CONTINUE

    def eom(self) -> int:
        """The end of the message: decide and tell Postfix."""
        queue_id = str(self.getsymval("i") or "")
        try:
            answer = self._desk.answer(self._head, queue_id, checked=self._checked)
            return self._apply(answer)
        except Exception:
            log.exception("%s could not be checked; Postfix answers 4xx", queue_id)
            self.setreply(
                "451", "4.3.0", "BccGuard could not check the message; try again later"
            )
            return TEMPFAIL
        finally:
            self._head = MessageHead()

    def _apply(self, answer: Answer) -> int:
        if answer.tempfail:
            self.setreply(
                "451", "4.3.0", "BccGuard could not hold the message; try again later"
            )
            return TEMPFAIL
        if answer.reply is not None:
            code, enhanced, text = answer.reply
            self.setreply(code, enhanced, text)
            return REJECT
        for edit in answer.edits:
            if edit.index is None:
                self.addheader(edit.name, edit.value, edit.position)
            else:
                self.chgheader(edit.name, edit.index, edit.value)
        if answer.action is MilterAction.HOLD:
            self.quarantine(answer.quarantine)
        return ACCEPT

    def abort(self) -> int:
        """The client gave up on this message."""
        self._head = MessageHead()
        return CONTINUE
