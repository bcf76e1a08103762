"""A retention that is not a number of days stops the start with a sentence."""

import pytest

from privacy.checks import settings_check


def ids(errors) -> list[str]:
    return [error.id for error in errors]


def test_the_defaults_pass():
    assert settings_check() == []


@pytest.mark.parametrize("days", [0, -3, "30", 2.5, True])
def test_a_retention_that_is_not_whole_days_is_an_error(settings, days):
    settings.CHAT_RETENTION_DAYS = days
    (error,) = settings_check()
    assert error.id == "privacy.E001"
    assert repr(days) in error.msg


def test_a_number_of_days_passes(settings):
    settings.CHAT_RETENTION_DAYS = 90
    assert settings_check() == []


@pytest.mark.parametrize("size", [0, None, "500"])
def test_a_batch_size_that_is_not_a_count_is_an_error(settings, size):
    settings.CHAT_PURGE_BATCH_SIZE = size
    assert ids(settings_check()) == ["privacy.E002"]
