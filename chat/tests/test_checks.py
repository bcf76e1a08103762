import pytest

from chat.checks import (
    check_catalog,
    check_channel_layer,
    check_cross_origin_middleware,
    check_email,
    check_email_settings,
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
        ("CHAT_TRANSCRIPTS_PER_ADDRESS", 0, "chat.E001"),
        ("CHAT_SITE_NAME", None, "chat.E005"),
        ("CHAT_TEAM_EMAILS", "team@example.com", "chat.E007"),
        ("CHAT_TEAM_EMAILS", ["team@example.com", 7], "chat.E007"),
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
    assert ids(warnings) == ["chat.W005"]
    assert missing in warnings[0].msg


def test_a_catalog_that_cannot_be_imported_is_an_error(settings):
    settings.CHAT_CATALOG = "shop.catalog.NoSuchCatalog"
    assert ids(check_catalog()) == ["chat.E006"]


def test_no_catalog_is_a_site_without_a_shop(settings):
    settings.CHAT_CATALOG = ""
    assert check_catalog() == []


# --- email ------------------------------------------------------------------------------------


def test_the_email_defaults_pass():
    assert check_email_settings() == []


def test_a_team_address_that_is_not_one_is_an_error(settings):
    settings.CHAT_TEAM_EMAILS = ["team@shop.example.com", "sales at shop.example.com"]
    errors = check_email_settings()
    assert ids(errors) == ["chat.E008"]
    assert "'sales at shop.example.com'" in errors[0].msg


@pytest.mark.parametrize("url", ["shop.example.com", "ftp://shop.example.com", ""])
def test_the_site_url_must_be_an_http_address(settings, url):
    settings.CHAT_SITE_URL = url
    assert ids(check_email_settings()) == ["chat.E009"]


def test_the_console_url_must_resolve(settings):
    settings.CHAT_CONSOLE_URL = "console:no_such_page"
    assert ids(check_email_settings()) == ["chat.E010"]
    settings.CHAT_CONSOLE_URL = "/support/inbox/"  # a path is taken as it is
    assert check_email_settings() == []


def test_settings_of_the_wrong_type_are_left_to_check_limits(settings):
    settings.CHAT_TEAM_EMAILS = "team@example.com"
    assert check_email_settings() == []
    assert ids(check_limits()) == ["chat.E007"]


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    ],
)
def test_email_that_is_never_sent_is_a_deploy_warning_without_debug(settings, backend):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = backend
    settings.DEFAULT_FROM_EMAIL = "chat@shop.example.com"
    settings.CHAT_SITE_URL = "https://shop.example.com"
    assert ids(check_email()) == ["chat.W002"]
    settings.DEBUG = True  # a laptop: the console is where mail should go
    assert check_email() == []


def test_smtp_from_a_real_address_passes(settings):
    settings.DEBUG = False
    settings.CHAT_SITE_URL = "https://shop.example.com"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Gopher Goods <chat@shop.example.com>"
    assert check_email() == []
    settings.DEFAULT_FROM_EMAIL = "webmaster@localhost"
    assert ids(check_email()) == ["chat.W003"]


def test_links_to_the_development_address_are_a_deploy_warning_without_debug(settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "chat@shop.example.com"
    settings.CHAT_SITE_URL = "http://127.0.0.1:8000"
    assert ids(check_email()) == ["chat.W004"]
    settings.CHAT_SITE_URL = "https://shop.example.com"
    assert check_email() == []
