import pytest

from console.checks import check_settings


def test_the_defaults_pass():
    assert check_settings() == []


@pytest.mark.parametrize("value", [None, 3, ["there"]])
def test_the_visitor_name_fallback_must_be_a_string(settings, value):
    settings.CONSOLE_VISITOR_NAME_FALLBACK = value
    assert [error.id for error in check_settings()] == ["console.E005"]
