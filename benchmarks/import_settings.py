"""Settings for benchmarks/import_speed.py only: the project's settings plus django-import-export,
the peer it is compared with. The project itself never installs that app."""

from crmsite.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "import_export"]  # noqa: F405
