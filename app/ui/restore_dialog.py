"""Restore: choose the source (this machine's original values, or Windows defaults) and the family."""

from __future__ import annotations

import enum

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QGroupBox, QLabel, QRadioButton, QVBoxLayout, QWidget

from app.domain.defaults import DefaultsEntry
from app.domain.model import Family
from app.domain.originals import OriginalValues
from app.ui.theme import polish, set_role


class RestoreSource(enum.Enum):
    ORIGINAL = "original"
    WINDOWS_DEFAULTS = "windows-defaults"


def _unbroken(original: OriginalValues) -> str:
    """Where ``original`` comes from, its date and time held together: a line may wrap before it, never inside."""
    return original.provenance.replace(original.date_text, original.date_text.replace(" ", "\u00a0"))


class RestoreDialog(QDialog):
    """Accepted with :attr:`source` and :attr:`families`; the restore then goes through the normal apply flow."""

    def __init__(
        self,
        originals: dict[Family, OriginalValues],
        defaults: DefaultsEntry | None,
        build: int | None,
        defaults_problem: str = "",
        parent: QWidget | None = None,
        *,
        readable: tuple[Family, ...] = tuple(Family),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore values")
        source_box = QGroupBox("Restore to")
        source_layout = QVBoxLayout(source_box)
        self.original = QRadioButton("&Original values on this machine")
        lines = [f"{f.label}: {o.settings.describe()} ({_unbroken(o)})" for f, o in sorted(originals.items())]
        original_text = QLabel("<br>".join(lines) or "Not known yet: they are saved on the first successful read.")
        self.defaults = QRadioButton("&Windows defaults for this build")
        if defaults is not None:
            defaults_text = QLabel(f"{defaults.settings.describe()}<br><i>Source: {defaults.source}</i>")
        else:
            why = defaults_problem or (
                f"Not known for build {build}: Microsoft publishes no table of defaults, so "
                "Loopback Tuner lists a build only with a verifiable source."
                if build
                else "The Windows build is not known."
            )
            defaults_text = QLabel(why)
        for label in (original_text, defaults_text):
            label.setWordWrap(True)
            label.setContentsMargins(24, 0, 0, 6)
            set_role(label, "hint")
        self.original.setEnabled(bool(originals))
        self.defaults.setEnabled(defaults is not None)
        for widget in (self.original, original_text, self.defaults, defaults_text):
            source_layout.addWidget(widget)
        (self.original if originals else self.defaults).setChecked(bool(originals) or defaults is not None)

        family_box = QGroupBox("For")
        family_layout = QVBoxLayout(family_box)
        self.choices: dict[tuple[Family, ...], QRadioButton] = {}
        for families, text in (
            ((Family.IPV4, Family.IPV6), "&Both families"),
            ((Family.IPV4,), "IPv&4 only"),
            ((Family.IPV6,), "IPv&6 only"),
        ):
            button = QRadioButton(text)
            button.setEnabled(all(f in readable for f in families))  # a restore starts from values that were read
            self.choices[families] = button
            family_layout.addWidget(button)
        first = next((b for b in self.choices.values() if b.isEnabled()), None)
        if first is not None:
            first.setChecked(True)
        unreadable = [f.label for f in Family if f not in readable]
        if unreadable:
            hint = QLabel(
                f"{' and '.join(unreadable)} cannot be read, so it cannot be restored: see its tab, or "
                "Help > Save diagnostics for a bug report."
            )
            hint.setWordWrap(True)
            set_role(hint, "hint")
            family_layout.addWidget(hint)

        buttons = QDialogButtonBox()
        self.ok = buttons.addButton("&Restore\u2026", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setEnabled((bool(originals) or defaults is not None) and first is not None)
        self.ok.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(source_box)
        layout.addWidget(family_box)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)
        self.resize(480, layout.totalHeightForWidth(480))  # as tall as the wrapped text is at that width
        polish(self)
        (self.ok if self.ok.isEnabled() else buttons.button(QDialogButtonBox.StandardButton.Cancel)).setFocus()

    @property
    def source(self) -> RestoreSource:
        return RestoreSource.WINDOWS_DEFAULTS if self.defaults.isChecked() else RestoreSource.ORIGINAL

    @property
    def families(self) -> tuple[Family, ...]:
        return next((fams for fams, b in self.choices.items() if b.isChecked()), ())
