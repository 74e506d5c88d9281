"""Trust under load: the real server, many concurrent submissions from a few people.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/load_test.py --requests 1000 --concurrency 32 --workers 4

DATABASE_URL only says which PostgreSQL server to use: the script drops and creates its own
database there (`crmsite_load_bench`, or --database), migrates it, and starts gunicorn with
--workers gthread workers of one thread each, as crmsite/gunicorn.conf.py runs them
(`crmsite.settings`, CONN_MAX_AGE=60, throttles off) on a socket it
bound itself (so the port cannot be taken in between). It then fires --requests POSTs,
--concurrency at a time, at `/api/contacts/append-or-create/`, drawn from a small pool of
people (--people): emails in mixed case, phones in several formats, email only, phone only,
both, or a name only from a browser whose `crm_visitor` cookie the server issued earlier.
Each simulated browser keeps its own cookie jar; some requests come from a private window
(no cookie sent or kept).

After the timed run every person submits email and phone once more (sequentially, not
timed), and the invariants are checked in SQL (`check_invariants`, below). A second gunicorn,
identical but for `benchmarks.naive.settings` and its own database (`<database>_naive`),
serves the same request stream to a naive DRF endpoint (`benchmarks/naive/`) that creates a
contact per call without reconciling; the stream goes to ours and to naive in turn, --rounds
slices each, so that other work on a shared machine slows both alike. The script prints one
table for both and the ours/naive ratios, and exits non-zero when an invariant fails
(keeping the databases for inspection).

tests/load/test_load_short.py runs a short form of the same code against the test database.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import phonenumbers

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from contacts.normalize import normalize_email, normalize_phone  # noqa: E402  (needs ROOT on sys.path)

OURS_PATH = "/api/contacts/append-or-create/"
NAIVE_PATH = "/naive/contacts/"
OURS_SETTINGS = "crmsite.settings"
NAIVE_SETTINGS = "benchmarks.naive.settings"
OURS_LABEL = "ours (append-or-create)"
NAIVE_LABEL = "naive DRF create"
COOKIE = "crm_visitor"
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 60.0  # seconds; a request that takes longer counts as an error (status 0)
BOOT_TIMEOUT = 60.0

KINDS = ("email", "phone", "both", "name")
KIND_WEIGHTS = (30, 30, 25, 15)
PRIVATE_WINDOW = 0.15  # share of requests that send no cookie and keep none
BROWSERS_PER_PERSON = 2

FIRST = ["Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "June", "Kai", "Lea", "Max",
         "Nia", "Oto", "Pia", "Quin", "Rosa", "Sam", "Tess", "Uma", "Vic", "Wes", "Xia", "Yara", "Zed"]
LAST = ["Lovelace", "Okafor", "Moreau", "Tanaka", "Novak", "Silva", "Berg", "Haddad", "Ivanova", "Kowalski"]


# --- the pool of people -------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    index: int
    first: str
    last: str
    emails: tuple[str, ...]  # one address in several letter cases
    email_key: str
    phones: tuple[tuple[str, str | None], ...]  # (phone, countryCode) in several formats
    phone_key: str  # E.164


def _phone_formats(n: int) -> tuple[tuple[str, str | None], ...]:
    """Several spellings of one valid number: US (650-253-nnnn), UK (020 7946 09nn), DE
    (0151 123456nn); UK and DE only among the first 99 people."""
    d = f"{n:02d}"
    if n < 100 and n % 5 == 4:
        return (("+44 20 7946 09" + d, None), ("020 7946 09" + d, "GB"), ("(020) 7946-09" + d, "GB"))
    if n < 100 and n % 7 == 6:
        return ((f"+49 151 123456{d}", None), (f"0151 123456{d}", "DE"), (f"+49-151-123456-{d}", None))
    d = f"{n:04d}"
    return (
        (f"+1650253{d}", None),
        (f"650-253-{d}", "US"),
        (f"(650) 253 {d}", "US"),
        (f"+1 650.253.{d}", None),
    )


def _email_cases(local: str, domain: str) -> tuple[str, ...]:
    return (
        f"{local}@{domain}",
        f"{local.upper()}@{domain.upper()}",
        f"{local.title()}@{domain.title()}",
        f"{local}@{domain.upper()}",
    )


def build_pool(people: int) -> list[Person]:
    """`people` distinct people; every phone spelling is checked valid and equal with
    phonenumbers, and every email spelling and phone spelling is checked to give the same
    match key as the server computes (contacts.normalize)."""
    pool = []
    for i in range(1, people + 1):
        first, last = FIRST[i % len(FIRST)], LAST[i % len(LAST)]
        emails = _email_cases(f"{first}.{last}.{i}".lower(), "example.com")
        phones = _phone_formats(i)
        e164s = set()
        for phone, region in phones:
            number = phonenumbers.parse(phone, region)
            if not phonenumbers.is_valid_number(number):
                raise ValueError(f"pool phone {phone!r} ({region}) is not a valid number")
            e164s.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        phone_keys = {normalize_phone(phone, region).key for phone, region in phones}
        email_keys = {normalize_email(e).key for e in emails}
        if len(e164s) != 1 or phone_keys != e164s or len(email_keys) != 1:
            raise ValueError(f"person {i}: spellings do not agree: {e164s} {phone_keys} {email_keys}")
        pool.append(Person(i, first, last, emails, email_keys.pop(), phones, e164s.pop()))
    if len({p.phone_key for p in pool}) != len(pool):
        raise ValueError("two people share a phone number")
    return pool


# --- the request stream -------------------------------------------------------------------------

@dataclass(frozen=True)
class Planned:
    seq: int
    person: int  # index into the pool list
    browser: int  # index into the browsers list
    kind: str  # email, phone, both, name (name: only when the browser already has a cookie)
    private: bool  # no cookie sent, none kept
    email_variant: int
    phone_variant: int
    with_name: bool


def plan_requests(pool: Sequence[Person], count: int, seed: int) -> list[Planned]:
    rng = random.Random(seed)
    plan = []
    for seq in range(count):
        person = rng.randrange(len(pool))
        kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        plan.append(Planned(
            seq=seq,
            person=person,
            browser=person * BROWSERS_PER_PERSON + rng.randrange(BROWSERS_PER_PERSON),
            kind=kind,
            private=kind != "name" and rng.random() < PRIVATE_WINDOW,
            email_variant=rng.randrange(len(pool[person].emails)),
            phone_variant=rng.randrange(len(pool[person].phones)),
            with_name=rng.random() < 0.5,
        ))
    return plan


class Browser:
    """One simulated browser's cookie jar (only the visitor cookie matters here)."""

    def __init__(self, person: int) -> None:
        self.person = person
        self._lock = threading.Lock()
        self._cookies: dict[str, str] = {}

    def cookie_header(self) -> str | None:
        with self._lock:
            return "; ".join(f"{k}={v}" for k, v in self._cookies.items()) or None

    def has(self, name: str) -> bool:
        with self._lock:
            return name in self._cookies

    def store(self, set_cookies: Sequence[str]) -> None:
        with self._lock:
            for header in set_cookies:
                for name, morsel in SimpleCookie(header).items():
                    self._cookies[name] = morsel.value


def new_browsers(pool: Sequence[Person]) -> list[Browser]:
    return [Browser(p) for p in range(len(pool)) for _ in range(BROWSERS_PER_PERSON)]


def visitor_id_of(cookie_value: str) -> str:
    """The visitor id inside a signed `crm_visitor` value (`<uuid>|<issued>:<signature>`)."""
    return cookie_value.split("|", 1)[0]


def payload_for(person: Person, planned: Planned, kind: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if planned.with_name or kind == "name":
        body["name"] = {"first": person.first, "last": person.last}
    if kind in ("email", "both"):
        body["emails"] = [{"email": person.emails[planned.email_variant]}]
    if kind in ("phone", "both"):
        phone, region = person.phones[planned.phone_variant]
        body["phones"] = [{"phone": phone, **({"countryCode": region} if region else {})}]
    return body


# --- firing -------------------------------------------------------------------------------------

@dataclass
class Outcome:
    seq: int
    person: int
    browser: int
    kind: str  # as sent (a planned name-only request from a browser without a cookie sends its email)
    cookie_sent: bool
    status: int  # 0: no HTTP answer (connection error or timeout)
    latency_ms: float
    contact_id: str | None = None
    new_contact: bool | None = None
    visitor_id: str | None = None  # the cookie sent, or the one the answer issued
    error: str = ""


def post_json(port: int, path: str, body: dict[str, Any], cookie: str | None) -> tuple[int, bytes, list[str]]:
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if cookie:
            headers["Cookie"] = cookie
        conn.request("POST", path, body=json.dumps(body).encode(), headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, data, response.headers.get_all("Set-Cookie") or []
    finally:
        conn.close()


def send(port: int, path: str, planned: Planned, pool: Sequence[Person], browsers: Sequence[Browser]) -> Outcome:
    browser = browsers[planned.browser]
    kind = planned.kind
    if kind == "name" and not browser.has(COOKIE):
        kind = "email"  # no visitor yet to land on: a real visitor would type their email
    cookie = None if planned.private else browser.cookie_header()
    body = payload_for(pool[planned.person], planned, kind)
    outcome = Outcome(planned.seq, planned.person, planned.browser, kind, cookie is not None, 0, 0.0)
    if cookie is not None:
        outcome.visitor_id = visitor_id_of(SimpleCookie(cookie)[COOKIE].value)
    start = time.perf_counter()
    try:
        status, data, set_cookies = post_json(port, path, body, cookie)
    except (OSError, http.client.HTTPException) as exc:
        outcome.latency_ms = (time.perf_counter() - start) * 1000
        outcome.error = f"{type(exc).__name__}: {exc}"
        return outcome
    outcome.latency_ms = (time.perf_counter() - start) * 1000
    outcome.status = status
    for header in set_cookies:
        morsel = SimpleCookie(header).get(COOKIE)
        if morsel is not None:
            outcome.visitor_id = visitor_id_of(morsel.value)
    if not planned.private:
        browser.store(set_cookies)
    try:
        answer = json.loads(data)
    except ValueError:
        answer = None
    if 200 <= status < 300 and isinstance(answer, dict):
        outcome.contact_id = answer.get("contactId")
        outcome.new_contact = answer.get("newContact")
    elif status >= 300:
        outcome.error = data[:300].decode(errors="replace")
    return outcome


def fire(port: int, path: str, plan: Sequence[Planned], pool: Sequence[Person], browsers: Sequence[Browser],
         concurrency: int) -> tuple[list[Outcome], float]:
    """Every planned request, exactly `concurrency` in flight; the outcomes and the wall time."""
    with ThreadPoolExecutor(max_workers=concurrency) as pool_executor:
        start = time.perf_counter()
        outcomes = list(pool_executor.map(lambda p: send(port, path, p, pool, browsers), plan))
        wall = time.perf_counter() - start
    return outcomes, wall


def settle_plan(pool: Sequence[Person], first_seq: int) -> list[Planned]:
    """One email-and-phone submission per person from their first browser, after the run: a
    person whose email-only and phone-only submissions raced into two contacts now gets them
    recorded as a possible duplicate (decisions.md §4), which check_invariants then requires."""
    return [Planned(first_seq + i, i, i * BROWSERS_PER_PERSON, "both", False, 0, 0, True)
            for i in range(len(pool))]


# --- the server ---------------------------------------------------------------------------------

def database_url(base: str, database: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def database_url_from_settings(settings_dict: dict[str, Any]) -> str:
    """A DATABASE_URL for the database a Django connection uses (e.g. pytest's test database)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def server_env(settings_module: str, db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": db_url,
        "CONN_MAX_AGE": "60",
        "CRM_THROTTLE_CLIENT": "off",
        "CRM_THROTTLE_IDENTITY": "off",
        "DEBUG": "false",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _gunicorn_command() -> list[str]:
    script = Path(sys.executable).parent / "gunicorn"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def gunicorn(settings_module: str, db_url: str, workers: int, log_dir: Path | str | None = None) -> Iterator[Server]:
    """gunicorn with `workers` gthread workers (one thread each, as in production) serving
    crmsite.wsgi, stopped (its whole process group) however the block ends. The listening
    socket is bound here, on port 0, and handed to gunicorn as `fd://N`: no other process can
    take the port between choosing and binding."""
    log_dir = Path(log_dir or tempfile.gettempdir())
    log_path = log_dir / f"gunicorn-{settings_module.replace('.', '_')}-{os.getpid()}-{time.time_ns()}.log"
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    process: subprocess.Popen[bytes] | None = None
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, 0))
        port = listener.getsockname()[1]
        fd = listener.fileno()
        command = [
            *_gunicorn_command(),
            "--workers", str(workers),
            "--worker-class", "gthread",
            "--threads", "1",
            "--bind", f"fd://{fd}",
            "--backlog", "2048",
            "--chdir", str(ROOT),
            "--pythonpath", str(ROOT),
            "--timeout", "60",
            "--graceful-timeout", "5",
            "--error-logfile", str(log_path),
            "--log-level", "warning",
            "crmsite.wsgi:application",
        ]
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=server_env(settings_module, db_url), pass_fds=(fd,),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        listener.close()  # gunicorn holds its own copy
        server = Server(port, process, log_path)
        _wait_until_serving(server, workers)
        yield server
    finally:
        listener.close()
        if process is not None:
            _stop(process)


def _wait_until_serving(server: Server, workers: int) -> None:
    """Until every worker answers: a few rounds of `{}` (step 5, a 400 after a transaction
    that is rolled back: it stores nothing) warm the URLconf, phonenumbers and each worker's
    database connection."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            status, _, _ = post_json(server.port, OURS_PATH, {}, None)
            if status == 400:
                break
            raise RuntimeError(f"warm-up answered {status}, expected 400:\n{server.log_tail()}")
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer in {BOOT_TIMEOUT:.0f} s:\n{server.log_tail()}") from None
            time.sleep(0.1)
    with ThreadPoolExecutor(max_workers=workers) as executor:
        statuses = list(executor.map(lambda _: post_json(server.port, OURS_PATH, {}, None)[0], range(workers * 6)))
    if set(statuses) != {400}:
        raise RuntimeError(f"warm-up answered {Counter(statuses)}:\n{server.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """TERM the master (it stops its workers within --graceful-timeout); if it is still there
    after 15 s, KILL its whole process group. The group id is the master's pid, which cannot be
    reused while the master is not yet reaped, so nothing but this gunicorn is signalled."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # the group gunicorn leads (start_new_session)
        process.wait(timeout=10)


# --- statistics ---------------------------------------------------------------------------------

@dataclass
class Stats:
    label: str
    requests: int
    concurrency: int
    workers: int
    wall_s: float
    throughput: float
    p50_ms: float
    p99_ms: float
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def errors(self) -> str:
        bad = {s: n for s, n in sorted(self.statuses.items()) if not 200 <= s < 300}
        return ", ".join(f"{s or 'no answer'}: {n}" for s, n in bad.items()) or "none"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def stats(label: str, outcomes: Sequence[Outcome], wall: float, concurrency: int, workers: int) -> Stats:
    latencies = [o.latency_ms for o in outcomes]
    return Stats(label, len(outcomes), concurrency, workers, wall, len(outcomes) / wall,
                 percentile(latencies, 50), percentile(latencies, 99), Counter(o.status for o in outcomes))


def table(rows: Sequence[Stats]) -> str:
    head = ("endpoint", "requests", "concurrency", "workers", "req/s", "p50 ms", "p99 ms", "2xx", "non-2xx")
    body = [(s.label, str(s.requests), str(s.concurrency), str(s.workers), f"{s.throughput:.0f}",
             f"{s.p50_ms:.1f}", f"{s.p99_ms:.1f}",
             str(sum(n for st, n in s.statuses.items() if 200 <= st < 300)), s.errors) for s in rows]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * 7 + ["---"]) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


# --- invariants, in SQL -------------------------------------------------------------------------

@dataclass
class Report:
    problems: list[str]
    contacts: int
    people_with_two_contacts: int
    possible_duplicates: int
    submissions: int

    def summary(self) -> str:
        state = "all hold" if not self.problems else f"{len(self.problems)} FAILED"
        return (f"invariants: {state}; {self.contacts} contacts, {self.people_with_two_contacts} people with "
                f"two (their email-only and phone-only submissions raced), {self.possible_duplicates} "
                f"possible duplicates recorded, {self.submissions} submissions")


def _rows(cursor: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    cursor.execute(sql, params)
    return list(cursor.fetchall())


def check_invariants(cursor: Any, pool: Sequence[Person], outcomes: Sequence[Outcome]) -> Report:
    """The invariants of one reconcile run, read back from the database with `cursor` (any
    DB-API cursor on it). `outcomes` are every request of the run (timed and settle); the
    database must hold nothing else. Returns the problems found (none: all hold).

    (i)   every request was answered, and with a 2xx: no 5xx, no 4xx, no dropped connection;
    (ii)  every accepted email and phone is stored exactly once (one row per match key), and
          no other email or phone is stored;
    (iii) no contact holds two people's keys, every answer names the contact that owns the key
          it matched (email first, then phone; a name-only call lands on a contact of the same
          person through the visitor cookie), each person has at most two contacts (the one
          of their email and the one of their phone), every contact holds a key, and every
          visitor is linked to a contact of its own person;
    (iv)  Submission rows == 2xx answers, per contact as well; new-contact submissions ==
          201 answers == contacts;
    (v)   a person with two contacts has an open PossibleDuplicate between them (the settle
          round submitted email and phone together after both contacts existed).
    """
    problems: list[str] = []
    ok = [o for o in outcomes if 200 <= o.status < 300]

    # (i)
    bad = Counter(o.status for o in outcomes if not 200 <= o.status < 300)
    if bad:
        sample = next(o for o in outcomes if not 200 <= o.status < 300)
        problems.append(f"(i) non-2xx answers {dict(bad)}; e.g. #{sample.seq} {sample.kind}: "
                        f"{sample.error[:200]!r}")

    # (ii)
    accepted_emails = {pool[o.person].email_key for o in ok if o.kind in ("email", "both")}
    accepted_phones = {pool[o.person].phone_key for o in ok if o.kind in ("phone", "both")}
    emails = {k: (n, owners) for k, n, owners in _rows(cursor, """
        SELECT key, count(*), array_agg(DISTINCT contact_id::text) FROM contacts_email GROUP BY key""")}
    phones = {k: (n, owners) for k, n, owners in _rows(cursor, """
        SELECT key, count(*), array_agg(DISTINCT contact_id::text) FROM contacts_phone GROUP BY key""")}
    for kind, accepted, stored in (("email", accepted_emails, emails), ("phone", accepted_phones, phones)):
        lost = sorted(accepted - stored.keys())
        if lost:
            problems.append(f"(ii) accepted {kind}s not stored (lost writes): {lost}")
        extra = sorted(stored.keys() - accepted)
        if extra:
            problems.append(f"(ii) {kind}s stored that no accepted request carried: {extra}")
        twice = {k: n for k, (n, _) in stored.items() if n != 1}
        if twice:
            problems.append(f"(ii) {kind} keys stored more than once: {twice}")
    owner_email = {k: owners[0] for k, (_, owners) in emails.items()}
    owner_phone = {k: owners[0] for k, (_, owners) in phones.items()}

    # (iii)
    person_of_key = {p.email_key: p.index for p in pool} | {p.phone_key: p.index for p in pool}
    people_on_contact: dict[str, set[int]] = defaultdict(set)
    for key, contact in (*owner_email.items(), *owner_phone.items()):
        people_on_contact[contact].add(person_of_key.get(key, -1))
    shared = {c: sorted(ps) for c, ps in people_on_contact.items() if len(ps) > 1}
    if shared:
        problems.append(f"(iii) contacts holding several people's keys: {shared}")
    contacts_of: dict[int, set[str]] = defaultdict(set)
    for o in ok:
        person = pool[o.person]
        mine = {c for c in (owner_email.get(person.email_key), owner_phone.get(person.phone_key)) if c}
        if o.kind in ("email", "both"):
            expected: set[str | None] = {owner_email.get(person.email_key)}
        elif o.kind == "phone":
            expected = {owner_phone.get(person.phone_key)}
        else:
            expected = {*mine}
        if o.contact_id not in expected:
            problems.append(f"(iii) #{o.seq} ({o.kind}, person {person.index}) answered contact {o.contact_id}, "
                            f"expected one of {sorted(map(str, expected))}")
        contacts_of[person.index] |= mine
    crowded = {p: sorted(cs) for p, cs in contacts_of.items() if len(cs) > 2}
    if crowded:
        problems.append(f"(iii) people with more than two contacts: {crowded}")
    all_contacts = {c for (c,) in _rows(cursor, "SELECT id::text FROM contacts_contact")}
    keyless = sorted(all_contacts - set(owner_email.values()) - set(owner_phone.values()))
    if keyless:
        problems.append(f"(iii) contacts with neither email nor phone: {keyless}")
    no_primary = _rows(cursor, """
        SELECT c.id::text FROM contacts_contact c
        WHERE EXISTS (SELECT 1 FROM contacts_email e WHERE e.contact_id = c.id)
          AND NOT EXISTS (SELECT 1 FROM contacts_email e WHERE e.contact_id = c.id AND e.primary)
        UNION ALL
        SELECT c.id::text FROM contacts_contact c
        WHERE EXISTS (SELECT 1 FROM contacts_phone p WHERE p.contact_id = c.id)
          AND NOT EXISTS (SELECT 1 FROM contacts_phone p WHERE p.contact_id = c.id AND p.primary)""")
    if no_primary:
        problems.append(f"(iii) contacts with emails or phones but no primary one: {no_primary}")
    visitors = dict(_rows(cursor, "SELECT id::text, contact_id::text FROM contacts_visitorsession"))
    seen_visitors: dict[str, int] = {o.visitor_id: o.person for o in ok if o.visitor_id}
    if set(visitors) != set(seen_visitors):
        problems.append(f"(iii) visitor rows {len(visitors)} != visitors of accepted requests "
                        f"{len(seen_visitors)}")
    strays = {v: (c, seen_visitors[v]) for v, c in visitors.items()
              if v in seen_visitors and c not in contacts_of[pool[seen_visitors[v]].index]}
    if strays:
        problems.append(f"(iii) visitors linked to another person's contact, or to none: {strays}")
    (unlinked,) = _rows(cursor, """
        SELECT count(*) FROM contacts_visitorsession v
        LEFT JOIN contacts_visitorlink l ON l.visitor_id = v.id AND l.unlinked_at IS NULL
        WHERE v.contact_id IS DISTINCT FROM l.contact_id""")[0]
    if unlinked:
        problems.append(f"(iii) {unlinked} visitors whose contact differs from their current link")

    # (iv)
    per_contact = {c: (n, new) for c, n, new in _rows(cursor, """
        SELECT contact_id::text, count(*), count(*) FILTER (WHERE new_contact)
        FROM contacts_submission GROUP BY contact_id""")}
    submissions = sum(n for n, _ in per_contact.values())
    if submissions != len(ok):
        problems.append(f"(iv) {submissions} submissions stored for {len(ok)} 2xx answers")
    answered = Counter(o.contact_id for o in ok)
    differ = {c: (answered.get(c, 0), per_contact.get(c, (0, 0))[0])
              for c in set(answered) | set(per_contact) if answered.get(c, 0) != per_contact.get(c, (0, 0))[0]}
    if differ:
        problems.append(f"(iv) answers vs submissions per contact differ: {differ}")
    created = sum(new for _, new in per_contact.values())
    created_answers = sum(1 for o in ok if o.status == 201)
    flag_mismatch = sum(1 for o in ok if (o.status == 201) != bool(o.new_contact))
    if not created == created_answers == len(all_contacts) or flag_mismatch:
        problems.append(f"(iv) new-contact submissions {created}, 201 answers {created_answers}, contacts "
                        f"{len(all_contacts)}, status/newContact mismatches {flag_mismatch}")

    # (v)
    pairs = {(a, b) for a, b in _rows(cursor, """
        SELECT contact_a_id::text, contact_b_id::text FROM contacts_possibleduplicate
        WHERE dismissed_at IS NULL""")}
    two = {p: sorted(cs) for p, cs in contacts_of.items() if len(cs) == 2}
    unrecorded = {p: cs for p, cs in two.items() if (cs[0], cs[1]) not in pairs}
    if unrecorded:
        problems.append(f"(v) people with two contacts and no possible duplicate between them: {unrecorded}")
    foreign = [pair for pair in pairs if sorted(pair) not in two.values()]
    if foreign:
        problems.append(f"(v) possible duplicates between different people's contacts: {foreign}")

    return Report(problems, len(all_contacts), len(two), len(pairs), submissions)


def naive_damage(cursor: Any, pool: Sequence[Person], before_contacts: int) -> str:
    (contacts,) = _rows(cursor, "SELECT count(*) FROM contacts_contact")[0]
    (copies,) = _rows(cursor, """
        SELECT coalesce(sum(n - 1), 0) FROM (
            SELECT count(*) AS n FROM contacts_email WHERE key LIKE '%%:%%'
            GROUP BY lower(email)) AS per_address""")[0]
    return (f"naive: {contacts - before_contacts} contacts for {len(pool)} people; "
            f"{copies} extra copies of an email address")


# --- one run ------------------------------------------------------------------------------------

@dataclass
class Run:
    stats: Stats
    outcomes: list[Outcome]  # timed, then settle


def run_ours(db_url: str, pool: Sequence[Person], plan: Sequence[Planned], *, concurrency: int, workers: int,
             log_dir: Path | str | None = None) -> Run:
    browsers = new_browsers(pool)
    with gunicorn(OURS_SETTINGS, db_url, workers, log_dir) as server:
        outcomes, wall = fire(server.port, OURS_PATH, plan, pool, browsers, concurrency)
        settle, _ = fire(server.port, OURS_PATH, settle_plan(pool, len(plan)), pool, browsers, 1)
    return Run(stats(OURS_LABEL, outcomes, wall, concurrency, workers), outcomes + settle)


def run_naive(db_url: str, pool: Sequence[Person], plan: Sequence[Planned], *, concurrency: int, workers: int,
              log_dir: Path | str | None = None) -> Run:
    browsers = new_browsers(pool)
    with gunicorn(NAIVE_SETTINGS, db_url, workers, log_dir) as server:
        outcomes, wall = fire(server.port, NAIVE_PATH, plan, pool, browsers, concurrency)
    return Run(stats(NAIVE_LABEL, outcomes, wall, concurrency, workers), outcomes)


def run_both(ours_url: str, naive_url: str, pool: Sequence[Person], plan: Sequence[Planned], *, concurrency: int,
             workers: int, rounds: int, log_dir: Path | str | None = None) -> tuple[Run, Run]:
    """Both servers up at once (an idle worker costs nothing), the stream cut into
    `rounds` consecutive slices fired at ours, then at naive, in turn: on a shared machine a
    burst of other work then slows both sides alike instead of skewing the ratio."""
    browsers = {OURS_PATH: new_browsers(pool), NAIVE_PATH: new_browsers(pool)}
    outcomes: dict[str, list[Outcome]] = {OURS_PATH: [], NAIVE_PATH: []}
    walls = {OURS_PATH: 0.0, NAIVE_PATH: 0.0}
    size = -(-len(plan) // rounds)
    with gunicorn(OURS_SETTINGS, ours_url, workers, log_dir) as ours, \
            gunicorn(NAIVE_SETTINGS, naive_url, workers, log_dir) as naive:
        ports = {OURS_PATH: ours.port, NAIVE_PATH: naive.port}
        for first in range(0, len(plan), size):
            for path in (OURS_PATH, NAIVE_PATH):
                done, wall = fire(ports[path], path, plan[first:first + size], pool, browsers[path], concurrency)
                outcomes[path] += done
                walls[path] += wall
        settle, _ = fire(ours.port, OURS_PATH, settle_plan(pool, len(plan)), pool, browsers[OURS_PATH], 1)
    return (
        Run(stats(OURS_LABEL, outcomes[OURS_PATH], walls[OURS_PATH], concurrency, workers),
            outcomes[OURS_PATH] + settle),
        Run(stats(NAIVE_LABEL, outcomes[NAIVE_PATH], walls[NAIVE_PATH], concurrency, workers), outcomes[NAIVE_PATH]),
    )


def recreate_database(base_url: str, database: str) -> str:
    import psycopg

    admin = _dsn(database_url(base_url, "postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    url = database_url(base_url, database)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                   env=server_env(OURS_SETTINGS, url), check=True)
    return url


def drop_database(base_url: str, database: str) -> None:
    import psycopg

    admin = _dsn(database_url(base_url, "postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="timed requests per endpoint (1000)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight at once (32)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (4)")
    parser.add_argument("--people", type=int, default=25, help="size of the pool of people (25)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the request stream")
    parser.add_argument("--database", default="crmsite_load_bench", help="database to drop, create and use")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--skip-naive", action="store_true", help="measure only our endpoint")
    parser.add_argument("--rounds", type=int, default=4,
                        help="slices of the stream fired at ours and naive in turn (4)")
    args = parser.parse_args(argv)
    if min(args.requests, args.concurrency, args.workers, args.rounds) < 1 or not 1 <= args.people <= 9999:
        parser.error("--requests, --concurrency, --workers and --rounds must be positive, --people 1 to 9999")

    import psycopg

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith(("postgres://", "postgresql://")):
        parser.error("DATABASE_URL must point at a PostgreSQL server")
    pool = build_pool(args.people)
    plan = plan_requests(pool, args.requests, args.seed)
    databases = [args.database] + ([] if args.skip_naive else [f"{args.database}_naive"])
    print(f"databases {', '.join(databases)}: creating and migrating", flush=True)
    urls = [recreate_database(base, name) for name in databases]
    ok = False
    try:
        print(f"{args.requests} requests, {args.concurrency} at a time, {args.workers} workers"
              + ("" if args.skip_naive else f", ours and naive in turn over {args.rounds} rounds"), flush=True)
        with tempfile.TemporaryDirectory(prefix="crm-load-") as logs:
            if args.skip_naive:
                ours = run_ours(urls[0], pool, plan, concurrency=args.concurrency, workers=args.workers,
                                log_dir=logs)
                rows = [ours.stats]
            else:
                ours, naive = run_both(urls[0], urls[1], pool, plan, concurrency=args.concurrency,
                                       workers=args.workers, rounds=args.rounds, log_dir=logs)
                rows = [ours.stats, naive.stats]
        with psycopg.connect(_dsn(urls[0]), autocommit=True) as conn, conn.cursor() as cursor:
            report = check_invariants(cursor, pool, ours.outcomes)
        damage = ""
        if not args.skip_naive:
            with psycopg.connect(_dsn(urls[1]), autocommit=True) as conn, conn.cursor() as cursor:
                damage = naive_damage(cursor, pool, 0)
        sent = Counter(o.kind + (" (cookie)" if o.cookie_sent else "") for o in ours.outcomes[:len(plan)])
        print("\nrequest mix:", ", ".join(f"{k} {n}" for k, n in sorted(sent.items())))
        print()
        print(table(rows))
        if len(rows) == 2:
            o, n = rows
            print(f"\nours/naive: throughput {o.throughput / n.throughput:.2f}, p50 {o.p50_ms / n.p50_ms:.2f}, "
                  f"p99 {o.p99_ms / n.p99_ms:.2f}")
        print(report.summary())
        for problem in report.problems:
            print("  -", problem)
        if damage:
            print(damage)
        ok = not report.problems
        return 0 if ok else 1
    finally:
        if ok and not args.keep:
            for name in databases:
                drop_database(base, name)
        else:
            print(f"databases {', '.join(databases)} kept for inspection")


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


if __name__ == "__main__":
    sys.exit(main())
