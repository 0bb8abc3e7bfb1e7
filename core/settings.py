"""Settings from the environment. Debug is off unless asked for; production fails closed."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core.env import dev_secret_file, env_bool, env_list, env_secret

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE (or DJANGO_DEBUG=1 for development)."
        )
    SECRET_KEY = dev_secret_file(VAR_DIR / "secret-key")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_q",
    "core",
    "incidents",
    "support",
    "insights",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.middleware.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.SessionPolicyMiddleware",
    "core.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "core.middleware.DamagedRecordMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:  # in development, runserver serves static files itself
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.recourse",
            ],
        },
    },
]


def database_settings(url: str) -> dict[str, Any]:
    """The settings of the database at `url`. PostgreSQL keeps each connection for a minute,
    binds parameters on the server and prepares a statement the second time a connection runs
    it (RECOURSE_DB_PREPARED_STATEMENTS=0 turns that off, for a pooler that cannot keep prepared
    statements). SQLite: secure_delete overwrites freed pages, so an erased report's wrapped key
    does not linger; the write-ahead log lets readers (pages, the task cluster polling its queue)
    go on while a write commits, and with synchronous=FULL every commit still waits for the disk;
    IMMEDIATE takes the write lock when a transaction starts, and the backend queues the writers
    for it (core/sqlite)."""
    config = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = "core.sqlite"  # Django's, with write transactions queued
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON; "
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        config["CONN_MAX_AGE"] = 0
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "core.postgresql"  # Django's, with bulk writes split to fit a statement
        if env_bool("RECOURSE_DB_PREPARED_STATEMENTS", True):
            config["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
    return config


DATABASES = {
    "default": database_settings(
        env_secret("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
# No guardian "AnonymousUser" row: visitors get no object permissions at all.
ANONYMOUS_USER_NAME = None
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Receipt accounts never sign in with a password; permissions follow the role (SECURITY.md 8).
    "core.backends.RecourseBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = ["core.hashers.RecourseArgon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:after_login"
LOGOUT_REDIRECT_URL = "core:home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
# One catalogue for the whole site, in core/locale, so it ships in the wheel with core.
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
# The language chosen with the switcher is kept until the browser closes, like the session: a
# lasting cookie would tell whoever shares the device that this site was used. Without a choice,
# the browser's own language (Accept-Language) decides.
LANGUAGE_COOKIE_AGE = None
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
TIME_ZONE = "America/Toronto"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Only ciphertext is ever written here (see core.crypto.files).
MEDIA_ROOT = Path(os.environ.get("RECOURSE_MEDIA_ROOT") or VAR_DIR / "media")
# Uploads never touch disk as plaintext: the handler encrypts each chunk as it arrives.
FILE_UPLOAD_HANDLERS = ["core.uploads.EncryptingUploadHandler"]
RECOURSE_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# Every form takes at most one file; each further file would be read and spooled (up to the limit
# above) before any view could refuse it. Past it, a 400.
DATA_UPLOAD_MAX_NUMBER_FILES = 1
# Evidence quotas (ciphertext bytes, as stored): a report holds at most 50 files and 500 MiB (ten
# files at the upload limit: room for videos, with screenshots counted in the dozens), and one
# account (a receipt's too) adds at most 100 files and 1 GiB in 24 hours, so that nobody can fill
# the media directory; past either, a clear 400 on the file (incidents.services.evidence_add).
RECOURSE_EVIDENCE_PER_REPORT_FILES = int(os.environ.get("RECOURSE_EVIDENCE_PER_REPORT_FILES", "50"))
RECOURSE_EVIDENCE_PER_REPORT_BYTES = int(
    os.environ.get("RECOURSE_EVIDENCE_PER_REPORT_BYTES", str(500 * 1024 * 1024))
)
RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_FILES = int(
    os.environ.get("RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_FILES", "100")
)
RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_BYTES = int(
    os.environ.get("RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_BYTES", str(1024 * 1024 * 1024))
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Read directly, not through env_secret: RECOURSE_KEYRING_FILE names the keyring file itself.
RECOURSE_KEYRING_FILE = os.environ.get("RECOURSE_KEYRING_FILE") or (
    str(VAR_DIR / "keyring.json") if DEBUG else None
)
RECOURSE_KEYRING = os.environ.get("RECOURSE_KEYRING") or None
# Create a keyring file on first use: development only; production must provide one.
RECOURSE_CREATE_KEYRING = DEBUG
# Where the quick-exit control sends a reporter: a neutral, everyday page.
RECOURSE_QUICK_EXIT_URL = "https://www.theweathernetwork.com/ca"

# Sessions (SECURITY.md 13): staff are signed out after 30 idle minutes, reporters after two
# hours, everyone 8 hours after signing in (core.middleware.SessionPolicyMiddleware).
RECOURSE_STAFF_IDLE_SECONDS = 30 * 60
RECOURSE_IDLE_SECONDS = 2 * 60 * 60
RECOURSE_SESSION_MAX_SECONDS = 8 * 60 * 60
# Pages warn this long before a session ends, with a button to stay signed in (WCAG 2.2.1).
RECOURSE_SESSION_WARNING_SECONDS = 2 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_AGE = RECOURSE_SESSION_MAX_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Django's database sessions, in a table that knows each session's account (core.sessions).
SESSION_ENGINE = "core.sessions"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SECURE = not DEBUG
# Django's own failure page, except that a refused quick exit still leaves (SECURITY.md 24).
CSRF_FAILURE_VIEW = "incidents.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Only our own origin, for everything; no inline script or style anywhere (SECURITY.md 15).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# Second factor (core.second_factor): TOTP codes of 6 digits in 30-second steps, each used once.
OTP_TOTP_ISSUER = "Recourse"

# Sign-in lockout (SECURITY.md 12): 5 failures for one account from one client lock that account
# on that client for 15 minutes; the person on another device or network still signs in, so knowing
# a username is not enough to lock its owner out. Each client's sign-in rate is also limited as a
# whole (the "login" throttle). The client is a keyed hash of its address (IPv6: its /64), which
# axes stores as a made-up unique-local address (core.throttling.client_address): no real address
# is stored or logged.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.throttling.client_address"
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "core.views.locked_out"
AXES_SENSITIVE_PARAMETERS = ["username", "password", "receipt", "otp_token", "code"]
# Django's deploy check looks for its own CSRF middleware by name; ours is a subclass of it
# (core.middleware.CsrfViewMiddleware), with every check of Django's kept.
SILENCED_SYSTEM_CHECKS = ["security.W003"]

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.tokens.TokenAuthentication",  # knox's, under the session policy
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON in, JSON out; only the evidence upload takes multipart (api.views).
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per client (core.throttling); the pages that take the same actions share these limits.
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api": "300/min",
        "login": "10/min",
        "receipt": "10/min",
        "submit": "20/hour",
        "signup": "10/hour",
        "evidence": "60/hour",  # uploads, page and API together: a batch of screenshots fits
    },
    # Behind a reverse proxy, set RECOURSE_PROXY_COUNT so the client's address is the proxy's
    # X-Forwarded-For entry; with 0 that header, which anyone can send, is ignored.
    "NUM_PROXIES": int(os.environ.get("RECOURSE_PROXY_COUNT", "0")),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Recourse API",
    "DESCRIPTION": "The services of Recourse over HTTP. Sign in with POST /api/v1/auth/login/ "
    '(or /api/v1/anonymous/login/ with a receipt) and send the token as "Authorization: Token '
    '<token>"; a signed-in browser session also works, with the CSRF token on unsafe methods.',
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: the site's Content-Security-Policy allows no other origin.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # An account's role, apart from the role a reporter holds in municipal life (ReporterRole).
    "ENUM_NAME_OVERRIDES": {"AccountRoleEnum": "core.models.Role"},
}
# API tokens follow the session policy (SECURITY.md 22, core.tokens): each use puts off the idle
# deadline of the account's role; none outlives the sessions' absolute limit.
REST_KNOX = {
    "TOKEN_TTL": timedelta(seconds=RECOURSE_SESSION_MAX_SECONDS),
    "AUTO_REFRESH": True,
    "MIN_REFRESH_INTERVAL": 60,
    "TOKEN_LIMIT_PER_USER": 20,
}

# Tasks: the ORM broker on the default database unless REDIS_URL names a Redis server, which then
# also serves as the cache. retry > timeout > the longest task (each runs in well under a minute).
REDIS_URL = env_secret("REDIS_URL") or None
Q_CLUSTER: dict[str, object] = {
    "name": "recourse",
    "workers": 2,
    "timeout": 60,
    "retry": 120,
    "max_attempts": 5,
    "catch_up": False,
    "save_limit": 250,
    "ack_failures": True,
}
# The only functions the task cluster runs (core.tasks): whatever a queue row or a schedule names,
# anything else is refused and recorded as a failure. `enqueue` takes nothing else either.
RECOURSE_TASKS = (
    "support.tasks.case_triage",
    "support.tasks.escalation_sweep",
    "support.tasks.notification_email",
    "insights.tasks.extract_refresh",
    "insights.tasks.extract_sync",
)
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    Q_CLUSTER["orm"] = "default"
# Either broker, taking only the tasks on RECOURSE_TASKS (core.tasks).
Q_CLUSTER["broker_class"] = "core.tasks.guarded_broker"

# Deadlines per severity, in hours: the first response, then each next update (support.rules).
RECOURSE_RESPONSE_HOURS = {"critical": 1, "high": 4, "medium": 24, "low": 72}
RECOURSE_UPDATE_HOURS = {"critical": 24, "high": 48, "medium": 120, "low": 240}
# Published statistics: counts from 1 to this are hidden (with complementary suppression).
RECOURSE_STATS_THRESHOLD = int(os.environ.get("RECOURSE_STATS_THRESHOLD", "10"))
# Differential privacy (off by default): ε per release and the budget per month.
RECOURSE_STATS_DP = env_bool("RECOURSE_STATS_DP")
RECOURSE_STATS_DP_EPSILON = 0.5
RECOURSE_STATS_DP_BUDGET = 5.0
# Links in e-mails point here.
RECOURSE_SITE_URL = os.environ.get("RECOURSE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# E-mail: printed to the console in development; SMTP settings from the environment otherwise.
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "recourse@localhost")
if DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler redacts client addresses, tokens, receipts, cookies and query strings
    # (core.logging); report content is never logged in the first place.
    "filters": {"redact": {"()": "core.logging.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": "INFO"},
    # Request lines carry client addresses; reporters' addresses are never logged.
    "loggers": {
        # Without this, Django's default handlers stay on "django": a console without the filter
        # (in debug) and mail to ADMINS carrying the whole request. Its records reach the root's
        # console instead, redacted.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "ERROR", "propagate": False},
        # One line per queued task is noise; failures still show.
        "django-q": {"level": "WARNING"},
        # django-axes reports every sign-in and sign-out; lockouts are WARNING and still show.
        "axes": {"level": "WARNING"},
    },
}
