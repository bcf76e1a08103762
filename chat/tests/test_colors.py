import pytest
from django.core.exceptions import ValidationError

from chat import colors


@pytest.mark.parametrize(
    ("color", "expected"),
    [
        ("#ffffff", 1.0),
        ("#000000", 21.0),
        # WCAG's own reference points: #767676 is the lightest grey white text passes AA on.
        ("#767676", 4.54),
        ("#777777", 4.48),
        ("#1f7a8c", 4.98),
    ],
)
def test_white_text_contrast_is_wcag_2_1_s(color, expected):
    assert colors.white_text_contrast(color) == pytest.approx(expected, abs=0.005)


def test_the_default_is_chat_css_s_accent_and_passes():
    from pathlib import Path

    css = (Path(colors.__file__).parent / "static/chat/chat.css").read_text()
    assert f"--chatbox-primary: {colors.DEFAULT_PRIMARY_COLOR};" in css
    colors.validate_primary_color(colors.DEFAULT_PRIMARY_COLOR)


@pytest.mark.parametrize("color", ["#767676", "#1F7A8C", "#000000", "#0000ff"])
def test_dark_enough_colours_pass(color):
    colors.validate_primary_color(color)


@pytest.mark.parametrize("color", ["#777777", "#ffffff", "#ffcc00", "#3ccf6e"])
def test_a_colour_too_light_for_white_text_is_refused_with_its_ratio(color):
    with pytest.raises(ValidationError) as raised:
        colors.validate_primary_color(color)
    error = raised.value.error_list[0]
    assert error.code == "low_contrast"
    message = raised.value.messages[0]
    assert color in message and "4.5:1" in message and "darker" in message


@pytest.mark.parametrize(
    "value", ["1f7a8c", "#1f7a8", "#1f7a8cc", "#gggggg", "teal", "", " #1f7a8c"]
)
def test_anything_but_hash_and_six_hex_digits_is_refused(value):
    with pytest.raises(ValidationError) as raised:
        colors.validate_primary_color(value)
    assert raised.value.error_list[0].code == "invalid_color"
