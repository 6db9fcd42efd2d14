"""SoulSeer settings: one file, every value read from the environment.

Each setting has a safe development default so a fresh clone runs with nothing
set. With ``DEBUG`` off, the values production must choose (``SECRET_KEY``,
``ALLOWED_HOSTS``) are required and the site refuses to start without them.
"""

from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # a missing file is fine

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",  # first, so runserver serves ASGI (HTTP + WebSockets)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "allauth",
    "allauth.account",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "payments",
    "readings",
    "streams",
    "shop",
    "community",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "soulseer.urls"
WSGI_APPLICATION = "soulseer.wsgi.application"
ASGI_APPLICATION = "soulseer.asgi.application"

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
                "soulseer.context_processors.site",
            ],
            "builtins": ["soulseer.templatetags.ui"],  # {% icon %} on every page
        },
    },
]

# --- Database: SQLite in the project unless DATABASE_URL is set -------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the daphne process and the billing sweeper share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
else:
    # PostgreSQL through Django's backend with psycopg's compiled timestamp parser (see the module).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "soulseer.postgresql"
    # PostgreSQL: a bounded pool of connections per process (Django's psycopg pool). With
    # CONN_MAX_AGE under daphne every request thread kept a connection of its own and two processes
    # under load exhausted the server's 100; a pool shares a few. DB_POOL_MAX_SIZE=0 turns it off.
    DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=8)
    if DB_POOL_MAX_SIZE > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": env.float("DB_POOL_TIMEOUT", default=20.0),  # seconds a request waits for a connection
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A small cache in each process, for rendered fragments (reader cards shown to visitors).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": env.int("CACHE_MAX_ENTRIES", default=5000)},
    }
}
SOULSEER_CARD_CACHE_SECONDS = env.int("SOULSEER_CARD_CACHE_SECONDS", default=600)
SOULSEER_LISTING_CACHE_SECONDS = env.int("SOULSEER_LISTING_CACHE_SECONDS", default=5)  # home, directory

# --- Channels: Redis when REDIS_URL is set, in-memory otherwise ---------------
REDIS_URL = env.str("REDIS_URL", default="")
_XDIST_WORKER = env.str("PYTEST_XDIST_WORKER", default="")  # "gw0", "gw1" in the test suite's workers
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis's pub/sub layer with a clean end on a lost Redis (see the module).
            "BACKEND": "soulseer.channel_layer.RedisLayer",
            # Pub/sub channels ignore the Redis database number: the prefix is what keeps two sites
            # (or the test suite's pytest-xdist workers) on one Redis apart.
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": env.float("CHANNELS_REDIS_SOCKET_TIMEOUT", default=10.0),
                        "socket_connect_timeout": 5.0,
                    }
                ],
                "prefix": env.str("CHANNELS_PREFIX", default="soulseer") + _XDIST_WORKER,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Auth: email login through django-allauth ---------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The test suite (conftest.py) and its daphne processes set this: a real hash costs ~0.7 s, and
# the suite makes hundreds. Never honoured with DEBUG off.
if DEBUG and env.bool("SOULSEER_FAST_PASSWORD_HASHER", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
# Sign-up says plainly that an email is taken (a clear message beats a silent "check your inbox").
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[SoulSeer] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env.str("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http" if DEBUG else "https")

# --- Email: console by default, SMTP from the environment --------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SoulSeer <hello@soulseer.local>")
ADMIN_EMAIL = env.str("ADMIN_EMAIL", default="")
# The site's public address, for links in emails (no request is at hand in the task worker).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Notification emails (people who are not on the site): at most one per (person, kind or topic) per interval.
NOTIFICATIONS_EMAIL_INTERVAL_SECONDS = env.int("NOTIFICATIONS_EMAIL_INTERVAL_SECONDS", default=15 * 60)

# --- I18N ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

# --- Security (production) ----------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Product rules (see DESIGN.md "Product rules, in numbers") ----------------
SOULSEER_MIN_RATE = Decimal("0.50")
SOULSEER_MAX_RATE = Decimal("50.00")
SOULSEER_PHOTO_MAX_BYTES = 5 * 1024 * 1024
SOULSEER_DIRECTORY_PAGE_SIZE = env.int("SOULSEER_DIRECTORY_PAGE_SIZE", default=12)
SOULSEER_BILLING_MINUTE_SECONDS = env.float("SOULSEER_BILLING_MINUTE_SECONDS", default=60.0)

# --- Stripe: unset keys mean the clearly marked payments sandbox ---------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
PAYMENTS_SANDBOX = not STRIPE_SECRET_KEY

# --- WebRTC -------------------------------------------------------------------
STUN_URLS = env.list("STUN_URLS", default=[])
TURN_URLS = env.list("TURN_URLS", default=[])
TURN_SECRET = env.str("TURN_SECRET", default="")

# --- Payments -------------------------------------------------------------------
# Amounts in USD dollars as Decimal; each overridable from the environment.
PAYMENTS_CURRENCY = "usd"
PAYMENTS_TOPUP_PRESETS = [Decimal(v) for v in env.list("PAYMENTS_TOPUP_PRESETS", default=["10", "25", "50", "100"])]
PAYMENTS_TOPUP_MIN = env("PAYMENTS_TOPUP_MIN", cast=Decimal, default=Decimal("5.00"))
PAYMENTS_TOPUP_MAX = env("PAYMENTS_TOPUP_MAX", cast=Decimal, default=Decimal("500.00"))
PAYMENTS_AUTO_RELOAD_AMOUNT = env("PAYMENTS_AUTO_RELOAD_AMOUNT", cast=Decimal, default=Decimal("20.00"))
PAYMENTS_AUTO_RELOAD_THRESHOLD = env("PAYMENTS_AUTO_RELOAD_THRESHOLD", cast=Decimal, default=Decimal("5.00"))
PAYMENTS_PAYOUT_THRESHOLD = env("PAYMENTS_PAYOUT_THRESHOLD", cast=Decimal, default=Decimal("15.00"))
PAYMENTS_MIN_READING_BALANCE = env("PAYMENTS_MIN_READING_BALANCE", cast=Decimal, default=Decimal("5.00"))
PAYMENTS_MAX_MOVEMENT = env("PAYMENTS_MAX_MOVEMENT", cast=Decimal, default=Decimal("10000.00"))
PAYMENTS_HISTORY_PAGE_SIZE = env.int("PAYMENTS_HISTORY_PAGE_SIZE", default=20)
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # tests point stripe-python at a local stand-in
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)

# --- Background tasks (django-tasks backport, database backend; worker: `manage.py db_worker`) ---
# Outgoing Stripe calls, emails and notifications that must not block a request or the billing path
# are enqueued in the transaction that decides them (the database backend makes that atomic).
# TASKS_BACKEND=immediate runs them inline, for a test that wants it.
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[env.str("TASKS_BACKEND", default="database")],
    }
}

# --- Readings ---
READINGS_MIN_START_BALANCE = Decimal(env.str("READINGS_MIN_START_BALANCE", default="5.00"))
READINGS_MIN_MINUTES = env.int("READINGS_MIN_MINUTES", default=3)  # affordable minutes needed to request
READINGS_REQUEST_TIMEOUT_SECONDS = env.int("READINGS_REQUEST_TIMEOUT_SECONDS", default=60)
READINGS_RECONNECT_GRACE_SECONDS = env.int("READINGS_RECONNECT_GRACE_SECONDS", default=120)
READINGS_LOW_BALANCE_MINUTES = env.int("READINGS_LOW_BALANCE_MINUTES", default=2)
READINGS_PRESENCE_GRACE_SECONDS = env.int("READINGS_PRESENCE_GRACE_SECONDS", default=30)
READINGS_HEARTBEAT_SECONDS = env.float("READINGS_HEARTBEAT_SECONDS", default=2.0)
READINGS_STALE_CONNECTION_SECONDS = env.float("READINGS_STALE_CONNECTION_SECONDS", default=6.0)
READINGS_SWEEP_SECONDS = env.float("READINGS_SWEEP_SECONDS", default=1.0)
READINGS_CHAT_PER_SECOND = env.float("READINGS_CHAT_PER_SECOND", default=1.0)
READINGS_CHAT_BURST = env.int("READINGS_CHAT_BURST", default=5)
READINGS_REREQUEST_COOLDOWN_SECONDS = env.int("READINGS_REREQUEST_COOLDOWN_SECONDS", default=30)
READINGS_MAX_REQUESTS_PER_HOUR = env.int("READINGS_MAX_REQUESTS_PER_HOUR", default=10)
TURN_CREDENTIAL_TTL_SECONDS = env.int("TURN_CREDENTIAL_TTL_SECONDS", default=3600)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not DATABASES["default"]["TEST"].get("NAME"):
    # A file test database (unique per test run) so an end-to-end test's daphne subprocess can share it.
    import os as _os
    import tempfile as _tempfile

    DATABASES["default"]["TEST"]["NAME"] = env.str(
        "SQLITE_TEST_NAME", default=str(Path(_tempfile.gettempdir()) / f"soulseer-test-{_os.getpid()}.sqlite3")
    )
# --- Production edge: headers, health, logging, errors (issue 8; see docs/operations.md) -------------
# ``ops`` (heartbeats of the background processes; its ``db_worker`` wraps django-tasks-db's) must
# come before django_tasks_db so its command wins.
INSTALLED_APPS.insert(INSTALLED_APPS.index("django_tasks_db"), "ops")
INSTALLED_APPS += ["csp"]
# Content-Security-Policy (django-csp 4): no inline script without the per-response nonce, no eval,
# no inline style. soulseer.middleware.CSPMiddleware adds the request's own ws(s):// origin to
# connect-src (older Safari does not count ws: as 'self').
_after_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
MIDDLEWARE[_after_security:_after_security] = [
    "soulseer.middleware.CSPMiddleware",
    "soulseer.permissions.PermissionsPolicyMiddleware",
]
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        # Top-ups and Connect onboarding redirect a submitted form to Stripe's hosted pages.
        "form-action": [SELF, "https://checkout.stripe.com", "https://connect.stripe.com"],
    }
}
# The reading room may pass this to RTCPeerConnection ("relay" forces every call through TURN).
WEBRTC_ICE_TRANSPORT_POLICY = env.str("WEBRTC_ICE_TRANSPORT_POLICY", default="all")
if WEBRTC_ICE_TRANSPORT_POLICY not in ("all", "relay"):
    raise ImproperlyConfigured("WEBRTC_ICE_TRANSPORT_POLICY must be 'all' or 'relay'.")
# Photos: the pixel count is checked before decoding (a 12000x12000 PNG of 32 KB decodes to 0.6 GB).
SOULSEER_PHOTO_MAX_PIXELS = env.int("SOULSEER_PHOTO_MAX_PIXELS", default=40_000_000)
SOULSEER_PHOTO_THUMBNAIL_SIZES = (64, 128, 256)
# Static and private files in production: nginx serves STATIC_ROOT and MEDIA_ROOT itself, and files
# under PRIVATE_MEDIA_ROOT only when a view answers X-Accel-Redirect (soulseer/private_files.py).
# Whitenoise (the fallback without nginx) serves the .br/.gz files collectstatic writes (Brotli).
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(STATIC_ROOT)))
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private")))
PRIVATE_MEDIA_X_ACCEL_PREFIX = env.str("PRIVATE_MEDIA_X_ACCEL_PREFIX", default="" if DEBUG else "/protected/")
# Heartbeats (/health/): see ops/conf.py.
OPS_HEARTBEAT_WRITE_SECONDS = env.float("OPS_HEARTBEAT_WRITE_SECONDS", default=10.0)
OPS_SWEEPER_MAX_AGE_SECONDS = env.float("OPS_SWEEPER_MAX_AGE_SECONDS", default=60.0)
OPS_WORKER_MAX_AGE_SECONDS = env.float("OPS_WORKER_MAX_AGE_SECONDS", default=120.0)
# One line per event in every process (daphne, sweeper, worker): time, level, logger, pid, message;
# tracebacks folded into the same line.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {
            "()": "soulseer.logging.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Errors to Sentry only when SENTRY_DSN is set (no personal data sent).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )
# --- Community: forum, moderation, private messages (docs/community.md) ---
COMMUNITY_THREADS_PER_PAGE = env.int("COMMUNITY_THREADS_PER_PAGE", default=20)
COMMUNITY_POSTS_PER_PAGE = env.int("COMMUNITY_POSTS_PER_PAGE", default=20)
COMMUNITY_EDIT_WINDOW_MINUTES = env.int("COMMUNITY_EDIT_WINDOW_MINUTES", default=15)
COMMUNITY_POSTS_PER_MINUTE = env.int("COMMUNITY_POSTS_PER_MINUTE", default=5)  # threads and replies, per member
COMMUNITY_THREADS_PER_HOUR = env.int("COMMUNITY_THREADS_PER_HOUR", default=10)
COMMUNITY_FLAGS_TO_HIDE = env.int("COMMUNITY_FLAGS_TO_HIDE", default=3)  # distinct members
COMMUNITY_MESSAGES_PER_MINUTE = env.int("COMMUNITY_MESSAGES_PER_MINUTE", default=20)
COMMUNITY_MESSAGES_PER_PAGE = env.int("COMMUNITY_MESSAGES_PER_PAGE", default=50)
COMMUNITY_PAID_REPLY_MIN = env("COMMUNITY_PAID_REPLY_MIN", cast=Decimal, default=Decimal("1.00"))
COMMUNITY_PAID_REPLY_MAX = env("COMMUNITY_PAID_REPLY_MAX", cast=Decimal, default=Decimal("100.00"))  # at most $100
COMMUNITY_PAID_PREVIEW_CHARS = env.int("COMMUNITY_PAID_PREVIEW_CHARS", default=60)
COMMUNITY_MESSAGE_EMAIL_EVERY_MINUTES = env.int("COMMUNITY_MESSAGE_EMAIL_EVERY_MINUTES", default=60)
# --- Live streams (streams app): media through Janus (VideoRoom), reached only from the server ---
# JANUS_URLS: one or more Janus WebSocket API URLs (ws://127.0.0.1:8188); each stream is pinned to the
# least-loaded one when it starts. Unset: live video is unavailable, chat and gifts still work.
# The API secret and the VideoRoom admin_key never reach a browser (scripts/janus.sh generates both).
JANUS_URLS = env.list("JANUS_URLS", default=[])
JANUS_API_SECRET = env.str("JANUS_API_SECRET", default="")
JANUS_ADMIN_KEY = env.str("JANUS_ADMIN_KEY", default="")
JANUS_KEEPALIVE_SECONDS = env.float("JANUS_KEEPALIVE_SECONDS", default=25.0)  # Janus drops a session after 60 s
JANUS_REQUEST_TIMEOUT_SECONDS = env.float("JANUS_REQUEST_TIMEOUT_SECONDS", default=10.0)
STREAMS_VIDEO_BITRATE = env.int("STREAMS_VIDEO_BITRATE", default=1_000_000)
STREAMS_CHAT_MAX_LENGTH = env.int("STREAMS_CHAT_MAX_LENGTH", default=500)
STREAMS_CHAT_BURST = env.int("STREAMS_CHAT_BURST", default=5)  # messages a socket may send at once
STREAMS_CHAT_INTERVAL_SECONDS = env.float("STREAMS_CHAT_INTERVAL_SECONDS", default=2.0)  # one more per interval
STREAMS_GIFT_BURST = env.int("STREAMS_GIFT_BURST", default=10)
STREAMS_GIFT_INTERVAL_SECONDS = env.float("STREAMS_GIFT_INTERVAL_SECONDS", default=0.5)
STREAMS_HEARTBEAT_SECONDS = env.float("STREAMS_HEARTBEAT_SECONDS", default=15.0)
STREAMS_STALE_SECONDS = env.float("STREAMS_STALE_SECONDS", default=60.0)  # reader's page gone that long: ended

# The shop (shop/, docs/shop.md).
SHOP_PRODUCTS_PER_PAGE = env.int("SHOP_PRODUCTS_PER_PAGE", default=24)
SHOP_PHOTOS_PER_PRODUCT = env.int("SHOP_PHOTOS_PER_PRODUCT", default=6)
SHOP_FILE_MAX_BYTES = env.int("SHOP_FILE_MAX_BYTES", default=200 * 1024 * 1024)  # digital goods and deliveries
SHOP_FILE_TYPES = env.list("SHOP_FILE_TYPES", default=["pdf", "mp3", "m4a", "mp4", "zip", "epub", "png", "jpg"])
SHOP_DOWNLOAD_LIMIT = env.int("SHOP_DOWNLOAD_LIMIT", default=5)  # downloads per bought digital item
SHOP_DOWNLOAD_LINK_SECONDS = env.int("SHOP_DOWNLOAD_LINK_SECONDS", default=900)  # a download link's lifetime
SHOP_CART_MAX_QUANTITY = env.int("SHOP_CART_MAX_QUANTITY", default=10)  # of one physical product per order
