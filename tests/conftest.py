import datetime
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone


@pytest.fixture(autouse=True, scope="session")
def _postgresql_only(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The suite proves behaviour on the production database; never run it silently elsewhere."""
    if connection.vendor != "postgresql":
        pytest.exit("The test suite runs on PostgreSQL: set DATABASE_URL (see README).", returncode=1)


@pytest.fixture
def now() -> datetime.datetime:
    return timezone.now()


BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: see tests/browser/conftest.py for why."""
    items.sort(key=lambda item: Path(str(item.fspath)).is_relative_to(BROWSER_TESTS))


@pytest.fixture(autouse=True)
def _throttling_off(settings):  # type: ignore[no-untyped-def]
    """Throttling is off in tests (its defaults would refuse other tests' repeated calls);
    tests/security/test_throttling.py turns it on with the `settings` fixture."""
    settings.CRM_THROTTLE_CLIENT = "off"
    settings.CRM_THROTTLE_IDENTITY = "off"
