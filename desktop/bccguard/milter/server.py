"""``bccguard milter``: run the milter on a socket until SIGTERM; SIGHUP reloads.

libmilter blocks SIGHUP, SIGINT and SIGTERM in the threads it starts and waits
for them in a thread of its own (where SIGHUP would stop it). So its main loop
runs in a worker thread and Python's main thread takes the signals: SIGHUP
reloads the policy, SIGTERM/SIGINT stop libmilter cleanly.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType

import Milter

from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.events import LoggingSink
from bccguard.milter.config import MilterSettings
from bccguard.milter.desk import MilterDesk, Policies
from bccguard.milter.filter import GuardFilter
from bccguard.milter.postfix_outlet import PostfixHeldStore, PostfixOutlet
from bccguard.milter.postfix_queue import PostfixQueue
from bccguard.milter.release_marker import ReleaseMarker
from bccguard.milter.settings_files import THREADS_FILE, load_all, milter_held_dir
from bccguard.milter.thread_brake import ThreadBrake
from bccguard.service.engine import HoldEngine
from bccguard.service.incident_record import IncidentRecorder

log = logging.getLogger(__name__)

NAME = "bccguard"
# Seconds libmilter waits on Postfix for one read or write (Postfix's own
# milter_*_timeout are on its side).
_SOCKET_TIMEOUT = 600


class ListenError(ValueError):
    """A --listen value libmilter cannot use."""


def socket_spec(listen: str) -> str:
    """libmilter's spelling of ``inet:PORT@HOST`` or ``unix:PATH`` (checked).

    Raises:
        ListenError: neither form.
    """
    kind, _, rest = listen.partition(":")
    if kind == "unix" and rest.startswith("/"):
        return listen
    if kind in ("inet", "inet6"):
        port, _, host = rest.partition("@")
        if port.isdigit() and 0 < int(port) < 65536 and host:
            return listen
    raise ListenError(
        f"--listen {listen}: use inet:PORT@HOST (e.g. inet:8899@127.0.0.1) or "
        "unix:/path/to/socket"
    )


def build_desk(home: Path) -> MilterDesk:
    """The desk and hold engine over the records in ``home``.

    Raises:
        SettingsError: a settings file is bad.
    """
    policies = Policies(lambda: load_all(home))
    marker = ReleaseMarker(home)

    def outlet_settings() -> MilterSettings:
        return policies.current()[1]

    store = PostfixHeldStore(
        milter_held_dir(home), lambda: PostfixQueue(outlet_settings()), marker
    )
    incidents = SqliteIncidentLog.in_home(home)
    engine = HoldEngine(
        store,
        PostfixOutlet(outlet_settings, store, marker),
        LoggingSink(),
        lambda: policies.current()[0],
        incidents=IncidentRecorder(incidents, time.time),
    )
    threads = ThreadBrake(home / THREADS_FILE)
    return MilterDesk(policies, engine, store, marker, incidents, threads=threads)


def run(listen: str, home: Path) -> None:
    """Serve Postfix on ``listen`` until SIGTERM or SIGINT.

    Raises:
        ListenError: a bad ``listen``.
        SettingsError: a settings file is bad.
    """
    spec = socket_spec(listen)
    desk = build_desk(home)
    Milter.factory = lambda: GuardFilter(desk)
    Milter.set_flags(Milter.ADDHDRS + Milter.CHGHDRS + Milter.QUARANTINE)
    stopped = threading.Event()
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            Milter.runmilter(NAME, spec, _SOCKET_TIMEOUT)
        except BaseException as error:
            errors.append(error)
        finally:
            stopped.set()

    def on_hup(signum: int, frame: FrameType | None) -> None:
        desk.policies.reload()

    def on_stop(signum: int, frame: FrameType | None) -> None:
        log.info("stopping")
        Milter.stop()

    signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    worker = threading.Thread(target=serve, name="libmilter", daemon=True)
    worker.start()
    log.info("BccGuard milter listening on %s", spec)
    while not stopped.wait(1.0):
        pass
    if errors:
        raise ListenError(f"the milter could not serve {spec}: {errors[0]}")
