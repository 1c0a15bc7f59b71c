"""Wording and legibility: tooltips that add something, one spelling, whole dates, indicators that stand out."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QGroupBox,
    QLabel,
    QRadioButton,
    QStyle,
    QStyleFactory,
    QStyleOptionButton,
    QTabWidget,
    QWidget,
)

from app.domain.model import ExecutionMode, Family
from app.simulator.profile import SimProfile
from app.ui import texts
from app.ui.contrast import ContrastStyle, indicator_outline
from app.ui.restore_dialog import RestoreDialog
from app.ui.theme import _dark_palette
from tests.conftest import SUBPROCESS_TIMEOUT_S
from tests.ui.conftest import Rig, SignalWaiter

Run = Callable[[Any], Any]


def _plain(text: str) -> str:
    """``text`` as a reader sees it: no tags, no mnemonic ampersands, no ellipsis, spaces collapsed, lower case."""
    text = re.sub(r"<[^>]+>", " ", text).replace("&", "").replace("\u2026", "")
    return " ".join(text.split()).strip(" .").casefold()


def _visible_texts(window: QWidget) -> Iterator[str]:
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            yield widget.text()
        elif isinstance(widget, QGroupBox):
            yield widget.title()
        elif isinstance(widget, QTabWidget):
            yield from (widget.tabText(i) for i in range(widget.count()))


def _tooltips(window: QWidget) -> Iterator[tuple[str, str]]:
    """(what, tooltip) for every visible widget with a tooltip, and every tab but the current one (whose page shows
    what its tooltip tells of it from the other tab)."""
    for widget in window.findChildren(QWidget):
        if widget.isVisibleTo(window) and widget.toolTip():
            yield (widget.accessibleName() or type(widget).__name__, widget.toolTip())
        if isinstance(widget, QTabWidget):
            others = [i for i in range(widget.count()) if i != widget.currentIndex() and widget.tabToolTip(i)]
            yield from ((f"tab {widget.tabText(i)}", widget.tabToolTip(i)) for i in others)


@pytest.mark.parametrize(
    "profile",
    [
        SimProfile(elevated=True),
        SimProfile(elevated=True, build=17134),
        SimProfile(elevated=True, build=26100, congestion_provider="bbr2"),
    ],
    ids=["readable", "unsupported", "known-problem"],
)
def test_every_tooltip_says_something_the_visible_text_does_not(
    rig_factory: Callable[..., Rig], run: Run, profile: SimProfile
) -> None:
    rig = rig_factory(profile)
    run(rig.helpdesk.facts.check_interactions())
    rig.vm.set_mode(Family.IPV4, ExecutionMode.INLINE)  # markers and a tab mark shown, where editable
    for index in range(rig.window.tabs.count()):
        rig.window.tabs.setCurrentIndex(index)
        shown = " | ".join(_plain(text) for text in _visible_texts(rig.window))
        tips = list(_tooltips(rig.window))
        assert tips, "no tooltips at all: the test would prove nothing"
        for what, tip in tips:
            seen = _plain(what) if what.startswith("tab ") else shown  # a tab's page is not shown: its title is
            assert _plain(tip) not in seen, f"{what}: its tooltip {tip!r} only repeats what the window shows"


def test_one_spelling_of_favor_throughout(rig_factory: Callable[..., Rig], run: Run) -> None:
    rig = rig_factory()
    words: list[str] = [value for value in vars(texts).values() if isinstance(value, str)]
    words += [str(value) for value in texts.MODE_TEXT.values()]
    words += list(_visible_texts(rig.window)) + [tip for _, tip in _tooltips(rig.window)]
    words += [p.why for p in rig.helpdesk.presets.presets]
    assert any("favor" in w.casefold() for w in words)  # the word is used, in the US spelling
    assert not [w for w in words if "favour" in w.casefold()]


def _spaced(text: str) -> str:
    return text.replace("\u00a0", " ")


def _line_starts(label: QLabel) -> list[tuple[str, set[int]]]:
    """Each paragraph of ``label``'s rich text as laid out at the label's width: its text and where lines start."""
    document = QTextDocument()
    document.setDefaultFont(label.font())
    document.setHtml(label.text())
    document.setDocumentMargin(0)
    document.setTextWidth(label.contentsRect().width())
    document.documentLayout().documentSize()  # lays the text out
    result = []
    block = document.begin()
    while block.isValid():
        layout = block.layout()
        starts = {layout.lineAt(i).textStart() for i in range(layout.lineCount())}
        result.append((block.text(), starts))
        block = block.next()
    return result


def test_the_restore_dialog_never_breaks_a_date(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    dates = {o.date_text for o in rig.vm.originals.values()}
    assert dates
    qtbot.mouseClick(rig.window.restore_button, Qt.MouseButton.LeftButton)
    wait.until(lambda: any(d.isVisible() for d in rig.window.findChildren(RestoreDialog)))
    dialog = next(d for d in rig.window.findChildren(RestoreDialog) if d.isVisible())
    label = next(lbl for lbl in dialog.findChildren(QLabel) if any(d in _spaced(lbl.text()) for d in dates))
    for width in (dialog.minimumWidth(), 560, 700):
        dialog.resize(width, dialog.height())
        wait.until(lambda width=width: dialog.width() == width)
        looked_at = 0
        for text, starts in _line_starts(label):
            assert starts  # laid out
            for date in dates:
                for found in re.finditer(re.escape(date), _spaced(text)):
                    inside = {s for s in starts if found.start() < s < found.end()}
                    assert not inside, f"{date!r} wraps at {width} px"
                    looked_at += 1
        assert looked_at == 2  # both families' dates
    dialog.reject()


# --- radio and check box indicators: WCAG 2.1 non-text contrast, 3:1 ------------------------------------------


def _luminance(color: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.red()) + 0.7152 * channel(color.green()) + 0.0722 * channel(color.blue())


def _ratio(first: QColor, second: QColor) -> float:
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _palettes() -> list[tuple[str, QPalette]]:
    return [("light", QStyleFactory.create("Fusion").standardPalette()), ("dark", _dark_palette())]


def test_the_indicator_outline_has_3_to_1_contrast_in_both_palettes() -> None:
    for name, palette in _palettes():
        outline = indicator_outline(palette)
        for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
            ratio = _ratio(outline, palette.color(role))
            assert ratio >= 3.0, f"{name}: outline {outline.name()} on {role.name} is only {ratio:.2f}:1"


@pytest.mark.parametrize("kind", [QRadioButton, QCheckBox])
def test_rendered_indicators_stand_out_3_to_1_from_the_window_in_both_palettes(qapp: Any, kind: type) -> None:
    """Drawn by the app's style, an unchecked indicator has pixels with at least 3:1 against the window behind it
    (Fusion alone reaches about 2.2:1 on light and less on dark)."""
    for name, palette in _palettes():
        style = ContrastStyle(QStyleFactory.create("Fusion"))
        holder = QWidget()
        holder.setStyle(style)
        holder.setPalette(palette)
        holder.setAutoFillBackground(True)
        holder.setBackgroundRole(QPalette.ColorRole.Window)
        button = kind("Adaptive", holder)
        button.setStyle(style)
        holder.resize(160, 40)
        button.move(10, 10)
        image: QImage = holder.grab().toImage()
        option = QStyleOptionButton()
        option.initFrom(button)
        element = (
            QStyle.SubElement.SE_RadioButtonIndicator
            if kind is QRadioButton
            else QStyle.SubElement.SE_CheckBoxIndicator
        )
        box = style.subElementRect(element, option, button).translated(button.pos())
        window = palette.color(QPalette.ColorRole.Window)
        assert QColor(image.pixel(2, 2)) == window
        best = max(
            _ratio(QColor(image.pixel(x, y)), window)
            for x in range(box.left(), box.right() + 1)
            for y in range(box.top(), box.bottom() + 1)
        )
        assert best >= 3.0, f"{name} {kind.__name__}: the indicator reaches only {best:.2f}:1 against the window"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_app_draws_with_the_contrast_style_in_both_palettes(theme: str) -> None:
    """apply_theme changes the whole application, so it runs in a child process of its own."""
    code = (
        "from PySide6.QtWidgets import QApplication\n"
        "from app.ui.contrast import ContrastStyle, indicator_outline\n"
        "from app.ui.theme import apply_theme\n"
        "app = QApplication([])\n"
        f"dark = apply_theme(app, {theme!r})\n"
        "assert isinstance(app.style(), ContrastStyle), app.style()\n"
        "print(dark, app.palette().window().color().name(), indicator_outline(app.palette()).name())\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=SUBPROCESS_TIMEOUT_S, check=False
    )
    assert done.returncode == 0, done.stderr
    dark, window, outline = done.stdout.split()
    assert dark == str(theme == "dark")
    assert _ratio(QColor(outline), QColor(window)) >= 3.0
