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
    "phonenumber_field",
    "contacts",
    "members",
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
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "contacts.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# The visitor identity cookie (decisions.md §2): long-lived, signed, HttpOnly, SameSite=Lax.
VISITOR_COOKIE_NAME = "crm_visitor"
VISITOR_COOKIE_MAX_AGE = 60 * 60 * 24 * 365 * 2
VISITOR_COOKIE_SECURE = env.bool("VISITOR_COOKIE_SECURE", default=False)

# A JSON body larger than this is refused before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
