"""Throttling of the public entry points (contacts/api/throttles.py): per client address and
per submitted email/phone, atomic fixed-window counters in the cache, shared through Redis.

Throttling is off for the rest of the suite (tests/conftest.py); these tests turn it on with
the `settings` fixture, which the throttles read on every request."""

import threading
from typing import Any

import pytest
import redis
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client

from contacts.api import throttles
from contacts.api.throttles import KEY_PREFIX, Rate, hit, parse_rate
from contacts.models import Contact
from tests.helpers import FORM_URL, contact_state, counts, post_json

pytestmark = pytest.mark.django_db

REDIS_DB_URL = "redis://127.0.0.1:6379/13"  # a database of its own, flushed by these tests only
REDIS_CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_DB_URL}}


@pytest.fixture(autouse=True)
def _fresh_counters() -> Any:
    cache.clear()  # local memory is per process: earlier tests' windows must not count here
    yield
    cache.clear()


@pytest.fixture
def rates(settings: Any) -> Any:
    def set_rates(client: str = "off", identity: str = "off", num_proxies: int | None = None) -> None:
        settings.CRM_THROTTLE_CLIENT = client
        settings.CRM_THROTTLE_IDENTITY = identity
        if num_proxies is not None:
            settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}

    return set_rates


@pytest.fixture
def redis_cache(settings: Any) -> Any:
    db = redis.Redis.from_url(REDIS_DB_URL)
    try:
        db.flushdb()
    except redis.ConnectionError:
        pytest.fail(f"These tests need Redis at {REDIS_DB_URL} (see engineering notes).", pytrace=False)
    settings.CACHES = REDIS_CACHES
    yield db
    db.flushdb()
    db.close()


def _body(n: int, **extra: Any) -> dict[str, Any]:
    return {"name": {"first": f"Person{n}"}, **extra}


def _assert_throttled_json(response: Any) -> None:
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == "throttled"
    assert body["detail"].startswith("Request was throttled.")
    assert 1 <= int(response["Retry-After"]) <= 60


# --- rates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "rate"), [
    ("60/min", Rate(60, 60)), ("10/m", Rate(10, 60)), ("1000/hour", Rate(1000, 3600)), ("5/s", Rate(5, 1)),
    ("2/day", Rate(2, 86400)), (" 3 / Minute ", Rate(3, 60)), ("off", None), ("OFF", None),
])
def test_rates_use_drf_syntax_or_off(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "60", "0/min", "x/min", "60/fortnight", "-1/s", "on"])
def test_an_unreadable_rate_is_a_configuration_error(text):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        parse_rate(text)


def test_fixed_window_resets_and_says_how_long_to_wait():
    rate = Rate(2, 60)
    start = 6000.0  # a window boundary: 6000 // 60 = 100

    assert hit("t", "a", rate, now=start + 10) is None
    assert hit("t", "a", rate, now=start + 20) is None
    assert hit("t", "a", rate, now=start + 30) == pytest.approx(30)  # until the window ends
    assert hit("t", "b", rate, now=start + 30) is None  # another identity has its own counter
    assert hit("t", "a", rate, now=start + 60) is None  # the next window


# --- the API -------------------------------------------------------------------------------


def test_api_client_rate_refuses_with_429_json_and_retry_after_and_writes_nothing(rates):
    rates(client="3/min")
    for n in range(3):  # new browsers, one address (the test client's 127.0.0.1)
        assert post_json(Client(), _body(n)).status_code == 201
    before = counts()

    response = post_json(Client(), _body(9, emails=[{"email": "new@example.com"}]))

    _assert_throttled_json(response)
    assert counts() == before
    assert not Contact.objects.filter(first_name="Person9").exists()
    # Another address is not throttled.
    assert post_json(Client(REMOTE_ADDR="10.0.0.2"), _body(10)).status_code == 201


def test_api_identity_rate_counts_an_email_across_addresses_and_spellings(rates):
    rates(identity="2/min")
    first = post_json(Client(REMOTE_ADDR="10.0.0.1"), {"emails": [{"email": "ari@example.com"}]})
    assert first.status_code == 201
    contact_id = first.json()["contactId"]
    assert post_json(Client(REMOTE_ADDR="10.0.0.2"), {"emails": [{"email": " ARI@Example.COM "}]}).status_code == 200
    before_counts, before_state = counts(), contact_state(contact_id)

    response = post_json(Client(REMOTE_ADDR="10.0.0.3"),
                         {"emails": [{"email": "Ari@example.com"}], "company": "Hammer Inc"})

    _assert_throttled_json(response)
    assert counts() == before_counts
    assert contact_state(contact_id) == before_state
    # Other people are not affected.
    assert post_json(Client(REMOTE_ADDR="10.0.0.3"), {"emails": [{"email": "bo@example.com"}]}).status_code == 201


def test_api_identity_rate_counts_a_phone_in_any_format(rates):
    rates(identity="2/min")
    assert post_json(Client(), {"phones": [{"phone": "+1 650 253 0000"}]}).status_code == 201
    assert post_json(Client(), {"phones": [{"phone": "(650) 253-0000", "countryCode": "US"}]}).status_code == 200

    response = post_json(Client(), {"phones": [{"phone": "650.253.0000", "countryCode": "us"}]})

    _assert_throttled_json(response)


def test_a_request_is_refused_when_any_of_its_identities_is_over_the_rate(rates):
    rates(identity="1/min")
    assert post_json(Client(), {"emails": [{"email": "ari@example.com"}]}).status_code == 201
    before = counts()

    response = post_json(Client(), {
        "emails": [{"email": "fresh@example.com"}, {"email": "ari@example.com"}],
        "phones": [{"phone": "+442079460958"}],
    })

    _assert_throttled_json(response)
    assert counts() == before


def test_invalid_emails_and_odd_shapes_do_not_break_the_identity_throttle(rates):
    rates(identity="1/min")
    for body in ([1, 2], {"emails": "x"}, {"emails": [1, {"email": 5}, {"email": "not-an-email"}]},
                 {"phones": [{"phone": "abc", "countryCode": 7}]}):
        assert post_json(Client(), body).status_code == 400


def test_rotating_x_forwarded_for_does_not_bypass_the_client_rate_without_proxies(rates):
    rates(client="2/min", num_proxies=0)
    statuses = [post_json(Client(), _body(n), HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)]

    assert statuses == [201, 201, 429, 429]


def test_with_one_proxy_the_client_is_the_address_the_proxy_appended(rates):
    rates(client="2/min", num_proxies=1)
    # Every request comes from the proxy's REMOTE_ADDR (127.0.0.1). The client controls what it
    # sends in X-Forwarded-For; the proxy appends the address it saw, the last one.
    first = [post_json(Client(), _body(n), HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7").status_code
             for n in range(3)]
    other = post_json(Client(), _body(9), HTTP_X_FORWARDED_FOR="203.0.113.8")

    assert first == [201, 201, 429]
    assert other.status_code == 201


def test_off_disables_a_rate_and_rates_are_read_per_request(rates):
    rates(client="off", identity="off")
    client = Client()
    assert all(post_json(client, {"emails": [{"email": "ari@example.com"}]}).status_code in {200, 201}
               for _ in range(12))

    rates(client="1/min")
    assert post_json(Client(), _body(1)).status_code == 201
    assert post_json(Client(), _body(2)).status_code == 429


# --- the site form -------------------------------------------------------------------------


def test_form_client_rate_answers_429_html_keeps_the_input_and_writes_nothing(rates):
    rates(client="2/min")
    for n in range(2):
        assert Client().post(FORM_URL, {"first_name": f"Person{n}", "phone_country": "US"}).status_code == 302
    before = counts()

    response = Client().post(FORM_URL, {"first_name": "Late", "email": "late@example.com", "phone_country": "US",
                                      "message": "hello"})

    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert 1 <= int(response["Retry-After"]) <= 60
    html = response.content.decode()
    assert "Too many submissions. Please try again in" in html
    assert 'value="late@example.com"' in html  # nothing typed is lost
    assert counts() == before


def test_form_and_api_share_the_identity_counter(rates):
    rates(identity="2/min")
    assert post_json(Client(), {"emails": [{"email": "ari@example.com"}]}).status_code == 201
    assert Client().post(FORM_URL, {"email": "ARI@example.com", "phone_country": "US"}).status_code == 302
    before = counts()

    form = Client().post(FORM_URL, {"first_name": "X", "email": "ari@example.com", "phone_country": "US"})
    api = post_json(Client(), {"emails": [{"email": "ari@example.com"}]})

    assert form.status_code == 429
    _assert_throttled_json(api)
    assert counts() == before


def test_form_identity_rate_counts_the_phone_with_its_country(rates):
    rates(identity="1/min")
    assert Client().post(FORM_URL, {"phone_country": "GB", "phone": "020 7946 0958"}).status_code == 302

    response = post_json(Client(), {"phones": [{"phone": "+44 20 7946 0958"}]})

    _assert_throttled_json(response)


# --- atomic counters, shared through Redis -------------------------------------------------


def _concurrent_hits(caches_for_threads: list[Any], rate: Rate) -> list[float | None]:
    barrier = threading.Barrier(len(caches_for_threads))
    results: list[float | None] = [None] * len(caches_for_threads)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = hit("race", "one-key", rate, cache=caches_for_threads[i], now=6010.0)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(caches_for_threads))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_hits_on_local_memory_never_exceed_the_rate():
    results = _concurrent_hits([cache] * 16, Rate(5, 60))

    assert sum(r is None for r in results) == 5


def test_two_cache_clients_share_the_counter_through_redis(redis_cache):
    first, second = caches.create_connection("default"), caches.create_connection("default")
    assert first is not second and type(first).__name__ == "RedisCache"
    rate = Rate(3, 60)

    assert [hit("identity", "email:ari@example.com", rate, cache=first, now=6010.0) for _ in range(3)] == [None] * 3
    assert hit("identity", "email:ari@example.com", rate, cache=second, now=6011.0) == pytest.approx(49)
    # Keys carry an HMAC, never the email itself.
    keys = [k.decode() for k in redis_cache.keys("*")]
    assert len(keys) == 1 and KEY_PREFIX in keys[0] and "ari" not in keys[0]


def test_concurrent_hits_through_separate_redis_clients_never_exceed_the_rate(redis_cache):
    clients = [caches.create_connection("default") for _ in range(16)]

    results = _concurrent_hits(clients, Rate(5, 60))

    assert sum(r is None for r in results) == 5


def test_the_api_throttles_through_redis(redis_cache, rates):
    rates(client="2/min", identity="5/min")
    client = Client()
    assert post_json(client, {"emails": [{"email": "ari@example.com"}]}).status_code == 201
    assert post_json(client, {"emails": [{"email": "ari@example.com"}]}).status_code == 200
    before = counts()

    _assert_throttled_json(post_json(client, {"emails": [{"email": "ari@example.com"}]}))

    assert counts() == before
    assert redis_cache.keys(f"*{KEY_PREFIX}:client:*") and redis_cache.keys(f"*{KEY_PREFIX}:identity:*")
    cache.clear()  # the shared counters are gone: allowed again
    assert post_json(client, {"emails": [{"email": "ari@example.com"}]}).status_code == 200


def test_an_unreachable_redis_lets_requests_through_and_says_so(rates, caplog, monkeypatch):
    rates(client="1/min", identity="1/min")
    monkeypatch.setattr(throttles, "default_cache", RedisCache("redis://127.0.0.1:1/0", {}))  # nothing listens
    before = counts()

    statuses = [post_json(Client(), {"emails": [{"email": "ari@example.com"}]}).status_code for _ in range(2)]

    assert statuses == [201, 200]
    assert counts()["Contact"] == before["Contact"] + 1
    warnings = [r.getMessage() for r in caplog.records if r.name == "crmsite.throttle"]
    assert warnings and all("ari" not in w for w in warnings)
