"""One relay per account, each with its own workers: the only way mail leaves.

Every path (a passing message, a released one, the IMAP outbox, an apology) sends
through :meth:`Relays.send`, which puts the message in its outgoing form (no Bcc
field, CRLF only) first. Each account has its own small pool of threads, so a slow
server delays only its own account's mail, never another account's or the control
channel.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from bccguard.adapters.oauth2_client import OAuthConfigError
from bccguard.adapters.oauth2_tokens import account_tokens
from bccguard.adapters.secrets import SecretStore
from bccguard.adapters.send_budget_log import SendBudgetLog
from bccguard.adapters.smtp_relay import (
    AfterBatch,
    BatchOutcome,
    BeforeFinalDot,
    RelayConfigError,
    RelayResult,
    SmtpRelay,
    TlsMode,
    UpstreamConfig,
)
from bccguard.core.held import Delivery
from bccguard.core.outgoing import outgoing_form
from bccguard.core.phrase import Phrase
from bccguard.core.send_budget import OTHER_LIMIT
from bccguard.core.settings import Account, Settings
from bccguard.service.errors import GuardError

log = logging.getLogger(__name__)

# Seconds an upstream connection stays open for the next message (a burst of
# messages then costs one TLS handshake and login, not one each).
RELAY_KEEP_ALIVE = 20.0
# Messages in flight at once to one account's server: enough for a server install
# with many mail programs (each waits on the network, not the processor).
WORKERS_PER_ACCOUNT = 16
_OVERRIDE = "(upstream)"
_COUNTED = (Delivery.ACCEPTED, Delivery.UNCERTAIN)


def account_password_key(account_name: str) -> str:
    """The secret-store key of an account's upstream password or token."""
    return f"account:{account_name}"


def upstream_config(settings: Settings, account: Account) -> UpstreamConfig:
    """How to reach ``account``'s submission server.

    Raises:
        GuardError: the account's settings cannot work (e.g. no TLS to a remote
            server); the text names the setting.
    """
    try:
        return UpstreamConfig(
            host=account.smtp_host,
            port=account.smtp_port,
            tls=TlsMode(account.smtp_tls),
            # empty: a relay without AUTH (OAuth2 always signs in, as the address)
            username=account.smtp_username
            or (account.email if account.oauth else None),
            auth_mechanism="xoauth2" if account.oauth else None,
            max_recipients=account.recipient_limit(),
            final_reply_timeout=settings.delivery.final_reply_timeout,
        )
    except RelayConfigError as error:
        raise GuardError(
            Phrase("account {name}: {error}", name=account.name, error=str(error))
        ) from error


def account_relay(
    settings: Settings, secrets: SecretStore, mail_from: str, *, keep_alive: float = 0.0
) -> SmtpRelay:
    """The relay of the account that sends as ``mail_from`` (else the first one).

    Raises:
        GuardError: no account is configured, or its settings cannot work.
    """
    account = settings.account_for(mail_from)
    if account is None:
        raise GuardError(
            Phrase("no upstream account is configured (bccguard account add)")
        )
    config = upstream_config(settings, account)
    if account.oauth:
        try:
            tokens = account_tokens(settings, account, secrets)
        except OAuthConfigError as error:
            raise GuardError(
                Phrase("account {name}: {error}", name=account.name, error=str(error))
            ) from error
        # A token refused at login is renewed once (the server may have revoked
        # it before its expiry), then the record waits for a sign-in.
        return SmtpRelay(
            config,
            password=tokens.password,
            renew_password=lambda refused: tokens.access_token(refused=refused),
            keep_alive=keep_alive,
        )
    key = account_password_key(account.name)
    return SmtpRelay(config, password=lambda: secrets.get(key), keep_alive=keep_alive)


class Relays:
    """The relays and worker pools of every account, made when first needed."""

    def __init__(
        self,
        settings: Callable[[], Settings],
        secrets: SecretStore,
        *,
        upstream: UpstreamConfig | None = None,
        sent_log: SendBudgetLog | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._sent_log = sent_log  # every recipient counts against the budget
        self._clock = clock
        self._secrets = secrets
        self._upstream = upstream
        self._lock = threading.Lock()
        self._relays: dict[str, SmtpRelay] = {}
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._closed = False

    def account_key(self, mail_from: str) -> str:
        """The name of the account ``mail_from``'s mail leaves through ("" if none)."""
        if self._upstream is not None:
            return _OVERRIDE
        account = self._settings().account_for(mail_from)
        return account.name if account is not None else ""

    def pool(self, key: str) -> ThreadPoolExecutor:
        """The workers of the account ``key``.

        Raises:
            GuardError: the guard is stopping.
        """
        with self._lock:
            if self._closed:
                raise GuardError(Phrase("BccGuard is stopping"))
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = ThreadPoolExecutor(
                    max_workers=WORKERS_PER_ACCOUNT,
                    thread_name_prefix=f"relay-{key or 'none'}",
                )
            return pool

    def send(
        self,
        mail_from: str,
        recipients: Sequence[str],
        data: bytes,
        *,
        before_final_dot: BeforeFinalDot | None = None,
        after_batch: AfterBatch | None = None,
    ) -> RelayResult:
        """Relay ``data`` in its outgoing form; a relay that cannot be made is a
        temporary refusal of every recipient (nothing is sent)."""
        outgoing = outgoing_form(data)
        try:
            relay = self._relay_for(mail_from)
        except GuardError as error:
            failed = BatchOutcome(
                tuple(recipients), 451, f"4.3.5 BccGuard cannot send: {error}"
            )
            if after_batch is not None:
                after_batch(failed)
            return RelayResult((failed,))
        eight_bit = not outgoing.isascii()
        result = relay.send(
            mail_from,
            recipients,
            outgoing,
            smtputf8=eight_bit,
            eight_bit=eight_bit,
            before_final_dot=before_final_dot,
            after_batch=after_batch,
        )
        if self._sent_log is not None:
            # What the server may have counted: accepted, or the dot went.
            sent = [o for o in result.outcomes() if o.delivery in _COUNTED]
            self._sent_log.note(self.account_key(mail_from), len(sent), self._clock())
        return result

    def sending_limit(self, key: str) -> int:
        """Recipients a day the account ``key`` may send to."""
        settings = self._settings()
        account = next((a for a in settings.accounts if a.name == key), None)
        if account is None and settings.accounts:
            account = settings.accounts[0]
        return account.sending_limit() if account is not None else OTHER_LIMIT

    def _relay_for(self, mail_from: str) -> SmtpRelay:
        key = self.account_key(mail_from)
        with self._lock:
            relay = self._relays.get(key)
        if relay is not None:
            return relay
        if self._upstream is not None:
            timeout = self._settings().delivery.final_reply_timeout
            relay = SmtpRelay(
                replace(self._upstream, final_reply_timeout=timeout),
                keep_alive=RELAY_KEEP_ALIVE,
            )
        else:
            relay = account_relay(
                self._settings(), self._secrets, mail_from, keep_alive=RELAY_KEEP_ALIVE
            )
        with self._lock:
            return self._relays.setdefault(key, relay)

    def redirect(self, upstream: UpstreamConfig | None) -> None:
        """Send all mail to ``upstream`` (the demo sink), or to the accounts (None)."""
        self._upstream = upstream
        self.forget()

    def forget(self) -> None:
        """Drop the relays (the settings or credentials changed); pools stay."""
        with self._lock:
            relays, self._relays = list(self._relays.values()), {}
        for relay in relays:
            relay.close()

    def close(self, wait: float = 5.0) -> None:
        """Stop: messages in flight get ``wait`` seconds, then their connections are
        cut (their records say how far they got; the next start goes on from there).
        """
        with self._lock:
            self._closed = True
            pools = list(self._pools.values())
            relays = list(self._relays.values())
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(_busy(p) for p in pools):
            time.sleep(0.05)
        for relay in relays:
            relay.abort()
        for pool in pools:
            pool.shutdown(wait=True)
        self.forget()


def _busy(pool: ThreadPoolExecutor) -> bool:
    """True while a worker of ``pool`` still runs a task."""
    return any(thread.is_alive() for thread in pool._threads)
