"""Settings for the archive, read from the environment.

Local use needs nothing set: DEBUG is on, a development secret key is used, and the database is
the project's own embedded PostgreSQL (in .pgdata/). Production sets DJANGO_ENV=production,
SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; it refuses to start without a real secret key or
without DATABASE_URL.
"""

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def code_fingerprint(root: Path) -> str:
    """A digest of the names, sizes and times of the code, templates and static files."""
    digest = hashlib.blake2b(digest_size=8)
    for folder in ("inspections", "templates", "static"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                status = path.stat()
                digest.update(f"{path.relative_to(root)} {status.st_size} {status.st_mtime_ns}\n".encode())
    return digest.hexdigest()


PRODUCTION = os.environ.get("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)

DEVELOPMENT_SECRET_KEY = "development-only-key-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else DEVELOPMENT_SECRET_KEY)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured(
        "Production needs a real SECRET_KEY of 50 or more random characters in the environment."
    )
# Keys rotated out, still accepted for what they signed (the alert mails' unsubscribe links never expire).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_filters",
    "axes",
    "inspections",
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
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "inspections.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Staff sign-in is throttled (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user
# name from one address, sign-in is refused for AXES_COOLOFF_TIME, whatever the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "locked_out.html"
AXES_VERBOSE = False

ROOT_URLCONF = "inspections.urls"
WSGI_APPLICATION = "inspections.wsgi.application"

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

# The database: DATABASE_URL when set (any real PostgreSQL), otherwise the embedded server that
# the project starts itself in .pgdata/ (see inspections/embedded_postgres/). Production never uses
# the embedded one: its data would live in the checkout, with no backups, replicas or separate host.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
elif PRODUCTION:
    raise ImproperlyConfigured(
        "Production needs a real PostgreSQL server: set DATABASE_URL "
        "(postgres://user:password@host:5432/name). The embedded PostgreSQL is for local use only."
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "inspections.embedded_postgres",
            "NAME": os.environ.get("EMBEDDED_DATABASE_NAME", "archive"),
            "USER": "postgres",
            "OPTIONS": {"pgdata": os.environ.get("EMBEDDED_PGDATA", str(BASE_DIR / ".pgdata"))},
        }
    }
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
# A connection kept between requests is not checked before each one (a round trip every request):
# DatabaseUnavailableMiddleware answers a reading request again on a fresh connection if its kept
# one has died (the database restarted), and checks the kept connection before a request that writes.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
# Fail fast when the database is unreachable, rather than hold the request (and a worker) for long.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Search counts and pages are cached under the archive's version (search.engine), so no
# cached figure outlives a change to the archive. Each server process keeps its own; point this at
# a shared cache (Redis, Memcached) to share them between processes.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
    # Whole public pages and API answers under the archive's version (page_cache.py), shared by the
    # serving processes in files (a page made by one is served by all), up to 500 pages and exports.
    # Keys carry the code's fingerprint, so a new release never serves its predecessor's pages.
    "pages": {
        "BACKEND": "inspections.page_cache.PageFileCache",
        "LOCATION": os.environ.get("PAGE_CACHE_DIR", str(BASE_DIR / ".cache" / "pages")),
        "TIMEOUT": 24 * 3600,
        "KEY_PREFIX": code_fingerprint(BASE_DIR),
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}

# A text search whose counts would read more findings than this (judged from the sample; browsing
# without text may read 4 times as many) shows estimated counts and lists its findings newest
# first, rather than counting and ranking every match (search.engine). 6,000 keeps
# every search under 100 ms on a 2-core machine at a million findings (README, "Performance").
ARCHIVE_EXACT_COUNTS_UP_TO = int(os.environ.get("ARCHIVE_EXACT_COUNTS_UP_TO", "6000"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]

# The learned theme model (manage.py train_themes writes it); None tags by the themes' rules alone.
THEME_MODEL_PATH = BASE_DIR / "inspections" / "theme_model.json"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Without collectstatic (development, tests) WhiteNoise serves straight from the app and static folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads: reports larger than this are refused before any parsing.
REPORT_MAX_UPLOAD_BYTES = int(os.environ.get("REPORT_MAX_UPLOAD_BYTES", str(25 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Only the site's own files may load: no inline script, no third-party host, no framing.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Email: the alerts' confirmation links and mails (inspections/alerts.py), through Django's mailers.
# Development prints each mail to the console; production sends through the SMTP server the
# environment names (EMAIL_HOST and the rest). Tests use the in-memory backend (mail.outbox).
EMAIL_BACKEND_PATH = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH}}
if EMAIL_BACKEND_PATH == "django.core.mail.backends.smtp.EmailBackend":
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "587")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", True),  # STARTTLS, as on port 587
        "use_ssl": env_bool("EMAIL_USE_SSL", False),  # implicit TLS, as on 465 (then EMAIL_USE_TLS=0)
        "timeout": int(os.environ.get("EMAIL_TIMEOUT", "30")),  # seconds: a stuck server fails one mail
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Inspection findings archive <alerts@localhost>")
# The site's address for links in mails, which are sent where no request tells the host.
SITE_URL = os.environ.get(
    "SITE_URL",
    f"https://{ALLOWED_HOSTS[0].lstrip('.')}" if PRODUCTION and ALLOWED_HOSTS else "http://127.0.0.1:8000",
).rstrip("/")
# An address gets at most this many confirmation mails in 24 hours, however often it is typed in.
ALERTS_CONFIRMATIONS_PER_DAY = int(os.environ.get("ALERTS_CONFIRMATIONS_PER_DAY", "5"))
# Findings that entered the archive this recently wait for the next alert mail, so that an ingest
# still committing when alerts are sent is never skipped (an ingest's transaction takes seconds).
ALERTS_SETTLE_MINUTES = int(os.environ.get("ALERTS_SETTLE_MINUTES", "10"))

# Django's tasks (inspections/tasks.py). The immediate backend runs a task as it is enqueued, in the
# request or command that enqueued it; TASKS_BACKEND names a worker's backend instead, e.g.
# django_tasks.backends.database.DatabaseBackend from the django-tasks package, with its worker running.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend"),
    }
}
# Every task's start and end are logged at INFO; only its failures (ERROR) are worth a line.
LOGGING["loggers"] = {"django.tasks": {"level": os.environ.get("TASKS_LOG_LEVEL", "WARNING")}}
