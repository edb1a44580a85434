"""Walking the demo in Italian shows no English: every visible text of every window.

The walk opens what a newcomer sees (tray menu, hold dialog, check window with a
sample, held messages, incidents, the apology wizard's pages, every settings tab,
the account assistant's first page, the demo outbox, the Undo send window) and
collects each text a person can read: titles, labels, buttons, menu entries, table
headers and cells, list items, tooltips and placeholder texts. A text fails when it
is an English catalogue string, filled in or not, whose Italian differs; data
(addresses, numbers, subjects) is not a catalogue string, so it passes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QSpinBox,
    QTableWidget,
    QTabWidget,
    QTextEdit,
    QTreeWidget,
    QWidget,
    QWizard,
)

from bccguard.adapters.demo_sink import free_port
from bccguard.core.countdown import with_countdown
from bccguard.core.settings import ProxySettings, Settings
from bccguard.demo import sample_mass_mail
from bccguard.events import GuardState
from bccguard.ui.application import DesktopApp
from bccguard.ui.countdown_window import CountdownWindow
from bccguard.ui.held_window import HeldWindow
from bccguard.ui.hold_dialog import HoldDialog
from bccguard.ui.i18n import set_language
from tests.i18n.catalogue_files import italian, messages
from tests.support import MemorySecrets
from tests.ui.held_records import NOW, in_state, record

pytestmark = pytest.mark.gui

_FIELD = re.compile(r"\{[^{}]*\}")
_TAG = re.compile(r"<[^>]+>")
_HEADER_LINE = re.compile(r"[A-Za-z][A-Za-z0-9-]*: ")  # RFC 5322 §2.2
# A language chooser names each language in that language.
ENDONYMS = {"English", "Italiano"}


def english_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Each English catalogue string whose Italian differs, as a pattern that also
    matches it filled in. Strings that are only placeholders and punctuation
    (``{path}: {problem}``) say nothing English and are left out."""
    patterns = []
    for m in messages(italian()):
        pairs = (
            zip(m.id, m.string, strict=False)
            if isinstance(m.id, tuple)
            else [(m.id, m.string)]
        )
        for english, translated in pairs:
            if english == translated:
                continue
            literal = _FIELD.sub("", english)
            if not re.search(r"[A-Za-z]{2,}", literal):
                continue
            parts = _FIELD.split(english)
            regex = "(?:.+?)".join(re.escape(p) for p in parts)
            patterns.append((english, re.compile(regex, re.DOTALL)))
    return patterns


def _texts_of(widget: QWidget) -> Iterator[str]:
    yield widget.windowTitle()
    yield widget.toolTip()
    if isinstance(widget, QLabel):
        yield widget.text()
    if isinstance(widget, QAbstractButton):
        yield widget.text()
    if isinstance(widget, QGroupBox):
        yield widget.title()
    if isinstance(widget, QLineEdit):
        yield widget.placeholderText()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        yield widget.placeholderText()
        if widget.isReadOnly():  # a message shown as it is: its header is data
            lines = widget.toPlainText().splitlines()
            yield "\n".join(line for line in lines if not _HEADER_LINE.match(line))
    if isinstance(widget, QComboBox):
        for i in range(widget.count()):
            if widget.itemText(i) not in ENDONYMS:
                yield widget.itemText(i)
    if isinstance(widget, QTabWidget):
        for i in range(widget.count()):
            yield widget.tabText(i)
            yield widget.tabToolTip(i)
    if isinstance(widget, QListWidget):
        for i in range(widget.count()):
            yield widget.item(i).text()
            yield widget.item(i).toolTip()
    if isinstance(widget, QTableWidget):
        for column in range(widget.columnCount()):
            header = widget.horizontalHeaderItem(column)
            if header is not None:
                yield header.text()
        for row in range(widget.rowCount()):
            for column in range(widget.columnCount()):
                item = widget.item(row, column)
                if item is not None:
                    yield item.text()
                    yield item.toolTip()
    if isinstance(widget, QTreeWidget):
        header = widget.headerItem()
        yield from (header.text(c) for c in range(widget.columnCount()))
        items = [widget.topLevelItem(i) for i in range(widget.topLevelItemCount())]
        while items:
            item = items.pop()
            for column in range(widget.columnCount()):
                yield item.text(column)
                yield item.toolTip(column)
            items += [item.child(i) for i in range(item.childCount())]
    if isinstance(widget, QAbstractSpinBox):
        yield widget.specialValueText()
        if isinstance(widget, QSpinBox):
            yield widget.prefix()
            yield widget.suffix()
    if isinstance(widget, QWizard):
        for which in (
            QWizard.WizardButton.BackButton,
            QWizard.WizardButton.NextButton,
            QWizard.WizardButton.FinishButton,
            QWizard.WizardButton.CancelButton,
        ):
            yield widget.buttonText(which)
        page = widget.currentPage()
        if page is not None:
            yield page.title()
            yield page.subTitle()
    for action in widget.actions():
        yield action.text()
        yield action.toolTip()


def visible_texts(root: QWidget) -> list[str]:
    """Every text a person can read in ``root`` and its visible children."""
    found: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if widget is not root and not widget.isVisibleTo(root):
            continue
        for text in _texts_of(widget):
            plain = html.unescape(_TAG.sub(" ", text or "")).replace("&", "")
            found += [line.strip() for line in plain.splitlines() if line.strip()]
    return found


# English words that Italian text does not use; two in one text are English that
# is not even in the catalogue (a string never wrapped in tr()).
# fmt: off
_ENGLISH_WORDS = frozenset({
    "the", "and", "you", "your", "is", "are", "not", "to", "of", "with", "this",
    "that", "would", "be", "was", "from", "for", "or", "has", "have", "will", "can",
    "each", "other", "here", "there", "what", "which", "when", "could", "been",
    "their", "they", "them", "were", "an",
})
# fmt: on
_NOT_WORDS = re.compile(r"\S*[@/]\S*|\b\S+\.\S+\b")  # addresses, domains, paths


def english_words(text: str) -> set[str]:
    """The English function words in ``text``, leaving addresses and names of
    domains or files out."""
    words = re.findall(r"[A-Za-z']+", _NOT_WORDS.sub(" ", text).lower())
    return {w for w in words if w in _ENGLISH_WORDS}


class Walk:
    """The texts seen so far, by where they were seen."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def look(self, where: str, widget: QWidget) -> None:
        widget.show()
        QApplication.processEvents()
        self.seen += [(where, text) for text in visible_texts(widget)]

    def english(self) -> list[tuple[str, str, str]]:
        patterns = english_patterns()
        return [
            (where, text, english)
            for where, text in self.seen
            for english, pattern in patterns
            if pattern.fullmatch(text)
        ]

    def english_prose(self) -> list[tuple[str, str]]:
        """Texts that read as English sentences, catalogue or not."""
        return [(w, text) for w, text in self.seen if len(english_words(text)) >= 2]


@pytest.fixture
def italian_desktop(qapp: QApplication, tmp_path: Path) -> Iterator[DesktopApp]:
    set_language("it")
    settings = Settings(proxy=ProxySettings(port=free_port(), decision_timeout=60))
    app = DesktopApp(
        qapp, tmp_path, settings, MemorySecrets(), demo=True, use_tray=False
    )
    app.start()
    yield app
    app.shutdown()
    set_language("en")


def walk_demo(qtbot, desktop: DesktopApp) -> Walk:
    walk = Walk()
    desktop.menu.rebuild()
    walk.look("tray menu", desktop.menu)
    if desktop.status is not None:
        walk.look("status window", desktop.status)

    desktop.send_sample()
    qtbot.waitUntil(lambda: len(desktop.dialogs) == 1, timeout=10_000)
    dialog = next(iter(desktop.dialogs.values()))
    walk.look("hold dialog", dialog)
    if dialog.one_by_one_button.isVisible():  # the offer to send one by one
        dialog.one_by_one_button.click()
        walk.look("hold dialog, one by one", dialog)
        dialog.offer.back_button.click()
    desktop.menu.rebuild()
    walk.look("tray menu, a message held", desktop.menu)
    qtbot.mouseClick(dialog.convert_button, Qt.MouseButton.LeftButton)
    assert desktop.sink is not None
    qtbot.waitUntil(lambda: len(desktop.sink.messages()) == 1, timeout=10_000)

    desktop.send_sample()
    qtbot.waitUntil(lambda: len(desktop.dialogs) == 1, timeout=10_000)
    dialog = next(iter(desktop.dialogs.values()))
    qtbot.mouseClick(dialog.as_is_button, Qt.MouseButton.LeftButton)
    walk.look("hold dialog, send as is", dialog)
    qtbot.mouseClick(dialog.confirm.yes_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(i.kind.value == "sent-as-is" for i in desktop.incidents.list()),
        timeout=10_000,
    )

    desktop.open_incidents()
    incidents = desktop.windows["incidents"]
    incidents.table.selectRow(0)  # type: ignore[attr-defined]
    walk.look("incidents", incidents)
    wizard = desktop.open_apology(incidents.items[0])  # type: ignore[attr-defined]
    walk.look("apology page 1", wizard)
    page = 1
    while wizard.nextId() != -1:  # every page to the last
        wizard.next()
        page += 1
        walk.look(f"apology page {page}", wizard)
    assert page >= 4
    wizard.close()

    desktop.open_check()
    check = desktop.windows["check"]
    walk.look("check window, empty", check)
    check.show_message(sample_mass_mail(25))  # type: ignore[attr-defined]
    walk.look("check window, a sample", check)

    desktop.open_held()
    walk.look("held messages", desktop.windows["held"])
    states = ("waiting", "queued", "sending", "uncertain", "needs-sign-in", "sent")
    states += ("partly-sent", "failed", "discarded")
    records = [in_state(s, held_id=f"h{i}") for i, s in enumerate(states)]
    held = HeldWindow(lambda: records, lambda i, r: None, clock=lambda: NOW)
    for i in range(len(records)):
        held.select_id(f"h{i}")
        walk.look(f"held messages, {states[i]}", held)
        dialog = HoldDialog(records[i], lambda i, r: None, clock=lambda: NOW)
        walk.look(f"hold dialog, {states[i]}", dialog)
        dialog.close_quietly()
    held.close()

    countdowns = CountdownWindow(lambda i: None, lambda i: None, clock=lambda: NOW)
    soon = record("soon0001", 3, subject="Pranzo", exposed_count=0, origin="passed")
    countdowns.show_records([with_countdown(soon, NOW, 10)], reveal=True)
    walk.look("undo send", countdowns)
    countdowns.close()

    desktop.open_outbox()
    walk.look("demo outbox", desktop.windows["outbox"])
    desktop.open_settings()
    settings = desktop.windows["settings"]
    for tabs in settings.findChildren(QTabWidget):
        for index in range(tabs.count()):
            tabs.setCurrentIndex(index)
            walk.look(f"settings tab {tabs.tabText(index)}", settings)
    assistant = settings.open_assistant()  # type: ignore[attr-defined]
    walk.look("account assistant", assistant)
    assistant.close()

    desktop.guard.pause(900)
    qtbot.waitUntil(lambda: desktop.menu.state.state is GuardState.PAUSED)
    desktop.menu.rebuild()
    walk.look("tray menu, paused", desktop.menu)
    if desktop.status is not None:  # with the notifications of the walk
        walk.look("status window, paused", desktop.status)
    return walk


def test_the_demo_in_italian_shows_no_english(
    qtbot,
    italian_desktop: DesktopApp,
) -> None:
    walk = walk_demo(qtbot, italian_desktop)
    assert len(walk.seen) > 200  # the walk did see the windows
    english = walk.english()
    assert not english, "English in Italian mode:\n" + "\n".join(
        f"  {where}: {text!r} (is {source!r})" for where, text, source in english
    )
    prose = walk.english_prose()
    assert not prose, "English not in the catalogue (wrap it in tr()):\n" + "\n".join(
        f"  {where}: {text!r}" for where, text in prose
    )


def test_the_walk_sees_a_planted_english_string(qapp: QApplication) -> None:
    """An English catalogue string left in a window fails the walk."""
    set_language("it")
    try:
        window = QWidget()
        label = QLabel("Sent to 3 recipients", window)  # ntr() forgotten
        label.show()
        walk = Walk()
        walk.look("planted", window)
        found = walk.english()
        assert ("planted", "Sent to 3 recipients", "Sent to {n} recipients") in found
        QLabel("This label was never translated", window).show()  # no tr() at all
        walk.look("planted", window)
        assert walk.english_prose() == [("planted", "This label was never translated")]
    finally:
        set_language("en")
