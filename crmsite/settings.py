"""Settings for crmsite, read from the environment.

`make run` needs none of the variables: it gets an SQLite file next to manage.py.
`make test` points DATABASE_URL at PostgreSQL, the production database.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]", "testserver"]),
    CONN_MAX_AGE=(int, 0),
)

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me-" + "x" * 20)
ALLOWED_HOSTS = env("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served locally (no CDN)
    "phonenumber_field",
    "contacts",
    "members",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "contacts.visitor.VisitorCookieMiddleware",
    "crmsite.middleware.DatabaseUnavailableMiddleware",  # database outage: 503, not 500
]

ROOT_URLCONF = "crmsite.urls"
WSGI_APPLICATION = "crmsite.wsgi.application"

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

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # the service owns its transaction
DATABASES["default"]["CONN_MAX_AGE"] = env("CONN_MAX_AGE")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has no row or advisory locks: IMMEDIATE takes the write lock at BEGIN, so two
    # reconciles can never interleave their read-then-write steps.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "members:login"
LOGIN_REDIRECT_URL = "contact-form"
LOGOUT_REDIRECT_URL = "contact-form"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_REGION = None
CRM_DEFAULT_PHONE_REGION = env("CRM_DEFAULT_PHONE_REGION", default="US")  # admin search: phones typed without +

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["contacts.api.parsers.StrictJSONParser"],  # deep nesting, lone surrogates: 400
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "contacts.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# The OpenAPI schema (/api/schema/) and Swagger UI (/api/docs/); contacts/api/schema.py.
SPECTACULAR_SETTINGS = {
    "TITLE": "crmsite API",
    "DESCRIPTION": "Append-or-create one clean contact per person. Errors and limits: README, \"The API\".",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # drf-spectacular-sidecar's static files, never a CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},  # no call to validator.swagger.io
    "ENUM_NAME_OVERRIDES": {
        "EmailTagEnum": "contacts.enums.EmailTag",
        "PhoneTagEnum": "contacts.enums.PhoneTag",
        "AddressTagEnum": "contacts.enums.AddressTag",
        "IdentityTypeEnum": "contacts.enums.IdentityType",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "contacts.api.schema.add_error_components",
    ],
}

# The visitor identity cookie (decisions.md §2): long-lived, signed, HttpOnly, SameSite=Lax.
VISITOR_COOKIE_NAME = "crm_visitor"
VISITOR_COOKIE_MAX_AGE = 60 * 60 * 24 * 365 * 2
VISITOR_COOKIE_SECURE = env.bool("VISITOR_COOKIE_SECURE", default=False)

# A JSON body larger than this is refused before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# Throttling of POST /api/contacts/append-or-create/ and POST /contact/ (contacts/api/throttles.py,
# README "Throttling"): DRF rate syntax (60/min, 1000/hour) or "off"; read on every request.
# Counters live in the cache above: set REDIS_URL when several processes serve.
CRM_THROTTLE_CLIENT = env("CRM_THROTTLE_CLIENT", default="60/min")  # per client address
CRM_THROTTLE_IDENTITY = env("CRM_THROTTLE_IDENTITY", default="10/min")  # per submitted email/phone
# Advisory locks one bulk import holds at once (its running batches share them; README "Bulk
# import"). They take slots in PostgreSQL's shared lock table, max_locks_per_transaction ×
# max_connections (6,400 by default), which every session needs: raise with that setting.
CRM_IMPORT_LOCK_BUDGET = env.int("CRM_IMPORT_LOCK_BUDGET", default=2500)
# Proxies in front of the app that append to X-Forwarded-For; 0: the client is REMOTE_ADDR.
REST_FRAMEWORK["NUM_PROXIES"] = env.int("NUM_PROXIES", default=0)

# No contact data in logs or error reports (contacts/log_filters.py): a 500's exception message
# can quote the submitted email or phone, and error reports would show the form's POST values.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_exception_messages": {"()": "contacts.log_filters.RedactExceptionMessages"}},
    "loggers": {
        "django.request": {"filters": ["redact_exception_messages"]},
        "django.server": {"filters": ["redact_exception_messages"]},
    },
}
DEFAULT_EXCEPTION_REPORTER_FILTER = "contacts.log_filters.ContactDataReporterFilter"
