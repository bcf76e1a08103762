"""Settings for the chat site.

Every value that differs between a laptop and production comes from the
environment; the defaults are safe for development (SQLite, in-memory channel
layer, localhost only). See README.md for the full table.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from chatsite.mail_settings import email_settings

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # daphne first: its runserver serves HTTP and WebSockets from one process.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    # CORS for the chat box's endpoints, for the sites allowed to embed it (chat.cross_origin).
    "corsheaders",
    # The Content-Security-Policy header (chatsite/csp.py).
    "csp",
    "rest_framework",
    "drf_spectacular",
    # Sets up the webhook queue's broker (below) before chat declares its tasks.
    "django_dramatiq",
    # Sends the periodic tasks (the daily purge, the hourly clearing of sessions) to the
    # queue at their times: `manage.py crontab`, the `scheduler` service (privacy/tasks.py).
    "dramatiq_crontab",
    # Staff log-in throttling (below).
    "axes",
    "bots",
    "chat",
    "console",
    # The staff's reports (/staff/reports/): they read the chat and the bots, nothing more.
    "reports",
    "shop",
    "botapps",
    # Who did what to visitors' conversations and data (an append-only log).
    "audit",
    # Visitors' data: retention, erasure and export. After the chat: its admin adds to the
    # chat's.
    "privacy",
    # The project's own commands: `serve` (the production shape on one machine).
    "chatsite",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything that answers by itself (a refused visitor token, say), so that other
    # sites' chat boxes can read every answer of the chat's endpoints.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "chatsite.csp.SiteCSPMiddleware",
    # Django's SessionMiddleware, and the visitor token of a chat box on another site.
    "chat.middleware.VisitorSessionMiddleware",
    # After sessions, before CommonMiddleware (Django's order): each page in the visitor's
    # language (the language cookie set_language sets, else Accept-Language, else
    # LANGUAGE_CODE).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which reads the body first: an oversized one is answered in words.
    "chat.middleware.BodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: answers a log-in that is locked out (below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chatsite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "chatsite.asgi.application"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Every consumer call runs in the one database thread: reopening the file for
    # each would cost more than the query.
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "600"))
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Consumers write from worker threads while pages read: wait for the lock
            # instead of failing with "database is locked".
            "timeout": 20,
            # Write-ahead log: pages read while the chat writes, and a commit costs no
            # fsync (NORMAL is durable across application crashes; a power cut may lose
            # the last commits, which a single-file development database accepts).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Take the write lock when a transaction starts, so that two writers queue
            # instead of one failing when it upgrades its read lock.
            "transaction_mode": "IMMEDIATE",
        }
    )

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    if env_bool("DATABASE_POOL", True):
        # A connection per consumer call would cost a PostgreSQL login each time; Django's
        # own pool (psycopg_pool) lends one instead. Persistent connections are not for
        # ASGI (Django's deployment docs), so CONN_MAX_AGE stays 0 with the pool.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 2,
            "max_size": int(os.environ.get("DATABASE_POOL_SIZE", "10")),
            "timeout": 20,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "0"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Threads each server process serves pages and the HTTP API from (chatsite/http.py): pages
# spend their time on the CPU, and a few threads cover the waits on the database.
HTTP_THREADS = int(os.environ.get("DJANGO_HTTP_THREADS", "4"))

# Redis: the channel layer, the cache and the webhook queue all use it when there is one.
# - REDIS_URL alone (redis://[[user]:password@]host:6379/db, rediss:// for TLS): that one
#   server.
# - REDIS_SENTINELS (host:port,host:port; port 26379 when left out): Redis Sentinel. All three
#   ask the sentinels which server is the primary of the service REDIS_SENTINEL_MASTER
#   (default "mymaster") each time they connect, and so follow a fail-over by themselves.
#   REDIS_URL is then optional and lends the primary only its user name, password, database
#   number and TLS (rediss://); its host and port are ignored. REDIS_SENTINEL_PASSWORD is the
#   sentinels' own password (their requirepass), if they have one.
# Either way, sites (or test runs) sharing one Redis keep apart by REDIS_PREFIX. Nothing
# connects while settings load: the clients are made lazily (chatsite/redis_sentinel.py).
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_PREFIX = os.environ.get("REDIS_PREFIX", "asgi")


def env_sentinels(name: str) -> list[list[str | int]]:
    """Comma-separated host:port pairs ([::1]:26379 for IPv6), as [host, port] lists."""
    hosts: list[list[str | int]] = []
    for entry in env_list(name, ""):
        host, colon, port = entry.rpartition(":")
        if not colon or host.endswith(":"):  # no port given (or a bare IPv6 address)
            host, port = entry, "26379"
        host = host.removeprefix("[").removesuffix("]")
        if not host or not port.isdigit():
            raise ImproperlyConfigured(f"{name} must be host:port pairs, not {entry!r}.")
        hosts.append([host, int(port)])
    return hosts


REDIS_SENTINELS = env_sentinels("REDIS_SENTINELS")
if REDIS_SENTINELS:
    if REDIS_URL.lower().startswith("unix:"):
        raise ImproperlyConfigured("With REDIS_SENTINELS, REDIS_URL must be redis:// or rediss://.")
    # What each of the three users of Redis is given to find the primary with.
    REDIS_SENTINEL = {
        "sentinels": REDIS_SENTINELS,
        "master_name": os.environ.get("REDIS_SENTINEL_MASTER", "").strip() or "mymaster",
        "sentinel_password": os.environ.get("REDIS_SENTINEL_PASSWORD", ""),
    }
else:
    REDIS_SENTINEL = None
# Whether the site runs on Redis at all, one way or the other.
REDIS = bool(REDIS_URL or REDIS_SENTINELS)

if REDIS:
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis's layer on a pool that makes bursts of connects wait instead of
            # failing, and that reconnects what a Redis restart or fail-over broke
            # (chatsite/channel_layers.py).
            "BACKEND": "chatsite.channel_layers.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{**REDIS_SENTINEL, "url": REDIS_URL} if REDIS_SENTINEL else REDIS_URL],
                "prefix": REDIS_PREFIX,
                "pool_size": 100,
                "pool_timeout": 10,
                # Every socket of one process receives through one Redis list, and what goes
                # beyond "capacity" there is dropped without a word (channels_redis's default,
                # 100, lost half the replies to 200 sockets answered at once).
                "capacity": int(os.environ.get("CHANNEL_LAYER_CAPACITY", "10000")),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The cache holds the API's per-bot rate-limit counters: shared by every worker process
# through Redis when there is one.
if REDIS:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
    if REDIS_SENTINEL:
        # The pool is built from LOCATION (its host ignored) and the sentinels.
        CACHES["default"]["OPTIONS"] = {
            "pool_class": "chatsite.redis_sentinel.SentinelPool",
            **REDIS_SENTINEL,
        }

# Webhooks to bot apps leave through a Dramatiq queue: on Redis, worked off by its own
# service (`manage.py rundramatiq`); without Redis, in memory, worked off by a thread
# of the server itself (so `runserver` needs no other process). Either way every
# delivery is a database row first, so a restart loses none (botapps/delivery.py).
if REDIS_SENTINEL:
    # A RedisBroker on a client of the primary the sentinels name (chatsite/redis_sentinel.py).
    _broker = "chatsite.redis_sentinel.SentinelRedisBroker"
    _broker_options = {**REDIS_SENTINEL, "url": REDIS_URL, "namespace": f"{REDIS_PREFIX}-dramatiq"}
elif REDIS_URL:
    _broker = "dramatiq.brokers.redis.RedisBroker"
    _broker_options = {"url": REDIS_URL, "namespace": f"{REDIS_PREFIX}-dramatiq"}
else:
    _broker, _broker_options = "dramatiq.brokers.stub.StubBroker", {}
DRAMATIQ_BROKER = {
    "BROKER": _broker,
    "OPTIONS": _broker_options,
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Retries",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
        # Every worker resends, now and then, the deliveries that lost their queue message.
        "botapps.worker.DeliverySweeper",
    ],
}
# Whether this server process works off webhooks itself (see above).
CHAT_WEBHOOK_IN_PROCESS_WORKER = env_bool("WEBHOOK_IN_PROCESS_WORKER", not REDIS)

# The HTTP API for bot apps (botapps/api/): JSON only, authenticated as a bot app only.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "botapps.api.authentication.AccessTokenAuthentication",
        "botapps.api.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["botapps.api.permissions.IsBotApp"],
    "DEFAULT_THROTTLE_CLASSES": ["botapps.api.throttling.BotAppRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"bot_app": os.environ.get("CHAT_API_RATE", "600/minute")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "botapps.api.exceptions.json_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Chat bot apps API",
    "DESCRIPTION": "What a bot app running outside the site can do: see README, "
    '"Write your own bot".',
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# Staff log-in throttling against password guessing (django-axes): the FAILURE_LIMIT-th wrong
# password, with no pause of LOCKOUT_MINUTES between failures, locks out for LOCKOUT_MINUTES,
# the right password included; every further try during the lock-out starts it again. Counted
# by user name (one account guessed at from many addresses) and by address (many accounts
# tried from one). A successful log-in forgets the user name's failures. Staff unlock sooner
# in admin (Axes → Access attempts: delete the row) or with `manage.py axes_reset_username`.
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out user name before any password is checked.
    "chatsite.logins.ThrottledLogins",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("CHAT_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CHAT_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# Failures are kept (to count them, and for admin to show); successful log-ins are not logged.
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "chatsite.logins.lockout_response"
# No "AXES: BEGIN" line at the start of every process and management command.
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The languages of the shop's pages and of the chat (README, "Languages"): each app's own
# catalog (chat/locale, bots/locale) and the site's, for templates/ (locale/). Staff's console
# and the knowledge base stay English. The names are each language's own, as the footer's
# switcher shows them.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
if DEBUG:
    import warnings

    # In development WhiteNoise serves from the apps' static folders (finders),
    # so an absent STATIC_ROOT is expected; collectstatic fills it in production.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "chatsite.storage.StaticFilesStorage"
        )
    },
}

# Sessions identify visitors: the chat socket finds the conversation by the
# session cookie the page set. JavaScript never needs to read it.
# Django's database sessions, with new keys drawn in one go (chatsite/sessions.py).
SESSION_ENGINE = "chatsite.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30

# Served over HTTPS (behind a TLS-terminating proxy): on by default in production.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# HSTS makes browsers refuse plain HTTP to the site for this long, even if HTTPS is later
# turned off, so it is on by default only in production over HTTPS; never on a developer's
# http://127.0.0.1. A first roll-out can start with a few minutes and raise it once HTTPS is
# known to work. The header is only ever sent on HTTPS responses.
SECURE_HSTS_SECONDS = env_int(
    "DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365 if HTTPS and not DEBUG else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
# "preload" only consents to the browsers' preload lists; a site joins one by being submitted
# to it. Set DJANGO_HSTS_PRELOAD=0 to withhold that consent (check --deploy then says so).
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)

# Django's defaults, written out so that `check --deploy` does not pass only by a default that
# a future version could change. The shop never needs to tell another site which page a
# visitor came from.
# Framing: browsers that know CSP follow its frame-ancestors (below) and ignore this header;
# DENY stays for the few that do not. The embed script fetches the chat box's fragment
# (chat.views.widget) and puts it into its page: nothing of ours is framed for the chat.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Other sites may embed the chat box (one <script> of chat/static/chat/embed.js): which ones is
# data staff edit in admin (ChatSettings, "allowed origins"), not a setting. For them, CORS
# opens the chat box's endpoints only (chat.cross_origin answers django-cors-headers'
# check_request_enabled signal; this pattern spares every other request the question), with
# the visitor-token header and never with cookies.
CORS_URLS_REGEX = (
    r"^/(restapi/(get-agent-info|chat-status|transcript)|chat/(leave-message|widget/))$"
)
CORS_ALLOWED_ORIGINS: list[str] = []
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = (*default_cors_headers, "x-chat-visitor-token")

# Content-Security-Policy (django-csp 4): no inline script or style anywhere on the site's
# pages (their configs are json_script data blocks, which never run). chatsite/csp.py adds
# what depends on the request: the socket's ws(s):// origin to connect-src, frame-ancestors
# (the sites allowed to embed the chat; nobody on staff pages), and 'unsafe-inline' styles
# for the admin alone. Images: the site's own and data: URLs; a bot thumbnail given in admin
# as a URL on another host is blocked on the site's pages (add its host here if one is used).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    }
}

# The bot that answers visitors: a dotted path to a bots.base.Bot subclass.
CHAT_BOT = os.environ.get("CHAT_BOT", "bots.agents.AgentCase")
# Where the bot reads the product on the visitor's page (chat/catalog.py): the demo shop's
# products; empty for a site without a shop.
CHAT_CATALOG = os.environ.get("CHAT_CATALOG", "shop.catalog.Catalog")

# Case's semantic stage (bots/embedding.py): off, the bot answers on its lexical engine alone.
BOT_SEMANTIC = env_bool("BOT_SEMANTIC", True)
# Where the sentence-embedding model is built once from its package (an ONNX file, 87 MB).
BOT_MODEL_CACHE_DIR = Path(os.environ.get("BOT_MODEL_CACHE_DIR", BASE_DIR / ".model-cache"))

# The chat sockets' rate limit (chat/ratelimit.py): set only when given, so that chat/conf.py's
# defaults stay the one place they are written.
if os.environ.get("CHAT_RATE_LIMIT_MESSAGES", "").strip():
    CHAT_RATE_LIMIT_MESSAGES = env_int("CHAT_RATE_LIMIT_MESSAGES", 0)
if os.environ.get("CHAT_RATE_LIMIT_SECONDS", "").strip():
    CHAT_RATE_LIMIT_SECONDS = env_int("CHAT_RATE_LIMIT_SECONDS", 0)

# Email: chat transcripts to visitors, and notices of left messages to the team. EMAIL_URL
# (smtp://user:password@host:587/?tls=1) or EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL; EMAIL_TIMEOUT; DEFAULT_FROM_EMAIL and
# SERVER_EMAIL. With no mail server named, email is printed on the console (check --deploy
# warns). A bad value stops the start with a sentence (chatsite/mail_settings.py).
globals().update(email_settings(os.environ))

# What the chat's emails call the site and link to, and who of the team hears of left
# messages besides the staff who may chat: set only when given, so that chat/conf.py's
# defaults stay the one place they are written.
if os.environ.get("CHAT_SITE_NAME", "").strip():
    CHAT_SITE_NAME = os.environ["CHAT_SITE_NAME"].strip()
if os.environ.get("CHAT_SITE_URL", "").strip():
    CHAT_SITE_URL = os.environ["CHAT_SITE_URL"].strip()
if os.environ.get("CHAT_TEAM_EMAILS", "").strip():
    CHAT_TEAM_EMAILS = env_list("CHAT_TEAM_EMAILS", "")

# Visitors' data (privacy/): conversations whose last activity is older than this many days
# are deleted every night with everything tied to them (README, "Visitors' data"). Unset:
# kept until staff erase them. Set only when given, so that privacy/conf.py's default stays
# the one place it is written.
if os.environ.get("CHAT_RETENTION_DAYS", "").strip():
    CHAT_RETENTION_DAYS = env_int("CHAT_RETENTION_DAYS", 0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
