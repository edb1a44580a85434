"""One SMTP mail transaction on an open smtplib connection: MAIL, RCPT, DATA.

Pipelined (RFC 2920) when the server offers it, which saves two round trips a
message to a distant server; one command at a time otherwise. The replies are
kept as the server gave them, so the mail client can be shown upstream's own
words. Connection-level failures (a reset, a timeout, a server that hangs up)
are raised as smtplib or OS errors for the caller to turn into a reply.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# Commands written in one go before their replies are read: enough for any
# per-message recipient limit in use, small enough never to fill a socket buffer.
PIPELINE_GROUP = 100

_DATA_PIECE = 1 << 20
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


class StaleConnection(Exception):
    """A kept connection the server had already closed: nothing was sent on it,
    so the transaction can be started again on a new connection."""


@dataclass(frozen=True, slots=True)
class TransactionReply:
    """Upstream's final word on one transaction, and the recipients it refused."""

    code: int
    text: str
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)


def reply_text(reply: bytes | str) -> str:
    """Decode a server reply for people; multi-line replies become one line."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())


def transact(
    conn: smtplib.SMTP,
    mail_from: str,
    recipients: Sequence[str],
    data: bytes,
    options: Sequence[str],
    *,
    reused: bool = False,
    before_final_dot: Callable[[], None] | None = None,
    final_reply_timeout: float | None = None,
) -> TransactionReply:
    """Send one message to `recipients`; the server's final reply comes back.

    Args:
        conn: A connection that has greeted, secured and logged in.
        mail_from: The envelope sender ("" for a null reverse-path).
        recipients: The envelope recipients of this transaction.
        data: The message bytes (dot-stuffing is done here).
        options: MAIL FROM parameters the server understands.
        reused: The connection was kept from an earlier message; a server that
            has hung up on it since raises `StaleConnection`.
        before_final_dot: Called just before the final dot is sent; what it
            raises stops the transaction there.
        final_reply_timeout: Seconds to wait for the reply to the final dot
            (RFC 5321 §4.5.3.2.6 allows the server 10 minutes).

    Raises:
        StaleConnection: `reused`, and the server had gone (or said goodbye in
            its answer to MAIL): nothing of the message was sent.
        smtplib.SMTPException, OSError: The connection failed midway.
        ValueError: An address or option would put a line break in a command.
    """
    if any(option.upper() == "SMTPUTF8" for option in options):
        conn.command_encoding = "utf-8"
    mail = f"FROM:{smtplib.quoteaddr(mail_from)}" + "".join(f" {o}" for o in options)
    rcpts = [f"TO:{smtplib.quoteaddr(rcpt)}" for rcpt in recipients]
    for argument in (mail, *rcpts):
        if "\r" in argument or "\n" in argument:
            raise ValueError("an address or option holds a line break")
    if conn.has_extn("pipelining"):
        mail_reply, rcpt_replies, data_reply = _pipelined(conn, mail, rcpts, reused)
    else:
        mail_reply, rcpt_replies, data_reply = _in_turn(conn, mail, rcpts, reused)
    ending = _Ending(before_final_dot, final_reply_timeout)
    return _finish(conn, recipients, data, mail_reply, rcpt_replies, data_reply, ending)


_Reply = tuple[int, bytes]


def _first_reply(conn: smtplib.SMTP, reused: bool) -> _Reply:
    """Read MAIL's reply; on a kept connection, anything but 250 counts as stale.

    A server that timed the idle connection out has closed it, often after a
    goodbye (421, or 451 from some) that is read only now. A sender refused
    for real is refused again on the new connection: nothing was sent either
    way. A timeout is not staleness: the server is slow, not gone.
    """
    try:
        code, reply = conn.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as e:
        if reused and not _timed_out(e):
            raise StaleConnection from e
        raise
    if code != 250 and reused:
        conn.close()
        raise StaleConnection
    return code, reply


def _send_commands(conn: smtplib.SMTP, commands: list[str], reused: bool) -> None:
    try:
        conn.send("".join(f"{command}\r\n" for command in commands))
    except (smtplib.SMTPServerDisconnected, OSError) as e:
        if reused and not _timed_out(e):
            raise StaleConnection from e
        raise


def _timed_out(error: BaseException) -> bool:
    """A timeout, bare or as smtplib wraps it (a disconnect caused by one)."""
    return isinstance(error, TimeoutError) or isinstance(
        error.__context__, TimeoutError
    )


_Answer = _Reply | None  # None: the server hung up before answering


def _pipelined(
    conn: smtplib.SMTP, mail: str, rcpts: list[str], reused: bool
) -> tuple[_Reply, list[_Answer], _Answer]:
    """MAIL, every RCPT and DATA written in groups, replies read after each.

    A server may answer and hang up (after a 421, or a refusal it means): the
    replies read by then are kept, and the commands after them go unanswered.
    """
    commands = [f"MAIL {mail}", *(f"RCPT {rcpt}" for rcpt in rcpts), "DATA"]
    replies: list[_Answer] = []
    for start in range(0, len(commands), PIPELINE_GROUP):
        group = commands[start : start + PIPELINE_GROUP]
        _send_commands(conn, group, reused and start == 0)
        for _ in group:
            if not replies:
                replies.append(_first_reply(conn, reused))
                continue
            try:
                replies.append(conn.getreply())
            except smtplib.SMTPServerDisconnected as e:
                if _timed_out(e):
                    raise
                conn.close()
                replies += [None] * (len(commands) - len(replies))
                break
        if conn.sock is None:
            break
    mail_reply = replies[0]
    assert mail_reply is not None  # the first reply is read or raises
    return mail_reply, replies[1:-1], replies[-1]


def _in_turn(
    conn: smtplib.SMTP, mail: str, rcpts: list[str], reused: bool
) -> tuple[_Reply, list[_Answer], _Answer]:
    """One command, one reply; DATA only when someone is left to send to."""
    _send_commands(conn, [f"MAIL {mail}"], reused)
    mail_reply = _first_reply(conn, reused)
    if mail_reply[0] != 250:
        return mail_reply, [], None
    rcpt_replies: list[_Answer] = []
    for rcpt in rcpts:
        rcpt_replies.append(conn.docmd("RCPT", rcpt))
    if not any(_accepted(answer) for answer in rcpt_replies):
        return mail_reply, rcpt_replies, None
    return mail_reply, rcpt_replies, conn.docmd("DATA")


def _accepted(answer: _Answer) -> bool:
    return answer is not None and answer[0] in (250, 251)


_UNANSWERED = (421, "the server hung up before answering")


class _Ending:
    """What happens around the final dot: the caller's hook, the long wait."""

    def __init__(
        self, before: Callable[[], None] | None, reply_timeout: float | None
    ) -> None:
        self.before = before
        self.reply_timeout = reply_timeout


def _finish(
    conn: smtplib.SMTP,
    recipients: Sequence[str],
    data: bytes,
    mail_reply: _Reply,
    rcpt_replies: list[_Answer],
    data_reply: _Answer,
    ending: _Ending,
) -> TransactionReply:
    code, reply = mail_reply
    if code != 250:
        _end(conn, data_reply, code)
        return TransactionReply(code, reply_text(reply))
    refused: dict[str, tuple[int, str]] = {}
    for rcpt, answer in zip(recipients, rcpt_replies, strict=True):
        if answer is None:
            refused[rcpt] = _UNANSWERED
        elif not _accepted(answer):
            refused[rcpt] = (answer[0], reply_text(answer[1]))
    if not any(_accepted(answer) for answer in rcpt_replies):
        # The same address twice counts once in `refused`: ask the replies.
        closing = any(c == 421 for c, _ in refused.values()) or conn.sock is None
        _end(conn, data_reply, 421 if closing else 0)
        code, text = _most_hopeful(refused)
        return TransactionReply(code, text, refused)
    if data_reply is None:  # someone was accepted, and then the server left
        raise smtplib.SMTPServerDisconnected("connection closed before DATA's reply")
    code, reply = data_reply
    if code == 354:
        code, reply = _stream_data(conn, data, ending)
    if code != 250:
        reset(conn, code)
    return TransactionReply(code, reply_text(reply), refused)


def _end(conn: smtplib.SMTP, data_reply: _Answer, code: int) -> None:
    """Abort a transaction nobody is left in. A server that said 354 to a
    pipelined DATA anyway gets an empty message ended at once (RFC 2920 §3.1)."""
    if data_reply is not None and data_reply[0] == 354:
        conn.send(b".\r\n")
        conn.getreply()
    reset(conn, code)


def _most_hopeful(refused: dict[str, tuple[int, str]]) -> tuple[int, str]:
    """Pick the reply for a batch whose recipients were all refused.

    A temporary refusal wins: trying again later may still deliver.
    """
    replies = list(refused.values())
    return next((r for r in replies if 400 <= r[0] < 500), replies[0])


def reset(conn: smtplib.SMTP, code: int) -> None:
    """Abort the transaction; after 421 the server is closing (RFC 5321 §3.8)."""
    if code == 421:
        conn.close()
        return
    try:
        conn.rset()
    except (smtplib.SMTPException, OSError):
        conn.close()


def _stream_data(conn: smtplib.SMTP, data: bytes, ending: _Ending) -> _Reply:
    """The message after 354, streamed in pieces and dot-stuffed (RFC 5321 §4.5.2)
    piece by piece: smtplib's ``data()`` makes two more whole copies of it."""
    start = 0
    size = len(data)
    end_mark = b".\r\n" if data.endswith(b"\r\n") else b"\r\n.\r\n"
    while True:
        cut = data.find(b"\n", min(start + _DATA_PIECE, size) - 1)
        end = size if cut < 0 else cut + 1
        piece = _LEADING_DOT.sub(b"..", data[start:end])  # each piece starts a line
        if end >= size:
            # The end mark goes with the last piece: a separate small write would
            # wait for the delayed ACK of the one before (Nagle), 40 ms a message.
            if ending.before is not None:
                ending.before()
            conn.send(piece + end_mark)
            break
        conn.send(piece)
        start = end
    if ending.reply_timeout is None or conn.sock is None:
        return conn.getreply()
    usual = conn.sock.gettimeout()
    conn.sock.settimeout(ending.reply_timeout)
    try:
        return conn.getreply()
    finally:
        if conn.sock is not None:
            conn.sock.settimeout(usual)
