import pytest

from botapps.checks import check_settings


def ids(errors) -> list[str]:
    return [error.id for error in errors]


def test_the_defaults_pass():
    assert check_settings() == []


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("CHAT_WEBHOOK_IN_PROCESS_WORKER", 1, "botapps.E003"),
        ("CHAT_WEBHOOK_RETRY_DELAY", -1, "botapps.E004"),
        ("CHAT_WEBHOOK_TIMEOUT", "5", "botapps.E004"),
        ("CHAT_API_TOKEN_EXPIRES_IN", 0, "botapps.E001"),
    ],
)
def test_a_bad_value_is_reported_with_its_id(settings, name, value, expected):
    setattr(settings, name, value)
    assert ids(check_settings()) == [expected]


def test_seconds_may_be_fractions_or_whole(settings):
    settings.CHAT_WEBHOOK_RETRY_DELAY = 2
    settings.CHAT_WEBHOOK_TIMEOUT = 0.5
    assert check_settings() == []
