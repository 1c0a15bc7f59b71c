"""Radio and check box indicators with at least 3:1 contrast (WCAG 2.1 non-text contrast) in any palette.

Fusion outlines them in the window colour darkened by 40-50%: about 2.2:1 on the light palette and almost
nothing on the dark one. ContrastStyle draws Fusion's indicator, then its outline again in
:func:`indicator_outline`, a colour chosen from the palette to stand out against both the window and the base.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleOption, QWidget

MINIMUM_CONTRAST = 3.0  # WCAG 2.1 success criterion 1.4.11, user interface components


def _channel(value: float) -> float:
    value /= 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(color: QColor) -> float:
    """WCAG 2.1 relative luminance of ``color`` (0 black to 1 white)."""
    return 0.2126 * _channel(color.red()) + 0.7152 * _channel(color.green()) + 0.0722 * _channel(color.blue())


def contrast_ratio(first: QColor, second: QColor) -> float:
    """WCAG 2.1 contrast ratio of two opaque colours, from 1 to 21."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _mix(start: QColor, end: QColor, amount: float) -> QColor:
    return QColor.fromRgbF(
        start.redF() + (end.redF() - start.redF()) * amount,
        start.greenF() + (end.greenF() - start.greenF()) * amount,
        start.blueF() + (end.blueF() - start.blueF()) * amount,
    )


def indicator_outline(palette: QPalette) -> QColor:
    """The colour closest to the window colour, on the way to the text colour, that has at least 3.3:1 contrast
    (a margin over 3:1 for antialiasing) against both the window and the base colour an indicator sits on."""
    window = palette.color(QPalette.ColorRole.Window)
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.WindowText)
    for step in range(1, 21):
        color = _mix(window, text, step / 20)
        if min(contrast_ratio(color, window), contrast_ratio(color, base)) >= MINIMUM_CONTRAST * 1.1:
            return color
    return text


_INDICATORS = (QStyle.PrimitiveElement.PE_IndicatorRadioButton, QStyle.PrimitiveElement.PE_IndicatorCheckBox)


class ContrastStyle(QProxyStyle):
    """Fusion (or any base style) with high-contrast outlines on enabled radio and check box indicators."""

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element not in _INDICATORS:
            return
        state = option.state
        if not state & QStyle.StateFlag.State_Enabled:
            return  # an inactive control needs no contrast (WCAG), and stays visibly disabled
        if state & QStyle.StateFlag.State_HasFocus and state & QStyle.StateFlag.State_KeyboardFocusChange:
            return  # Fusion's highlighted outline marks the keyboard focus: keep it
        rect = QRectF(option.rect)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(indicator_outline(option.palette), 1))
        painter.setBrush(QColor(0, 0, 0, 0))
        if element is QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            # Fusion's circle: centred one pixel right of and below the rectangle's centre, radius just inside it
            width = option.rect.width()
            radius = (width + (width + 1) % 2) / 2.0 - 1
            path = QPainterPath()
            path.addEllipse(QPointF(option.rect.center()) + QPointF(1, 1), radius, radius)
            painter.drawPath(path)
        else:
            painter.drawRect(rect.adjusted(0.5, 0.5, -1.5, -1.5))  # Fusion's square, on whole pixels
        painter.restore()
