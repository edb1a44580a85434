"""The guard service: the hold engine, the relays, the proxy's submission desk and
the control channel, built together by :class:`Guard` (the composition root)."""

from bccguard.service.errors import GuardError
from bccguard.service.guard import Guard
from bccguard.service.relays import account_password_key, account_relay

__all__ = ["Guard", "GuardError", "account_password_key", "account_relay"]
