"""Colours staff choose in admin.

The chat box's brand colour: the box's buttons and the visitor's own messages put white text
on it, so a colour too light for white text to be read on is refused. A label's colour is only
ever a swatch beside the label's name (console), never a background for text: any "#rrggbb".

Contrast per WCAG 2.1 (success criterion 1.4.3, level AA): normal text needs a contrast ratio
of at least 4.5:1, the ratio being (L1 + 0.05) / (L2 + 0.05) of the two colours' relative
luminances (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

#: The colour the chat box was designed with (chat/static/chat/chat.css, --chatbox-primary).
DEFAULT_PRIMARY_COLOR = "#1f7a8c"
#: WCAG 2.1 AA for normal text.
MIN_WHITE_TEXT_CONTRAST = 4.5

HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _linear(channel: int) -> float:
    """One sRGB channel (0-255) as linear light, as WCAG 2.1 defines it."""
    value = channel / 255
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    """0 (black) to 1 (white) for a "#rrggbb" colour."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _linear(red) + 0.7152 * _linear(green) + 0.0722 * _linear(blue)


def white_text_contrast(color: str) -> float:
    """The contrast ratio of white text on a "#rrggbb" background, 1 to 21."""
    return (1.0 + 0.05) / (relative_luminance(color) + 0.05)


def validate_hex_color(value: str) -> None:
    """A colour as "#rrggbb", whatever it is used for."""
    if not isinstance(value, str) or not HEX_COLOR.fullmatch(value):
        raise ValidationError(
            "Give the colour as # and six hexadecimal digits, e.g. %(example)s.",
            code="invalid_color",
            params={"example": DEFAULT_PRIMARY_COLOR},
        )


def validate_primary_color(value: str) -> None:
    validate_hex_color(value)
    ratio = white_text_contrast(value)
    if ratio < MIN_WHITE_TEXT_CONTRAST:
        raise ValidationError(
            "White text on %(color)s has a contrast of only %(ratio).2f:1; the chat box's "
            "buttons need at least 4.5:1 to be readable (WCAG AA). Choose a darker colour.",
            code="low_contrast",
            params={"color": value, "ratio": ratio},
        )
