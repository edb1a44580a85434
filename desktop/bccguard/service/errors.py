"""The guard service's one error root, and why the guard may not listen."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from enum import Enum

from bccguard.core.phrase import N_, Phrase


class GuardError(Exception):
    """A request the guard cannot carry out, with a message for the user."""


class ListenProblem(Enum):
    """Why the proxy cannot listen on its port."""

    PORT_TAKEN = "port-taken"  # another program listens there
    NOT_ALLOWED = "not-allowed"  # the system refuses (a port below 1024, say)
    OTHER = "other"

    @classmethod
    def of(cls, code: int | None) -> ListenProblem:
        """The problem an ``OSError.errno`` stands for."""
        if code == errno.EADDRINUSE:
            return cls.PORT_TAKEN
        if code in (errno.EACCES, errno.EPERM):
            return cls.NOT_ALLOWED
        return cls.OTHER


_SENTENCE_TEXT = {
    ListenProblem.PORT_TAKEN: N_(
        "Another program already uses port {port} on this computer, so mail "
        "programs cannot reach BccGuard."
    ),
    ListenProblem.NOT_ALLOWED: N_(
        "This computer does not let BccGuard use port {port}, so mail programs "
        "cannot reach BccGuard."
    ),
    ListenProblem.OTHER: N_(
        "BccGuard cannot use port {port} on this computer, so mail programs cannot "
        "reach BccGuard."
    ),
}


@dataclass(frozen=True, slots=True)
class ListenFailure:
    """The proxy does not listen: on which port, and why."""

    port: int
    problem: ListenProblem

    @property
    def sentence(self) -> Phrase:
        """What happened, for people."""
        return Phrase(_SENTENCE_TEXT[self.problem], port=self.port)


class GuardStartError(GuardError):
    """The proxy cannot listen; ``failure`` says where and why."""

    def __init__(self, failure: ListenFailure) -> None:
        super().__init__(failure.sentence)
        self.failure = failure
