"""Samvirke settings, read from the environment.

With no environment at all the system runs for development: a SQLite file under var/,
Celery tasks executed in-process after commit, e-mail printed to the console.
Production sets DJANGO_ENV=production and must then provide DJANGO_SECRET_KEY,
DJANGO_ALLOWED_HOSTS, DATABASE_URL and REDIS_URL; bad values fail loudly at start-up.
"""

import base64
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)


def _development_key(name: str, make) -> str:
    """A per-checkout random key kept in var/, so no key is ever committed. Production
    must give every key in the environment."""
    VAR_DIR.mkdir(exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    # National identity numbers: a keyed hash for lookup, and encryption at rest. The
    # encryption keys are a comma-separated list: the first encrypts, all decrypt (rotation).
    SAMVIRKE_ID_HASH_KEY = env.str("SAMVIRKE_ID_HASH_KEY")
    SAMVIRKE_ID_ENCRYPTION_KEYS = env.list("SAMVIRKE_ID_ENCRYPTION_KEYS")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _development_key(
        "secret_key", lambda: secrets.token_urlsafe(50))
    SAMVIRKE_ID_HASH_KEY = env.str("SAMVIRKE_ID_HASH_KEY", default="") or _development_key(
        "id_hash_key", lambda: secrets.token_urlsafe(48))
    SAMVIRKE_ID_ENCRYPTION_KEYS = env.list("SAMVIRKE_ID_ENCRYPTION_KEYS", default=[]) or [
        _development_key("id_encryption_key", _fernet_key)]

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SAMVIRKE_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "config.apps.SamvirkeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "agencies",
    "audit",
    "referrals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "audit.context.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.DefaultLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.middleware.RejectEmptyApiParametersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "agencies.sessions.SessionLimitsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "agencies.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "referrals.context_processors.inbox",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
if PRODUCTION and not env.str("DATABASE_URL", default=""):
    raise ImproperlyConfigured("DATABASE_URL is required in production.")
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'samvirke.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users, authentication ------------------------------------------------------------
AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out user name and IP
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_USER_OBJ_PERMS_MODEL = "guardian.UserObjectPermission"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous users get nothing
LOGIN_URL = "login"
OTP_TOTP_ISSUER = "Samvirke"
# Lockout (django-axes): after SAMVIRKE_LOGIN_FAILURE_LIMIT failed sign-ins for one user
# name from one IP address, that pair is refused for SAMVIRKE_LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env.int("SAMVIRKE_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SAMVIRKE_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "audit.context.client_ip"  # the same client IP as the audit trail
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A session ends after SAMVIRKE_SESSION_IDLE_MINUTES without a request, and in any case
# SAMVIRKE_SESSION_MAX_HOURS after sign-in (agencies/sessions.py).
SAMVIRKE_SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("SAMVIRKE_SESSION_IDLE_MINUTES", default=30))
SAMVIRKE_SESSION_MAX_AGE = timedelta(hours=env.int("SAMVIRKE_SESSION_MAX_HOURS", default=10))
if SAMVIRKE_SESSION_IDLE_TIMEOUT <= timedelta(0) or SAMVIRKE_SESSION_MAX_AGE <= timedelta(0):
    raise ImproperlyConfigured("SAMVIRKE_SESSION_IDLE_MINUTES and SAMVIRKE_SESSION_MAX_HOURS must be positive.")
SESSION_COOKIE_AGE = int(SAMVIRKE_SESSION_MAX_AGE.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian Bokmål")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"  # collectstatic target in production
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = not PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "static"]
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
# Consent documents (referrals/documents.py): private storage outside anything the web
# server serves, with no URL (MEDIA_URL is not used and nothing serves it); a document is
# read only through the access-checked, audited download. Production points
# SAMVIRKE_PRIVATE_FILES_DIR at a directory on persistent storage that is backed up.
PRIVATE_FILES_DIR = Path(env.str("SAMVIRKE_PRIVATE_FILES_DIR", default=str(VAR_DIR / "private")))
STORAGES["consent_documents"] = {
    "BACKEND": "referrals.documents.PrivateFileSystemStorage",
    "OPTIONS": {"location": PRIVATE_FILES_DIR, "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700},
}

# --- E-mail (never carries child data: a reference and a link only) -------------------
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Samvirke <noreply@samvirke.invalid>")

# --- Celery ---------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL is required in production.")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Without a broker, tasks run in-process; services only ever enqueue after commit.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "sweep-unsent-notifications": {
        "task": "referrals.tasks.sweep_unsent_notifications",
        "schedule": timedelta(seconds=env.int("SAMVIRKE_SWEEP_EVERY_SECONDS", default=60)),
    },
    "check-statutory-deadlines": {
        "task": "referrals.tasks.check_deadlines",
        "schedule": timedelta(minutes=10),
    },
    "seal-audit-events": {
        "task": "audit.tasks.seal_audit_events",
        "schedule": timedelta(seconds=60),
    },
    "escalate-unacknowledged": {
        "task": "referrals.tasks.escalate_unacknowledged",
        "schedule": timedelta(minutes=5),
    },
    "expire-consents": {
        "task": "referrals.tasks.expire_consents",
        "schedule": timedelta(minutes=5),
    },
    "daily-digest": {
        "task": "referrals.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),
    },
    "detect-audit-anomalies": {
        "task": "audit.tasks.detect_anomalies",
        "schedule": timedelta(hours=1),
    },
    "expire-break-glass-grants": {
        "task": "referrals.tasks.expire_break_glass",
        "schedule": timedelta(minutes=5),
    },
}
# Handovers: how long the receiving agency has to acknowledge, by type and urgency; the
# first matching row wins ("*" matches anything). Rules: "hours" (that many hours),
# "end_of_day" (the end of the Oslo day it was sent), "working_days" (the end of the Nth
# Norwegian working day after it was sent: weekends and public holidays skipped).
HANDOVER_ACKNOWLEDGE_DEADLINES = [
    ("avert_crime", "*", "hours", 1),
    ("*", "P0", "hours", 1),
    ("*", "P1", "end_of_day", 0),
    ("*", "*", "working_days", 2),
]
# A routing whose rules set no acknowledgement time must be acknowledged within this many
# working days.
ROUTING_ACKNOWLEDGE_WORKING_DAYS = env.int("SAMVIRKE_ROUTING_ACKNOWLEDGE_WORKING_DAYS", default=2)
# Unacknowledged past its deadline: step 1 tells the receiving agency's liaisons and
# coordinators, step 2 (this long later) its agency admins, and so on until answered.
ESCALATION_REPEAT = timedelta(minutes=env.int("SAMVIRKE_ESCALATION_REPEAT_MINUTES", default=60))
NOTIFICATION_SWEEP_AFTER = timedelta(seconds=env.int("SAMVIRKE_SWEEP_AFTER_SECONDS", default=60))

# --- Audit sealing (audit/services.py) -------------------------------------------------
# Events per sealed block, and how long a sealing run waits for transactions still writing
# audit events before it seals only the gap-free part of the trail.
AUDIT_SEAL_BLOCK_SIZE = env.int("SAMVIRKE_AUDIT_SEAL_BLOCK_SIZE", default=10_000)
AUDIT_SEAL_WAIT_SECONDS = env.float("SAMVIRKE_AUDIT_SEAL_WAIT_SECONDS", default=5.0)
if not 1 <= AUDIT_SEAL_BLOCK_SIZE <= 100_000:
    raise ImproperlyConfigured("SAMVIRKE_AUDIT_SEAL_BLOCK_SIZE must be between 1 and 100000.")
if not 0 <= AUDIT_SEAL_WAIT_SECONDS <= 50:
    raise ImproperlyConfigured("SAMVIRKE_AUDIT_SEAL_WAIT_SECONDS must be between 0 and 50.")

# --- Audit: anomalies an auditor works through (audit/anomalies.py) -------------------
SAMVIRKE_ANOMALY_MIN_READS = env.int("SAMVIRKE_ANOMALY_MIN_READS", default=50)
SAMVIRKE_ANOMALY_READS_FACTOR = env.float("SAMVIRKE_ANOMALY_READS_FACTOR", default=5.0)
SAMVIRKE_ANOMALY_READS_LIMIT = env.int("SAMVIRKE_ANOMALY_READS_LIMIT", default=300)

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Samvirke API",
    "DESCRIPTION": "Multi-agency referrals for child safeguarding. Every read of a child's data is audited.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AgencyKindEnum": "agencies.models.Agency.Kind",
        "HandoverStatusEnum": "referrals.models.handover.Handover.Status",
        "ReferralStatusEnum": "referrals.models.referral.Referral.Status",
        "HandoverTypeEnum": "referrals.models.handover.Handover.Type",
        "HandoverScopeEnum": "referrals.models.handover.Handover.Scope",
        "NotificationEventEnum": "referrals.models.notification.Notification.Event",
        "ConsentGiverEnum": "referrals.models.consent.Consent.Giver",
        "ConsentViewEnum": "referrals.models.consent.Consent.View",
        "ConsentFormEnum": "referrals.models.consent.Consent.Form",
        "DisclosureKindEnum": "referrals.models.consent.Disclosure.Kind",
        "ConsentPurposeEnum": "referrals.models.consent.Consent.Purpose",
    },
}

# --- Security -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Trust X-Forwarded-For only from a reverse proxy we run (number of proxies in front).
SAMVIRKE_TRUSTED_PROXY_COUNT = env.int("SAMVIRKE_TRUSTED_PROXY_COUNT", default=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

# --- Hardening: CSP, request limits, API rate limits ----------------------------------
# Kept in one block so it merges cleanly with other changes to the lists above.

# Content-Security-Policy (django-csp): scripts and styles only from our own static files,
# no inline script or style anywhere (templates and the API docs page load static files).
INSTALLED_APPS += ["csp"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1,
                  "config.middleware.RejectNulMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Cookies: HttpOnly and SameSite everywhere (Secure in production, above). The CSRF cookie
# stays readable by our own script (the API docs page sends it as a header).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    LANGUAGE_COOKIE_SECURE = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# The API: JSON only, through a parser that refuses hostile bodies (config/parsers.py);
# other media types answer 415, and the schema documents JSON only.
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["config.parsers.SafeJSONParser"]
REST_FRAMEWORK["TEST_REQUEST_DEFAULT_FORMAT"] = "json"
# The schema documents every operation's error answers and the links between operations
# (config/schema.py), and has no enum name collisions.
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "config.schema.document_errors_and_links",
]
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "IdentifierKindEnum": "referrals.models.referral.Identifier.Kind",
    "DecisionKindEnum": "referrals.models.triage.Decision.Kind",
    "PlatformEnum": "referrals.models.taxonomy.Platform",
})

# Request limits: a body larger than this answers 400 (the API's JSON says so). The one
# upload is a consent document on the consent page (the API parses JSON only): one file per
# request, held in memory while it arrives (never in a temporary file), and no more of it
# than the largest document taken (5 MB, referrals.documents.DOCUMENT_MAX_BYTES; the
# service refuses a larger one in words).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("SAMVIRKE_MAX_REQUEST_BYTES", default=1_000_000)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 1
FILE_UPLOAD_HANDLERS = ["referrals.documents.CappedMemoryUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# JSON nested deeper than this is refused with 400 before it reaches a serializer.
SAMVIRKE_MAX_JSON_DEPTH = env.int("SAMVIRKE_MAX_JSON_DEPTH", default=20)

# API rate limits (DRF throttling), per signed-in user and per client IP for anonymous
# requests; the token endpoint has its own, stricter limit per IP (login lockout itself is
# the authentication layer's job). Counters live in the cache: Redis in production, so all
# web processes share them.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "rest_framework.throttling.AnonRateThrottle",
    "rest_framework.throttling.UserRateThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": env.str("SAMVIRKE_API_RATE_ANON", default="60/minute"),
    "user": env.str("SAMVIRKE_API_RATE_USER", default="300/minute"),
    "token": env.str("SAMVIRKE_API_RATE_TOKEN", default="10/minute"),
}
REST_FRAMEWORK["NUM_PROXIES"] = SAMVIRKE_TRUSTED_PROXY_COUNT
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
         "KEY_PREFIX": "samvirke"}
        if PRODUCTION
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
}
