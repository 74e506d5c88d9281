"""crmsite's settings, routed through benchmarks.naive.urls (the site plus `naive/contacts/`)."""

from crmsite.settings import *  # noqa: F401,F403

ROOT_URLCONF = "benchmarks.naive.urls"
