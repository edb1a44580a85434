"""The guard service's one error root."""

from __future__ import annotations


class GuardError(Exception):
    """A request the guard cannot carry out, with a message for the user."""
