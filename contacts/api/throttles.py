"""Throttling of the public entry points: the append-or-create endpoint and the site form.

Two rates, read from settings on every request (so tests and operators can change them
without a restart of the import-time state):

- `CRM_THROTTLE_CLIENT`: requests per client address. The address is `REMOTE_ADDR`, or with
  `REST_FRAMEWORK["NUM_PROXIES"] = n > 0` the n-th address from the right of
  `X-Forwarded-For` (DRF's rule), so a client cannot pick its own address by sending that
  header unless a proxy we trust appends it.
- `CRM_THROTTLE_IDENTITY`: requests per submitted email or phone (their normalised match
  keys, as the service matches them). A request is refused when ANY of its identities is over
  the rate: rotating addresses does not let anyone hammer one person's contact.

Rates use DRF's syntax (`60/min`, `10/m`, `1000/hour`, `5/s`); `off` disables one.

The counters are fixed windows in Django's cache (Redis when `REDIS_URL` is set, so every
worker shares them): `cache.add(key, 0)` then `cache.incr(key)`, both atomic in Redis and in
the local-memory cache, so concurrent requests can never both take the last slot (DRF's
`SimpleRateThrottle` reads, edits and writes back a history list, which loses updates under
concurrency). A fixed window lets at most twice the rate through around a window boundary.
Every request counts, including the refused ones, and every counter of a request is
incremented (no short-circuit), so the outcome does not depend on the order of the checks.
Keys hold an HMAC of the identity, never the email or phone itself.

When Redis cannot be reached the throttles let the request through and log a warning: an
outage of the cache must not take the contact form down with it.
"""

import logging
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError
from django.core.cache import BaseCache, cache as default_cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from contacts import limits
from contacts.normalize import normalize_email, normalize_phone

CLIENT_SETTING = "CRM_THROTTLE_CLIENT"
IDENTITY_SETTING = "CRM_THROTTLE_IDENTITY"
KEY_PREFIX = "crm:throttle"
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

logger = logging.getLogger("crmsite.throttle")


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int


@lru_cache(maxsize=32)
def parse_rate(value: str) -> Rate | None:
    """`"60/min"` → `Rate(60, 60)`; `"off"` → None (not throttled)."""
    if value.strip().lower() == "off":
        return None
    match = _RATE.match(value)
    if match is None or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"Invalid throttle rate {value!r}: use <requests>/<period> with a period of s, min, hour "
            "or day (e.g. 60/min), or off."
        )
    return Rate(requests=int(match.group(1)), seconds=_SECONDS[match.group(2)[0].lower()])


def configured_rate(name: str) -> Rate | None:
    return parse_rate(str(getattr(settings, name, "off")))


def check_rate_settings() -> None:
    """Fail at startup, not on the first request, when a rate setting cannot be read."""
    configured_rate(CLIENT_SETTING)
    configured_rate(IDENTITY_SETTING)


def hit(scope: str, ident: str, rate: Rate, *, cache: BaseCache | None = None, now: float | None = None) -> float | None:
    """Count one request for `ident` in the current window; answer the seconds until the window
    ends when the count is over the rate, else None."""
    store = default_cache if cache is None else cache
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    digest = salted_hmac(KEY_PREFIX, f"{scope}:{ident}").hexdigest()
    key = f"{KEY_PREFIX}:{scope}:{rate.seconds}:{digest}:{window}"
    try:
        store.add(key, 0, timeout=rate.seconds + 1)  # lives past its window; a later window is a new key
        try:
            count = store.incr(key)
        except ValueError:  # evicted between add and incr: this request opens the window again
            store.add(key, 1, timeout=rate.seconds + 1)
            count = 1
    except RedisError as exc:  # fail open: the type only, the key's identity stays out of the log
        logger.warning("throttle counters unavailable (%s): request allowed", type(exc).__name__)
        return None
    if count > rate.requests:
        return max((window + 1) * rate.seconds - now, 0.001)
    return None


def client_address(request: HttpRequest) -> str:
    """DRF's `BaseThrottle.get_ident` with `NUM_PROXIES` unset treated as 0, so a forged
    `X-Forwarded-For` is ignored unless proxies are declared."""
    remote_addr = str(request.META.get("REMOTE_ADDR") or "")
    num_proxies = api_settings.NUM_PROXIES or 0
    xff = request.headers.get("x-forwarded-for")
    if num_proxies == 0 or not xff:
        return remote_addr
    addresses = xff.split(",")
    return addresses[-min(num_proxies, len(addresses))].strip()


def identities(info: object) -> list[str]:
    """The match keys of the emails and phones in a raw `ContactInfo` mapping (as received,
    before validation): `email:<key>`, `phone:<key>`. Values that do not normalise are left
    out; the request is refused for them later anyway."""
    if not isinstance(info, Mapping):
        return []
    keys: list[str] = []
    for item in _items(info.get("emails")):
        email = item.get("email")
        if isinstance(email, str):
            try:
                keys.append("email:" + normalize_email(email).key)
            except ValidationError:
                pass
    for item in _items(info.get("phones")):
        phone, country = item.get("phone"), item.get("countryCode")
        if isinstance(phone, str) and (country is None or isinstance(country, str)):
            try:
                keys.append("phone:" + normalize_phone(phone, country).key)
            except ValidationError:
                pass
    return list(dict.fromkeys(keys))


def form_identities(data: Mapping[str, Any]) -> list[str]:
    """The site form's email and phone, through the same normalisers."""
    email, phone, country = data.get("email"), data.get("phone"), data.get("phone_country")
    return identities({
        "emails": [{"email": email}] if email else [],
        "phones": [{"phone": phone, "countryCode": country or None}] if phone else [],
    })


def _items(value: object) -> Iterable[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value[: limits.MAX_ITEMS] if isinstance(item, Mapping)]


def client_wait(request: HttpRequest) -> float | None:
    rate = configured_rate(CLIENT_SETTING)
    return None if rate is None else hit("client", client_address(request), rate)


def identity_wait(keys: Iterable[str]) -> float | None:
    rate = configured_rate(IDENTITY_SETTING)
    if rate is None:
        return None
    waits = [w for w in (hit("identity", key, rate) for key in keys) if w is not None]
    return max(waits, default=None)


def form_wait(request: HttpRequest) -> int | None:
    """Seconds the site form's sender must wait (both rates), or None when allowed."""
    waits = [w for w in (client_wait(request), identity_wait(form_identities(request.POST))) if w is not None]
    return math.ceil(max(waits)) if waits else None


class _RateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait: float | None = None

    def wait(self) -> float | None:
        return self._wait


class ClientRateThrottle(_RateThrottle):
    """`CRM_THROTTLE_CLIENT` per client address."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        self._wait = client_wait(request._request)
        return self._wait is None


class IdentityRateThrottle(_RateThrottle):
    """`CRM_THROTTLE_IDENTITY` per submitted email and phone (parses the JSON body; a body
    that does not parse is answered by the parser's own 400/413/415)."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        if configured_rate(IDENTITY_SETTING) is None:
            return True
        self._wait = identity_wait(identities(request.data))
        return self._wait is None


API_THROTTLES = [ClientRateThrottle, IdentityRateThrottle]
