import pytest

from chat.checks import (
    check_catalog,
    check_channel_layer,
    check_cross_origin_middleware,
    check_limits,
)


def ids(errors) -> list[str]:
    return [error.id for error in errors]


def test_the_defaults_pass():
    assert check_limits() == []


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("CHAT_MAX_MESSAGE_LENGTH", 0, "chat.E001"),
        ("CHAT_MAX_MESSAGE_LENGTH", True, "chat.E001"),
        ("CHAT_HISTORY_LIMIT", 2.5, "chat.E001"),
        ("CHAT_CATALOG", 3, "chat.E005"),
    ],
)
def test_a_bad_value_is_reported_with_its_id(settings, name, value, expected):
    setattr(settings, name, value)
    assert ids(check_limits()) == [expected]


def test_a_frame_must_hold_the_longest_message(settings):
    settings.CHAT_MAX_FRAME_LENGTH = 100
    settings.CHAT_MAX_MESSAGE_LENGTH = 100
    assert ids(check_limits()) == ["chat.E002"]


def test_the_in_memory_layer_is_a_deploy_warning(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    assert ids(check_channel_layer()) == ["chat.W001"]


def test_a_catalog_that_cannot_be_imported_is_an_error(settings):
    settings.CHAT_CATALOG = "shop.catalog.NoSuchCatalog"
    assert ids(check_catalog()) == ["chat.E006"]


def test_no_catalog_is_a_site_without_a_shop(settings):
    settings.CHAT_CATALOG = ""
    assert check_catalog() == []


def test_the_site_s_middleware_lets_other_sites_embed_the_chat():
    assert check_cross_origin_middleware() == []


@pytest.mark.parametrize(
    ("missing", "instead"),
    [
        ("corsheaders.middleware.CorsMiddleware", []),
        (
            "chat.middleware.VisitorSessionMiddleware",
            ["django.contrib.sessions.middleware.SessionMiddleware"],
        ),
    ],
)
def test_without_the_cross_origin_middleware_embedding_is_a_warning(settings, missing, instead):
    middleware = list(settings.MIDDLEWARE)
    at = middleware.index(missing)
    middleware[at : at + 1] = instead
    settings.MIDDLEWARE = middleware
    warnings = check_cross_origin_middleware()
    assert ids(warnings) == ["chat.W002"]
    assert missing in warnings[0].msg
