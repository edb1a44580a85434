"""The guard for what the proxy cannot see: drafts saved anywhere, mail that went out
from another device, and replies to all on an incident's thread (over IMAP).

Each configured account gets one watcher per folder role; every new message's
header is checked with the same policy as the proxy's.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bccguard.adapters.imap_connection import FolderRole, ImapEndpoint, ImapError
from bccguard.adapters.imap_mailbox import file_as_sent, in_sent_folder
from bccguard.adapters.imap_state_store import ImapStateStore
from bccguard.adapters.imap_watcher import FetchedHeader, FolderWatcher, RetryLater
from bccguard.adapters.oauth2_client import OAuthError
from bccguard.adapters.oauth2_tokens import account_tokens, token_key
from bccguard.adapters.relay_reply import reply_for
from bccguard.adapters.secrets import SecretStore
from bccguard.core.bcc_conversion import ToStyle, to_draft_bcc, to_relay_form
from bccguard.core.held import HeldMessage
from bccguard.core.identity import address_key
from bccguard.core.incidents import (
    Incident,
    IncidentKind,
    IncidentLog,
    IncidentLogError,
)
from bccguard.core.message import ParsedMessage, read_message
from bccguard.core.policy import Action, Policy
from bccguard.core.settings import Account, Settings
from bccguard.core.verdict import Verdict, check
from bccguard.events import (
    EventSink,
    MailboxAlert,
    MailboxAlertKind,
    MailboxStatus,
)
from bccguard.service.relays import Relays

log = logging.getLogger(__name__)

# On the very first scan of a folder, only this recent past raises alerts: a years-old
# Sent folder would otherwise bury the user in old news.
FIRST_SCAN_DAYS = 14
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def imap_password_key(account_name: str) -> str:
    """The secret-store key of an account's IMAP password (or OAuth2 token)."""
    return f"account-imap:{account_name}"


def endpoint_for(
    account: Account, secrets: SecretStore, settings: Settings | None = None
) -> ImapEndpoint:
    """How to log in to ``account``'s mailbox: by an OAuth2 access token when the
    account signs in so (``settings`` has the client registration), else by its
    IMAP password, else the SMTP one."""
    if account.oauth and settings is not None:
        return _oauth2_endpoint(account, secrets, settings)

    def password() -> str | None:
        return secrets.get(imap_password_key(account.name)) or secrets.get(
            f"account:{account.name}"
        )

    return ImapEndpoint(
        host=account.imap_host,
        port=account.imap_port,
        tls=account.imap_tls,
        username=account.imap_username or account.smtp_username or account.email,
        password=password,
        oauth2=account.imap_oauth2,
    )


def _oauth2_endpoint(
    account: Account, secrets: SecretStore, settings: Settings
) -> ImapEndpoint:
    """An endpoint whose password is an access token, refreshed before login."""

    def token(refused: str | None = None) -> str | None:
        try:
            tokens = account_tokens(settings, account, secrets)
            return tokens.access_token(refused=refused)
        except OAuthError as error:
            raise ImapError(str(error)) from error

    return ImapEndpoint(
        host=account.imap_host,
        port=account.imap_port,
        tls=account.imap_tls,
        username=account.imap_username or account.email,
        password=token,
        oauth2=True,
        renew_password=token,
    )


class SentFolderLookup:
    """Whether a message that may have been sent is in its account's Sent folder
    (the hold engine asks before it asks the user)."""

    def __init__(self, settings: Callable[[], Settings], secrets: SecretStore) -> None:
        self._settings = settings
        self._secrets = secrets

    def __call__(self, held: HeldMessage) -> bool | None:
        """True when found, False when not, None when there is no mailbox to ask."""
        account = self._settings().account_for(held.mail_from)
        if account is None or not account.imap_host:
            return None
        try:
            endpoint = endpoint_for(account, self._secrets, self._settings())
            return in_sent_folder(endpoint, held.message_id)
        except ImapError as error:
            log.warning(
                "could not look in the Sent folder of %s: %s", account.name, error
            )
            return None


class MailboxGuard:
    """Watches the Drafts, Sent and INBOX folders of every account with IMAP."""

    def __init__(
        self,
        home: Path,
        settings: Settings,
        secrets: SecretStore,
        events: EventSink,
        incidents: IncidentLog | None,
        *,
        clock: Callable[[], float] = time.time,
        watcher_options: dict[str, float] | None = None,
        relays: Relays | None = None,
    ) -> None:
        self.settings = settings
        # The outbox sends through the same relays (and outgoing form) as the proxy;
        # relays made here are closed here.
        self._own_relays = relays is None
        self.relays = relays or Relays(lambda: self.settings, secrets)
        self.secrets = secrets
        self.events = events
        self.incidents = incidents
        self._clock = clock
        self._store = ImapStateStore(home / "imap-state")
        self._options = watcher_options or {}
        self.watchers: list[FolderWatcher] = []

    def start(self) -> None:
        """Start a watcher per account and folder role."""
        for account in self.settings.accounts:
            if not account.imap_host:
                continue
            endpoint = endpoint_for(account, self.secrets, self.settings)
            for role in FolderRole:
                if role is FolderRole.OUTBOX and not account.outbox_folder:
                    continue
                watcher = FolderWatcher(
                    account.name,
                    endpoint,
                    role,
                    self._store,
                    self._on_header,
                    self._on_status,
                    folder_name=account.outbox_folder
                    if role is FolderRole.OUTBOX
                    else None,
                    sign_in_probe=self._sign_in_probe(account),
                    **self._options,  # type: ignore[arg-type]
                )
                watcher.start()
                self.watchers.append(watcher)

    def stop(self) -> None:
        """Stop every watcher (each within about a second)."""
        for watcher in self.watchers:
            watcher.stop()
        for watcher in self.watchers:
            watcher.join(10)
        self.watchers.clear()
        if self._own_relays:
            self.relays.close()

    def signed_in(self, account: str) -> None:
        """``account`` was signed in again: its watchers waiting for it log in."""
        for watcher in self.watchers:
            if watcher.account == account or not account:
                watcher.signed_in()

    def _sign_in_probe(self, account: Account) -> Callable[[], object] | None:
        """What a watcher compares to see a new sign-in (OAuth2 accounts only)."""
        if not account.oauth:
            return None
        key = token_key(account.name)
        return lambda: self.secrets.get(key)

    def _on_status(self, account: str, status: str, detail: str) -> None:
        self.events.emit(
            MailboxStatus(
                account, status == "ok", detail, needs_sign_in=status == "sign-in"
            )
        )

    def _account(self, name: str) -> Account | None:
        return next((a for a in self.settings.accounts if a.name == name), None)

    def _on_header(self, item: FetchedHeader) -> bool:
        """Check one new message; True when it raised an alert (never again then)."""
        account = self._account(item.account)
        message = read_message(item.header)
        verdict = check(message, self._policy(account))
        if item.role is FolderRole.INBOX:
            return self._reply_all(item, message)
        if item.role is FolderRole.OUTBOX:
            return self._send_from_outbox(item, account, verdict)
        if not verdict.held or self._too_old(item):
            return False
        if item.role is FolderRole.DRAFTS:
            self._alert(MailboxAlertKind.RISKY_DRAFT, item, message, verdict)
            return True
        incident_id = self._record_sent(item, message, verdict)
        self._alert(MailboxAlertKind.SENT_EXPOSED, item, message, verdict, incident_id)
        return True

    def _send_from_outbox(
        self, item: FetchedHeader, account: Account | None, verdict: Verdict
    ) -> bool:
        """Send a message the user put in the outbox folder, then file it in Sent.

        Held by the policy: converted when the policy converts, else left in the
        outbox with an alert. The SMTP upstream down: it stays there and is tried
        again later (``RetryLater``); it leaves the outbox only after the relay.
        """
        if account is None:
            return False
        message = verdict.message
        convert = verdict.held and verdict.action is Action.CONVERT  # rules too
        if verdict.held and not convert:
            self._alert(MailboxAlertKind.OUTBOX_HELD, item, message, verdict)
            return True
        raw = item.message
        recipients = [a.addr for a in (*message.visible, *message.hidden)]
        if not recipients:
            return False
        style = ToStyle(self.settings.policy.to_style)
        sent_copy = to_draft_bcc(raw, style) if convert else raw
        outgoing = to_relay_form(raw, style) if convert else raw  # never with Bcc
        sender = message.senders[0].addr if message.senders else account.email
        result = self.relays.send(sender, recipients, outgoing)
        if not result.delivered:
            raise RetryLater(reply_for(result))
        file_as_sent(
            endpoint_for(account, self.secrets, self.settings),
            item.folder,
            item.uid,
            sent_copy,
        )
        self._alert(MailboxAlertKind.OUTBOX_SENT, item, message, verdict)
        return True

    def _policy(self, account: Account | None) -> Policy:
        """The policy for the account's own mail (the one the proxy applies)."""
        return self.settings.policy_for(account.email if account else "")

    def _too_old(self, item: FetchedHeader) -> bool:
        if not item.first_scan or item.internal_date is None:
            return False
        date = item.internal_date
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        age = datetime.now(UTC) - date
        return age.days > FIRST_SCAN_DAYS

    def _alert(
        self,
        kind: MailboxAlertKind,
        item: FetchedHeader,
        message: ParsedMessage,
        verdict: Verdict,
        incident_id: str = "",
    ) -> None:
        self.events.emit(
            MailboxAlert(
                kind=kind,
                account=item.account,
                folder=item.folder,
                uid=item.uid,
                subject=message.subject,
                message_id=message.message_id,
                exposed_count=len(verdict.exposed),
                incident_id=incident_id,
            )
        )

    def _record_sent(
        self, item: FetchedHeader, message: ParsedMessage, verdict: Verdict
    ) -> str:
        """An incident for a message found in Sent, unless one is already recorded
        (the proxy's "send as is" of the same message)."""
        if self.incidents is None:
            return ""
        try:
            known = self.incidents.find_by_message_id(message.message_id)
            if message.message_id and known:
                return known[-1].id
            sender = message.senders[0].addr if message.senders else ""
            incident = self.incidents.record(
                Incident.new(
                    IncidentKind.DETECTED_IN_SENT,
                    self._clock(),
                    exposed=[a.addr for a in verdict.exposed],
                    message_id=message.message_id,
                    subject=message.subject,
                    sender=sender,
                    notes=f"found in {item.account}/{item.folder}",
                )
            )
        except IncidentLogError:
            log.exception("could not record the message found in %s", item.folder)
            return ""
        return incident.id

    def _reply_all(self, item: FetchedHeader, message: ParsedMessage) -> bool:
        """A reply on an incident's thread that goes to many people: count it."""
        if self.incidents is None or len(message.visible) < 2:
            return False
        header = message.header
        parents = _MESSAGE_ID.findall(
            header.first_text("in-reply-to") + " " + header.first_text("references")
        )
        for parent in reversed(parents):
            try:
                found = self.incidents.find_by_message_id(parent)
            except IncidentLogError:
                log.exception("could not look up incidents for a reply")
                return False
            exposed = [i for i in found if i.exposed_count > 0]
            if not exposed:
                continue
            incident = exposed[-1]
            shown = {a.key for a in message.visible}
            # One person, one key: the record keeps addresses as written.
            overlap = len(shown & {address_key(a) for a in incident.exposed})
            if overlap < 2:
                return False  # a reply to a few, not to all
            counter = getattr(self.incidents, "count_reply_all", None)
            if counter is not None:
                incident = counter(incident.id, self._clock(), message.message_id)
            self.events.emit(
                MailboxAlert(
                    kind=MailboxAlertKind.REPLY_ALL,
                    account=item.account,
                    folder=item.folder,
                    uid=item.uid,
                    subject=message.subject,
                    message_id=message.message_id,
                    exposed_count=len(message.visible),
                    incident_id=incident.id,
                    reply_all_count=incident.reply_all_count,
                )
            )
            return True
        return False
