"""The tray app's composition root: settings, secrets, the guard, and the windows.

This is the only module that imports both the UI and the adapters.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon, QWidget

from bccguard.adapters import paths
from bccguard.adapters.demo_sink import DemoSink, free_port
from bccguard.adapters.imap_mailbox import ImapDraftsFolder, save_draft
from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.adapters.private_files import PrivateRotatingFileHandler, private_dir
from bccguard.adapters.secrets import SecretStore, open_secret_store
from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.adapters.smtp_relay import TlsMode, UpstreamConfig
from bccguard.core.bcc_conversion import ToStyle
from bccguard.core.countdown import was_undone
from bccguard.core.held import HeldMessage, HeldState, Origin, Resolution
from bccguard.core.incidents import Incident
from bccguard.core.individual_copies import Greeting
from bccguard.core.one_by_one import chosen_elsewhere
from bccguard.core.policy import Policy
from bccguard.core.settings import Settings, SettingsError
from bccguard.demo import send_sample
from bccguard.events import (
    GuardState,
    MailboxAlert,
    MailboxAlertKind,
    MailboxStatus,
    MessageRelayed,
    StateChanged,
)
from bccguard.mailbox_guard import MailboxGuard, SentFolderLookup, endpoint_for
from bccguard.service import Guard
from bccguard.service.errors import GuardError, GuardStartError
from bccguard.ui.apology_wizard import ApologyWizard
from bccguard.ui.bridge import GuardBridge
from bccguard.ui.check_window import CheckWindow
from bccguard.ui.countdown_window import CountdownWindow
from bccguard.ui.display_check import desktop_problem
from bccguard.ui.held_window import HeldWindow, outcome_summary
from bccguard.ui.hold_dialog import HoldDialog
from bccguard.ui.i18n import (
    language,
    ntr,
    set_language,
    tr,
    tr_error,
    tr_settings_error,
)
from bccguard.ui.icons import app_icon
from bccguard.ui.immortal_singletons import make_singletons_immortal
from bccguard.ui.incidents_window import IncidentsWindow
from bccguard.ui.one_by_one_text import progress_lines
from bccguard.ui.outbox_window import OutboxWindow
from bccguard.ui.port_problem import PortChoice, PortProblemBox
from bccguard.ui.single_instance import InstanceServer, ask_running_instance
from bccguard.ui.status_window import StatusWindow
from bccguard.ui.tray import UNTIL_RESUMED, TrayActions, TrayIcon, TrayMenu
from bccguard.ui.window_places import WindowPlaces

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries results from plain threads back into the GUI thread."""

    done = Signal(object)


class DesktopApp:
    """Everything the tray app shows, driven by the guard's events."""

    def __init__(
        self,
        app: QApplication,
        home: Path,
        settings: Settings,
        secrets: SecretStore,
        *,
        demo: bool = False,
        use_tray: bool | None = None,
    ) -> None:
        self.app = app
        self.home = home
        self.settings = settings
        self.secrets = secrets
        self.bridge = GuardBridge()
        self.sink: DemoSink | None = None
        upstream = None
        if demo:
            self.sink = DemoSink(home / "demo-outbox")
            self.sink.start()
            upstream = UpstreamConfig(
                host="127.0.0.1", port=self.sink.port, tls=TlsMode.NONE
            )
        self.incidents = SqliteIncidentLog.in_home(home)
        self.guard = Guard(
            home,
            settings,
            secrets,
            self.bridge,
            upstream=upstream,
            incidents=self.incidents,
            sent_lookup=SentFolderLookup(lambda: self.settings, secrets),
        )
        self.dialogs: dict[str, HoldDialog] = {}
        self._seen_states: dict[str, HeldState] = {}
        self._retired: list[HoldDialog] = []
        self.notifications: list[tuple[str, str]] = []
        self._last_alert: MailboxAlert | None = None
        self._on_click: Callable[[], object] | None = None
        self.windows: dict[str, QWidget] = {}
        self.places = WindowPlaces(home / "window-places.json")
        self._results = _Relay()
        self._results.done.connect(lambda call: call())
        self._closed = False

        actions = TrayActions(
            open_check=self.open_check,
            open_held=self.open_held,
            open_settings=self.open_settings,
            open_incidents=self.open_incidents,
            pause=self.pause,
            quit=self.quit,
            send_sample=self.send_sample if demo else None,
            open_outbox=self.open_outbox if demo else None,
            paused_until=lambda: self.guard.paused_until,
            choose_port=self.offer_another_port,
            not_listening=lambda: self.guard.listen_failure is not None,
        )
        self.menu = TrayMenu(actions)
        tray_ok = (
            QSystemTrayIcon.isSystemTrayAvailable() if use_tray is None else use_tray
        )
        self.tray: TrayIcon | None = (
            TrayIcon(self.menu, self.open_held) if tray_ok else None
        )
        if self.tray is not None:
            self.tray.messageClicked.connect(self._notification_clicked)
        self.status: StatusWindow | None = None
        self.bridge.signals.state_changed.connect(self._on_state)
        self.bridge.signals.message_held.connect(self._on_held)
        self.bridge.signals.held_updated.connect(self._on_held_updated)
        self.bridge.signals.message_relayed.connect(self._on_relayed)
        self.bridge.signals.mailbox_alert.connect(self._on_mailbox_alert)
        # Undo send: the messages counting down, in a window of their own.
        self.countdown = CountdownWindow(self.undo_send, self.send_now)
        self.windows["countdown"] = self.countdown
        self.bridge.signals.countdown_started.connect(
            lambda _held: self._show_countdowns(reveal=True)
        )
        self.bridge.signals.countdown_undone.connect(self._countdown_undone)
        self.bridge.signals.countdown_ended.connect(self._countdown_ended)
        self.bridge.signals.held_updated.connect(lambda _held: self._show_countdowns())
        self.bridge.signals.mailbox_status.connect(self._on_mailbox_status)
        self._told_sign_in: set[str] = set()
        self.mailboxes = MailboxGuard(
            home,
            settings,
            secrets,
            self.bridge,
            self.incidents,
            relays=self.guard.relays,
        )
        self.guard.on_signed_in(self.mailboxes.signed_in)

    # -- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        """Start guarding and show the tray icon (or the status window)."""
        with contextlib.suppress(GuardStartError):  # said below, with the ways out
            self.guard.start()
        self.mailboxes.start()
        if self.tray is not None:
            self.tray.show()
        else:
            self.status = StatusWindow(
                self.menu, self.guard.proxy.port, choose_port=self.offer_another_port
            )
            self._show_listening()
            self.status.show()
        for held in self.guard.held_messages():
            if held.state.needs_user:
                self._on_held(held, deadline=None)
        self._show_countdowns(reveal=True)  # those a restart found still waiting
        self.offer_another_port()

    def offer_another_port(self) -> None:
        """When the proxy cannot listen: say why, and offer a free port or Settings."""
        failure = self.guard.listen_failure
        if failure is None:
            return
        box = PortProblemBox(failure)
        box.exec()
        choice = box.choice
        box.deleteLater()
        if choice is PortChoice.FREE_PORT:
            self.listen_on(free_port(), save=True)
        elif choice is PortChoice.SETTINGS:
            self.open_settings_at_port()

    def listen_on(self, port: int, *, save: bool) -> bool:
        """Listen on ``port`` after a failed start (and keep it, if ``save``)."""
        try:
            self.guard.listen_on(port)
        except GuardStartError:
            self._show_listening()
            QTimer.singleShot(0, self.offer_another_port)  # not inside this call
            return False
        if save:
            settings = replace(
                self.settings, proxy=replace(self.settings.proxy, port=port)
            )
            save_settings(paths.config_file(self.home), settings)
            self._settings_saved(settings)
        self._show_listening()
        self.notify(
            tr("BccGuard is guarding"),
            tr(
                "Mail programs now send through 127.0.0.1 port {port}. Set this "
                "port in each of them.",
                port=port,
            ),
        )
        return True

    def _show_listening(self) -> None:
        if self.status is not None:
            listening = self.guard.listening
            self.status.show_listening(self.guard.proxy.port if listening else None)

    def quit(self) -> None:
        """Stop the guard and leave; held messages stay on disk.

        Called from the menu's Quit action, whose menu the shutdown deletes: the
        shutdown runs once that action's signal has returned.
        """
        QTimer.singleShot(0, self._quit_now)

    def _quit_now(self) -> None:
        self.shutdown()
        # exit(), not quit(): Qt 6's quit() asks every window to close first, and the
        # status window refuses (closing it only minimises the app).
        self.app.exit(0)

    def shutdown(self) -> None:
        """Stop the guard and the demo sink, and delete every window (once).

        In order: the threads that report events stop, the bridge and the result
        relay fall silent, the windows close, the tray icon hides, and Qt deletes
        them all now, while the QApplication lives.
        """
        if self._closed:
            return
        self._closed = True
        for dialog in list(self.dialogs.values()):
            dialog.close_quietly()
        self.mailboxes.stop()
        self.guard.stop()
        if self.sink is not None:
            self.sink.stop()
            self.sink = None
        self.bridge.signals.blockSignals(True)  # a late event from a thread: dropped
        self._results.blockSignals(True)
        self._on_click = None
        for window in [*self.dialogs.values(), *self.windows.values()]:
            window.hide()
        if self.tray is not None:
            self.tray.hide()
        widgets: list[QObject | None] = [
            *self.dialogs.values(),
            *self.windows.values(),
            self.status,
            self.tray,
            self.menu,
            self.bridge.signals,
            self._results,
            self.places,
        ]
        for widget in widgets:
            if widget is not None:
                widget.deleteLater()
        self.dialogs.clear()
        self.windows.clear()
        self.status = None
        self.tray = None
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self._retired.clear()  # deleted by Qt when they closed

    def bring_forward(self) -> None:
        """Another start asked this instance to show itself."""
        if self.status is not None:
            self.status.showNormal()
            self.status.raise_()
            self.status.activateWindow()
        else:
            self.open_held()

    # -- guard events -----------------------------------------------------------------

    def _on_state(self, event: StateChanged) -> None:
        waiting = [
            h for h in self.guard.held_messages() if h.state is HeldState.WAITING
        ]
        self.menu.waiting = len(waiting)
        # The menu keeps it for a status window opened later (the guard starts first).
        self.menu.state = event
        if self.tray is not None:
            self.tray.show_state(event)
        if self.status is not None:
            self.status.show_state(event)

    def _on_held(self, held: HeldMessage, deadline: float | None = -1.0) -> None:
        self._refresh_windows()
        if held.id in self.dialogs or chosen_elsewhere(held):
            return  # (sent one by one as chosen in Thunderbird: nothing to ask)
        if deadline == -1.0:
            deadline = held.received_at + self.settings.proxy.decision_timeout
        account = next(
            (
                a
                for a in self.settings.accounts
                if a.email.lower() == held.mail_from.lower()
            ),
            None,
        )
        dialog = HoldDialog(
            held,
            self.decide,
            deadline=deadline,
            always_convert=self.always_convert if account is not None else None,
            later=self._decide_later,
            one_by_one=self.send_one_by_one,
            estimate=self.guard.one_by_one.offer,
        )
        dialog.finished.connect(lambda _result, i=held.id: self._retire(i))
        self.dialogs[held.id] = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        if held.state is HeldState.UNCERTAIN:
            self.notify(
                tr("May have been sent"),
                tr(
                    "The server did not confirm “{subject}”. Say whether to send it "
                    "again.",
                    subject=held.subject,
                ),
                critical=True,
            )
            return
        if was_undone(held):
            self.notify(
                tr("Not sent"),
                tr(
                    "You stopped “{subject}”. Send it, convert it or discard it.",
                    subject=held.subject or tr("(no subject)"),
                ),
            )
            return
        self.notify(
            tr("Message held"),
            ntr(
                "{n} person would see the others' addresses: {subject}",
                "{n} people would see each other's address: {subject}",
                held.exposed_count,
                subject=held.subject,
            ),
        )

    # -- Undo send ----------------------------------------------------------------

    def _show_countdowns(self, *, reveal: bool = False) -> None:
        """The countdown window shows every message still counting down."""
        if not self._closed:
            self.countdown.show_records(self.guard.countdowns.active(), reveal=reveal)

    def undo_send(self, held_id: str) -> None:
        """Undo: the message waits as held (its dialog opens on the event)."""
        try:
            self.guard.countdowns.undo(held_id)
        except GuardError as error:
            self.notify(tr("Too late to undo"), tr_error(error), critical=True)
            self._show_countdowns()

    def send_now(self, held_id: str) -> None:
        """Send now: the countdown ends at once."""
        try:
            self.guard.countdowns.send_now(held_id)
        except GuardError as error:
            self.notify(tr("Not done"), tr_error(error), critical=True)
        self._show_countdowns()

    def _countdown_ended(self, held: HeldMessage) -> None:
        """It went: said once (a failure is told as for every message)."""
        if held.state is HeldState.SENT:
            n = len({r.lower() for r in held.recipients})
            self.notify(
                tr("Sent"),
                ntr(
                    "“{subject}” went to {n} person.",
                    "“{subject}” went to {n} people.",
                    n,
                    subject=held.subject or tr("(no subject)"),
                ),
            )

    def _countdown_undone(self, held: HeldMessage) -> None:
        self._show_countdowns()
        self._on_held(held, deadline=None)

    def _decide_later(self, held: HeldMessage) -> None:
        """The hold dialog was closed without an answer: say where the message is."""
        self.notify(
            tr("Decide later"),
            tr(
                "“{subject}” waits in BccGuard: tray menu → Held messages.",
                subject=held.subject or tr("(no subject)"),
            ),
            on_click=partial(self.open_held, held.id),
        )

    def always_convert(self, held: HeldMessage) -> None:
        """From now on, convert mail from this identity without asking."""
        account = self.settings.account_for(held.mail_from)
        if account is None:
            return
        settings = self.settings.with_account(replace(account, action="convert"))
        try:
            save_settings(paths.config_file(self.home), settings)
        except OSError as error:
            self.notify(tr("Not saved"), str(error), critical=True)
            return
        self._settings_saved(settings)

    def _retire(self, held_id: str) -> None:
        """A hold dialog closed: Qt deletes it later. Dropping the last Python
        reference inside its own ``finished`` signal would delete it mid-emit."""
        dialog = self.dialogs.pop(held_id, None)
        if dialog is not None:
            dialog.deleteLater()
            self._retired.append(dialog)

    def _on_held_updated(self, held: HeldMessage) -> None:
        dialog = self.dialogs.get(held.id)
        if dialog is not None and held.state.needs_user:
            dialog.show_record(held)
        elif dialog is not None and dialog.decision is None:
            dialog.close_quietly()
        elif dialog is None and held.state is HeldState.UNCERTAIN:
            self._on_held(held, deadline=None)  # "may have been sent": the user decides
        self._refresh_windows()
        if self.tray is not None:  # runs sent one by one: "… 37 of 200"
            self.tray.show_progress(
                progress_lines(self.guard.held_messages(), time.time())
            )
        previous = self._seen_states.get(held.id)
        self._seen_states[held.id] = held.state
        if previous is held.state:
            return  # the same state again (a batch in flight): said already
        self._tell_outcome(held)

    def _refresh_windows(self) -> None:
        window = self.windows.get("held")
        if isinstance(window, HeldWindow):
            window.refresh()
        incidents = self.windows.get("incidents")
        if isinstance(incidents, IncidentsWindow):
            incidents.refresh()

    def _tell_outcome(self, held: HeldMessage) -> None:
        """One notification when a message reaches an outcome the user must know."""
        if held.state is HeldState.SENT and held.resolution is Resolution.AS_IS:
            if held.origin is Origin.HELD:
                self.notify(
                    tr("Sent as is"),
                    tr(
                        "{n} people saw each other's address. The incident is "
                        "recorded; you can write an apology from Incidents.",
                        n=held.exposed_count,
                    ),
                    on_click=partial(self.open_incidents, held.id),
                )
        elif held.state in (HeldState.FAILED, HeldState.PARTLY_SENT):
            title = (
                tr("Not sent")
                if held.state is HeldState.FAILED
                else tr("Not sent to everyone")
            )
            self.notify(title, outcome_summary(held, time.time()), critical=True)
        elif held.state is HeldState.NEEDS_SIGN_IN:
            self.notify(
                tr("Sign in again to {account}", account=held.account)
                if held.account
                else tr("Sign in again"),
                outcome_summary(held, time.time()),
                critical=True,
                on_click=partial(self.open_sign_in, held.account),
            )

    def _on_mailbox_status(self, status: MailboxStatus) -> None:
        """A watched mailbox lost its sign-in: the same notice as for sending."""
        if not status.needs_sign_in or status.account in self._told_sign_in:
            return
        self._told_sign_in.add(status.account)  # once per account, not per folder
        self.notify(
            tr("Sign in again to {account}", account=status.account),
            tr("BccGuard cannot watch this mailbox until you sign in again."),
            critical=True,
            on_click=partial(self.open_sign_in, status.account),
        )

    def _on_relayed(self, event: MessageRelayed) -> None:
        if event.converted and event.ok:
            self.notify(
                tr("Sent with Bcc"),
                tr(
                    "{n} recipients got it without seeing each other.",
                    n=event.recipients,
                ),
            )
        window = self.windows.get("outbox")
        if isinstance(window, OutboxWindow):
            window.refresh()

    def _on_mailbox_alert(self, alert: MailboxAlert) -> None:
        self._last_alert = alert
        if alert.kind is MailboxAlertKind.RISKY_DRAFT:
            self.notify(
                tr("Risky draft in {account}", account=alert.account),
                tr(
                    "“{subject}” would show {n} people each other's address. "
                    "Put them in Bcc before sending.",
                    subject=alert.subject,
                    n=alert.exposed_count,
                ),
                on_click=lambda: self._open_alert(alert),
            )
        elif alert.kind is MailboxAlertKind.SENT_EXPOSED:
            self.notify(
                tr("A message went out with everyone visible"),
                tr(
                    "“{subject}” showed {n} people each other's address. The incident "
                    "is recorded; open Incidents to write an apology.",
                    subject=alert.subject,
                    n=alert.exposed_count,
                ),
                critical=True,
                on_click=lambda: self._open_alert(alert),
            )
        elif alert.kind is MailboxAlertKind.OUTBOX_HELD:
            self.notify(
                tr("Not sent from your outbox"),
                tr(
                    "“{subject}” would show {n} people each other's address; it "
                    "stays in the outbox folder. Put them in Bcc there.",
                    subject=alert.subject,
                    n=alert.exposed_count,
                ),
                on_click=lambda: self._open_alert(alert),
            )
        elif alert.kind is MailboxAlertKind.OUTBOX_SENT:
            self.notify(
                tr("Sent from your outbox"),
                alert.subject,
                on_click=lambda: self._open_alert(alert),
            )
        else:
            self.notify(
                tr("Replies to all"),
                tr(
                    "{count} people have replied to all on “{subject}”. A short "
                    "follow-up asking not to reply to all may help.",
                    count=alert.reply_all_count,
                    subject=alert.subject,
                ),
                on_click=lambda: self._open_alert(alert),
            )
        window = self.windows.get("incidents")
        if isinstance(window, IncidentsWindow):
            window.refresh()

    def notify(
        self,
        title: str,
        text: str,
        *,
        critical: bool = False,
        on_click: Callable[[], object] | None = None,
    ) -> None:
        """A desktop notification; without a tray it shows in the status window.

        ``on_click`` is what a click on it opens (the newest notification's).
        """
        self.notifications.append((title, text))
        self._on_click = on_click
        if self.status is not None:
            self.status.detail.setText(f"{title}: {text}")
        if self.tray is not None:
            icon = (
                QSystemTrayIcon.MessageIcon.Critical
                if critical
                else QSystemTrayIcon.MessageIcon.Information
            )
            self.tray.showMessage(title, text, icon, 8000)

    # -- user actions ---------------------------------------------------------------

    def pause(self, seconds: float) -> None:
        """Pause the guard (0 resumes); the tray shows guarding again at the end."""
        self.guard.pause(seconds)
        if 0 < seconds < UNTIL_RESUMED:
            QTimer.singleShot(int(seconds * 1000) + 500, self._pause_over)

    def _pause_over(self) -> None:
        if self._closed:
            return
        if self.guard.paused_until == 0 and self.menu.state.state is GuardState.PAUSED:
            self.guard.pause(0)  # says "guarding" again

    def decide(self, held_id: str, resolution: Resolution) -> None:
        """Hand the user's answer to the guard (it relays off the GUI thread)."""
        future: Future[HeldMessage] = self.guard.decide(held_id, resolution)
        future.add_done_callback(
            lambda f: (
                None
                if self._closed
                else self._results.done.emit(lambda: self._decision_done(f))
            )
        )

    def send_one_by_one(self, held_id: str, greeting: Greeting | None) -> None:
        """Send a held message one copy per recipient (off the GUI thread)."""
        future = self.guard.send_one_by_one(held_id, greeting)
        future.add_done_callback(
            lambda f: (
                None
                if self._closed
                else self._results.done.emit(lambda: self._decision_done(f))
            )
        )

    def _decision_done(self, future: Future[HeldMessage]) -> None:
        error = future.exception()
        if error is not None:
            self.notify(tr("Not done"), tr_error(error), critical=True)

    def _policy(self) -> Policy:
        """The check window's policy: the first account's, as the proxy's default."""
        first = self.settings.accounts[0].email if self.settings.accounts else ""
        return self.settings.policy_for(first)

    def _show(self, key: str, factory: Callable[[], QWidget]) -> QWidget:
        window = self.windows.get(key)
        if window is None:
            window = factory()
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
            self.places.attach(key, window)
            self.windows[key] = window
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def _drafts_folder(self, name: str | None = None) -> ImapDraftsFolder | None:
        """The Drafts folder of account ``name`` (or of the first with IMAP)."""
        for account in self.settings.accounts:
            if account.imap_host and (name is None or account.name == name):
                return ImapDraftsFolder(
                    account.name, endpoint_for(account, self.secrets)
                )
        return None

    def open_check(self, account: str | None = None) -> CheckWindow:
        """The "check this draft" window (with the account's Drafts, if any)."""
        drafts = self._drafts_folder(account)
        window = self.windows.get("check")
        if isinstance(window, CheckWindow) and (account is None or drafts is None):
            self._show("check", lambda: window)
            return window
        if window is not None:
            window.deleteLater()
        self.windows.pop("check", None)
        created = CheckWindow(
            self._policy, lambda: ToStyle(self.settings.policy.to_style), drafts
        )
        self._show("check", lambda: created)
        return created

    def _notification_clicked(self) -> None:
        """A click on the last notification opens what it was about."""
        if self._on_click is not None:
            self._on_click()

    def _open_alert(self, alert: MailboxAlert) -> None:
        if alert.kind is MailboxAlertKind.RISKY_DRAFT:
            self.open_check(alert.account).load_draft(alert.uid)
        else:
            self.open_incidents()

    def open_held(self, held_id: str = "") -> None:
        """The held messages window (with ``held_id`` selected)."""
        window = self._show(
            "held",
            lambda: HeldWindow(
                self.guard.held_messages, self.decide, sign_in=self.open_sign_in
            ),
        )
        if isinstance(window, HeldWindow):
            window.refresh()
            if held_id:
                window.select_id(held_id)

    def open_sign_in(self, account_name: str) -> QWidget:
        """Sign in again to an OAuth2 account (its grant expired or was revoked);
        afterwards what waited for it is sent and its mailbox watched again. An
        account that signs in by password opens the settings instead."""
        from bccguard.ui.account_assistant import (  # noqa: PLC0415
            AccountAssistant,
            AccountTools,
        )
        from bccguard.ui.oauth_sign_in_page import sign_in_tools  # noqa: PLC0415

        account = next(
            (a for a in self.settings.accounts if a.name == account_name), None
        )
        if account is None or not account.oauth:
            self.open_settings()
            return self.windows["settings"]
        tools = AccountTools(
            sign_in=sign_in_tools(lambda: self.settings, self.secrets, self.home)
        )

        def signed_in(values: object, password: str) -> str:
            self._told_sign_in.discard(account_name)
            self.guard.signed_in(account_name)
            return ""

        key = f"sign-in-{account_name}"
        shown = self.windows.get(key)
        if shown is not None and not shown.isVisible():  # an earlier one, done
            self.windows.pop(key).deleteLater()
        return self._show(
            key, lambda: AccountAssistant(tools, signed_in, again=account)
        )

    def open_settings(self) -> None:
        """The settings window."""
        from bccguard.ui.settings_window import SettingsWindow  # noqa: PLC0415

        self._show(
            "settings",
            lambda: SettingsWindow(
                self.settings,
                self.secrets,
                paths.config_file(self.home),
                self._settings_saved,
                proxy_secret=self.guard.local_secret,
            ),
        )

    def open_settings_at_port(self) -> None:
        """The settings window at the proxy's port."""
        from bccguard.ui.settings_window import SettingsWindow  # noqa: PLC0415

        self.open_settings()
        window = self.windows.get("settings")
        if isinstance(window, SettingsWindow):
            window.show_port()

    def open_incidents(self, held_id: str = "") -> None:
        """The incident record (with the incident of ``held_id`` selected)."""
        window = self._show(
            "incidents", lambda: IncidentsWindow(self.incidents, self.open_apology)
        )
        if isinstance(window, IncidentsWindow):
            window.refresh()
            if held_id:
                window.select_held(held_id)

    def open_apology(self, incident: Incident) -> ApologyWizard:
        """The guided apology for ``incident``; it sends through the guard's relay."""
        account = self.settings.account_for(incident.sender)
        drafts = None
        if account is not None and account.imap_host:
            endpoint = endpoint_for(account, self.secrets)
            drafts = partial(save_draft, endpoint)
        wizard = ApologyWizard(
            incident,
            self.incidents,
            send=self.guard.send_direct,
            save_draft=drafts,
            sender_address=incident.sender,
            language=language(),
        )
        self.places.attach("apology", wizard)
        self.windows[f"apology-{incident.id}"] = wizard
        wizard.show()
        wizard.raise_()
        return wizard

    def _settings_saved(self, settings: Settings) -> None:
        self.settings = settings
        self.guard.settings = settings
        set_language(settings.ui.language)
        failure = self.guard.listen_failure
        if failure is not None and settings.proxy.port != failure.port:
            self.listen_on(settings.proxy.port, save=False)  # a port chosen to fix it

    def open_outbox(self) -> None:
        """The demo outbox viewer."""
        sink = self.sink
        if sink is not None:
            window = self._show("outbox", lambda: OutboxWindow(sink.delivered))
            if isinstance(window, OutboxWindow):
                window.refresh()

    def send_sample(self) -> None:
        """Demo: a mail client sends the sample mass mail through the proxy."""
        port, secret = self.guard.proxy.port, self.guard.local_secret

        def run() -> None:
            try:
                reply = send_sample(port, secret, timeout=100)
            except OSError as error:
                reply = str(error)
            log.info("demo sample: %s", reply)

        threading.Thread(target=run, name="demo-sample", daemon=True).start()


def _setup_logging(home: Path) -> None:
    folder = private_dir(paths.log_dir(home))
    handler = PrivateRotatingFileHandler(  # 0600: lines name senders and subjects
        folder / "bccguard.log", maxBytes=1_000_000, backupCount=3
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def run_app(*, demo: bool = False, argv: list[str] | None = None) -> int:
    """Start the tray app; returns the exit code."""
    started = time.perf_counter()
    make_singletons_immortal()  # before any Qt call: PySide6 over-releases them
    problem = desktop_problem() if sys.platform.startswith("linux") else None
    if problem is not None:
        print(
            f"bccguard: no desktop to show the tray app on ({problem}); "
            "without one, run 'bccguard serve --demo'",
            file=sys.stderr,
        )
        return 2
    home = paths.home()
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("BccGuard")
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(app_icon())
    if ask_running_instance(home):
        print("BccGuard is already running; it was brought forward.", file=sys.stderr)
        return 0
    _setup_logging(home)
    try:
        settings = load_settings(paths.config_file(home))
    except SettingsError as error:
        set_language("auto")  # the file that would say which language is broken
        problem = tr_settings_error(error)
        QMessageBox.critical(
            None, "BccGuard", tr("The settings file is broken: {e}", e=problem)
        )
        return 2
    set_language(settings.ui.language)
    secrets = open_secret_store(home)
    desktop = DesktopApp(app, home, settings, secrets, demo=demo)
    server = InstanceServer(home, desktop.bring_forward)
    desktop.start()
    QTimer.singleShot(
        0, lambda: log.info("ready in %.2f s", time.perf_counter() - started)
    )
    code = app.exec()
    # However the loop ended, the windows go first (once); then the last Python
    # references, while the QApplication still exists: nothing of Qt is left for
    # the garbage collector to free at interpreter exit.
    desktop.shutdown()
    server.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    del desktop, server
    gc.collect()
    return int(code)
