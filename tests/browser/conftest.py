"""Real-browser tests: Playwright (sync API) drives Debian's Chromium against pytest-django's
`live_server` (engineering-notes: "Real browser tests").

Chromium comes from Debian (`apt-get install chromium`), never from `playwright install`,
which cannot download browsers here. Without /usr/bin/chromium these tests fail with that
instruction; they are never skipped.
"""

import os
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 5_000  # every wait fails fast rather than after Playwright's default 30 s
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright() -> None:
    """Playwright's sync API runs its event loop in the main thread, so Django's async-safety
    check would refuse the test code's ORM calls. The loop stays marked as running until the
    session ends, which is why tests/conftest.py runs the browser tests last: this is set only
    once they start, and no other test runs after it."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM}: run `apt-get install -y chromium` "
            "(`playwright install` cannot download browsers here).",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _fail_fast(page: Any) -> None:
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(2 * TIMEOUT_MS)


@pytest.fixture(scope="session")
def base_url(live_server: Any) -> str:
    """Pages open relative to the live server: `page.goto("/admin/")`. (Overrides
    pytest-playwright's `--base-url` fixture; a test using it gets `transactional_db`.)"""
    return str(live_server.url)

