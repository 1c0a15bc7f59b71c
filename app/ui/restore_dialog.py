"""Choose which family to put back to the values this machine had when the app first read it."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QRadioButton, QVBoxLayout, QWidget

from app.domain.model import Family
from app.storage.originals import OriginalValues


class RestoreDialog(QDialog):
    """Accepted with :attr:`families` set; the restore then goes through the normal apply flow."""

    def __init__(self, originals: dict[Family, OriginalValues], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore original values")
        lines = [f"<b>{f.label}</b>: {o.settings.describe()} <i>(first read {o.date_text})</i>"
                 for f, o in sorted(originals.items())]
        intro = QLabel("Put the loopback settings back to the values this machine had when Loopback Tuner first "
                       "read them:<br>" + "<br>".join(lines))
        intro.setWordWrap(True)
        self.choices: dict[tuple[Family, ...], QRadioButton] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        for families, text in (((Family.IPV4, Family.IPV6), "&Both families"), ((Family.IPV4,), "IPv&4 only"),
                               ((Family.IPV6,), "IPv&6 only")):
            button = QRadioButton(text)
            button.setEnabled(all(f in originals for f in families))
            self.choices[families] = button
            layout.addWidget(button)
        next(b for b in self.choices.values() if b.isEnabled()).setChecked(True) if any(
            b.isEnabled() for b in self.choices.values()) else None
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton("&Restore\u2026", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @property
    def families(self) -> tuple[Family, ...]:
        return next((fams for fams, b in self.choices.items() if b.isChecked()), ())
