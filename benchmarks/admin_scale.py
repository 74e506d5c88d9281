"""How the admin contact list scales: 10,000 contacts, then 1,000,000, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crmsite .venv/bin/python benchmarks/admin_scale.py

DATABASE_URL only says which PostgreSQL server to use: the script drops and creates its own
database there (`crmsite_bench`, or --database), migrates it, seeds contacts with
`INSERT … SELECT generate_series` (emails, phones, labels, visitors, a few members, possible
duplicates and merged contacts), and times requests through Django's test client as a
logged-in superuser: the list page, an email search typed in another case, a phone search
typed in national format, and name-prefix searches. It prints medians, the queries per page,
the 1M/10k ratio of each, and the plan of each page query at the largest size.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crmsite.settings")

URL = "/admin/contacts/contact/"
TARGET = 4321  # the contact the searches look for; it exists from the first size on

FIRST_NAMES = [
    "Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "June", "Kai", "Lea", "Max", "Nia", "Oto",
    "Pia", "Quin", "Rosa", "Sam", "Tess", "Uma", "Vic", "Wes", "Xia", "Yara", "Zed", "Abel", "Bea", "Cyd", "Dora",
    "Emil", "Fay", "Gil", "Hugo", "Iris", "Jon", "Kim", "Liv", "Milo", "Nora", "Otis", "Paz", "Rene", "Sia", "Theo",
    "Ugo", "Vera", "Will", "Yves", "Zoe",
]
SYLLABLES = ["ka", "lo", "mi", "ra", "to", "shi", "ne", "vu", "be", "do",
             "fa", "gi", "hu", "ja", "ke", "li", "mo", "nu", "pe", "su"]


def server_url(base: str, database: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def recreate_database(base: str, database: str) -> None:
    import psycopg

    dsn = server_url(base, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')


def sql_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


def seed(cursor: Any, lo: int, hi: int) -> None:
    """Contacts lo+1..hi (ids derived from the number, so related rows need no join); the
    higher the number, the older the contact."""
    series = f"generate_series({lo + 1}, {hi}) AS i"
    cid = "md5('contact' || i)::uuid"
    ts = "(TIMESTAMPTZ '2026-12-01 12:00:00+00' - i * INTERVAL '30 seconds')"
    syl = sql_array(SYLLABLES)
    cursor.execute(f"""
        INSERT INTO contacts_contact (id, first_name, last_name, company, job_title, locale, picture,
            extended_fields, source_type, revision, created_at, updated_at, last_activity_type,
            last_activity_at, merged_into_id)
        SELECT {cid},
            ({sql_array(FIRST_NAMES)})[1 + i % {len(FIRST_NAMES)}],
            initcap(({syl})[1 + i % 20] || ({syl})[1 + (i / 20) % 20] || ({syl})[1 + (i / 400) % 20]),
            CASE WHEN i % 4 = 0 THEN initcap(({syl})[1 + (i / 7) % 20] || ({syl})[1 + (i / 140) % 20])
                || (ARRAY[' Inc', ' GmbH', ' Ltd', ' LLC'])[1 + i % 4] ELSE '' END,
            '', '', '', '{{}}'::jsonb,
            CASE WHEN i % 100 < 60 THEN 'WIX_FORMS' WHEN i % 100 < 90 THEN 'OTHER'
                 WHEN i % 100 < 99 THEN 'IMPORT' ELSE 'ADMIN' END,
            1, {ts}, {ts}, 'FORM_SUBMITTED', {ts},
            CASE WHEN i % 100 = 50 THEN md5('contact' || (i - 1))::uuid END
        FROM {series}
    """)
    cursor.execute(f"""
        INSERT INTO contacts_email (contact_id, email, key, tag, "primary", created_at)
        SELECT {cid}, 'User' || i || '@Example.com', 'user' || i || '@example.com', 'UNTAGGED', true, {ts}
        FROM {series} WHERE i % 10 <> 0
        UNION ALL
        SELECT {cid}, 'user' || i || '.work@example.com', 'user' || i || '.work@example.com', 'WORK', false, {ts}
        FROM {series} WHERE i % 7 = 0
    """)
    cursor.execute(f"""
        INSERT INTO contacts_phone (contact_id, phone, country_code, e164, key, tag, "primary", created_at)
        SELECT {cid}, '(650) ' || substr((2000000 + i)::text, 1, 3) || '-' || substr((2000000 + i)::text, 4),
            'US', '+1650' || (2000000 + i), '+1650' || (2000000 + i), 'MOBILE', true, {ts}
        FROM {series} WHERE i % 5 < 3
    """)
    cursor.execute(f"""
        INSERT INTO contacts_contactlabel (contact_id, label_id, created_at)
        SELECT {cid}, l.id, {ts} FROM {series} JOIN contacts_label l ON
            (l.key = 'custom.newsletter' AND i % 5 = 0) OR (l.key = 'custom.lead' AND i % 11 = 0)
            OR (l.key = 'custom.customer' AND i % 13 = 0) OR (l.key = 'custom.vip' AND i % 97 = 0)
    """)
    cursor.execute(f"""
        INSERT INTO contacts_visitorsession (id, contact_id, first_seen, last_seen)
        SELECT md5('visitor-a' || i)::uuid, {cid}, {ts}, {ts} FROM {series} WHERE i % 3 = 0
        UNION ALL
        SELECT md5('visitor-b' || i)::uuid, {cid}, {ts}, {ts} FROM {series} WHERE i % 9 = 0
    """)
    cursor.execute(f"""
        INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,
            is_active, date_joined)
        SELECT '!', false, 'member' || i, '', '', 'user' || i || '@example.com', false, true, {ts}
        FROM {series} WHERE i % 10000 = {TARGET}
    """)
    cursor.execute(f"""
        INSERT INTO members_member (user_id, contact_id, status, signup_date)
        SELECT u.id, md5('contact' || substr(u.username, 7))::uuid, 'ACTIVE', u.date_joined
        FROM auth_user u WHERE u.username LIKE 'member%%'
            AND substr(u.username, 7)::int BETWEEN {lo + 1} AND {hi}
    """)
    cursor.execute(f"""
        INSERT INTO contacts_possibleduplicate (contact_a_id, contact_b_id, reason, created_at)
        SELECT LEAST({cid}, md5('contact' || (i + 1))::uuid), GREATEST({cid}, md5('contact' || (i + 1))::uuid),
            'email', {ts}
        FROM generate_series({lo + 1}, {hi - 1}) AS i WHERE i % 5000 = 17
    """)
    if lo < TARGET <= hi:
        cursor.execute("UPDATE contacts_contact SET first_name = 'Ari', last_name = 'Thereyet' WHERE id = "
                       f"md5('contact' || {TARGET})::uuid")


def analyze(cursor: Any) -> None:
    for table in ("contacts_contact", "contacts_email", "contacts_phone", "contacts_contactlabel",
                  "contacts_visitorsession", "members_member", "contacts_possibleduplicate", "auth_user"):
        cursor.execute(f"VACUUM ANALYZE {table}")


def scenarios() -> list[tuple[str, dict[str, str], str | None]]:
    """(name, GET parameters, text the page must show)."""
    return [
        ("list page", {}, None),
        ("list page 50 (OFFSET 4,900)", {"p": "50"}, None),
        ("email search", {"q": f"USER{TARGET}@example.COM"}, "Ari Thereyet"),
        ("phone search", {"q": f"(650) 200-{TARGET}"}, "Ari Thereyet"),
        ("name-prefix search 'Therey'", {"q": "therey"}, "Ari Thereyet"),
        ("name-prefix search 'Kalomi' (~1/8000)", {"q": "Kalomi"}, "Kalomi"),
        ("name-prefix search 'Ka' (~1/20)", {"q": "ka"}, None),
    ]


def measure(client: Any, params: dict[str, str], expect: str | None, repeat: int) -> tuple[float, int, list[str], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):  # warm the caches
        client.get(URL, params)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(URL, params)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    html = response.content.decode()
    if expect is not None:
        assert expect in html, f"{params}: {expect!r} not on the page"
    rows = html.count('class="action-select"')
    return statistics.median(times) * 1000, len(captured), [q["sql"] for q in captured.captured_queries], rows


def page_query_plan(queries: list[str]) -> str:
    """The access paths of the page's main query (the one with ORDER BY … LIMIT)."""
    from django.db import connection

    [page_sql] = [q for q in queries if q.startswith('SELECT "contacts_contact"."id"') and "LIMIT" in q][-1:]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + page_sql.replace("%", "%%"))
        lines = [row[0].strip() for row in cursor.fetchall()]
    # The contact table's own access paths (the subqueries of the columns are listed after it).
    paths = [line.lstrip("-> ").split("  (")[0] for line in lines if "Scan" in line]
    own = [p for p in paths if "contacts_contact " in p + " " or "_prefix_idx" in p or "contact_" in p]
    return "; ".join(dict.fromkeys(own))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,1000000", help="comma-separated contact counts, ascending")
    parser.add_argument("--repeat", type=int, default=9, help="timed requests per measurement")
    parser.add_argument("--database", default="crmsite_bench")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/crmsite")
    recreate_database(base, args.database)
    os.environ["DATABASE_URL"] = server_url(base, args.database)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from contacts.models import Label

    call_command("migrate", verbosity=0)
    for key in ("vip", "lead", "customer", "newsletter"):
        Label.objects.create(key=f"custom.{key}", display_name=key.capitalize())
    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-Pass-123456")
    client = Client()
    client.force_login(user)

    results: dict[int, dict[str, tuple[float, int, list[str], int]]] = {}
    seeded = 0
    for size in sizes:
        start = time.perf_counter()
        with connection.cursor() as cursor:
            seed(cursor, seeded, size)
            seeded_at = time.perf_counter()
            analyze(cursor)
        print(f"seeded {seeded + 1:,}..{size:,} in {seeded_at - start:.0f} s, vacuum analyze "
              f"{time.perf_counter() - seeded_at:.0f} s", flush=True)
        seeded = size
        results[size] = {name: measure(client, params, expect, args.repeat) for name, params, expect in scenarios()}
        for name, (ms, queries, _sql, rows) in results[size].items():
            print(f"  {size:>9,}  {name:<40} {ms:7.1f} ms  {queries} queries  {rows} rows", flush=True)

    small, large = sizes[0], sizes[-1]
    print()
    print(f"| median of {args.repeat} requests | {small:,} | {large:,} | ratio | rows on the page |")
    print("|---|---:|---:|---:|---|")
    for name, _params, _expect in scenarios():
        a, b = results[small][name][0], results[large][name][0]
        rows = f"{results[small][name][3]} / {results[large][name][3]}"
        print(f"| {name} (ms) | {a:.1f} | {b:.1f} | {b / a:.2f} | {rows} |")
    for name, _params, _expect in scenarios():
        a_q, b_q = results[small][name][1], results[large][name][1]
        print(f"| {name}: queries per page | {a_q} | {b_q} | {b_q / a_q:.2f} | |")
    print()
    print(f"Page-query access paths at {large:,} contacts:")
    for name, _params, _expect in scenarios():
        print(f"- {name}: {page_query_plan(results[large][name][2])}")


if __name__ == "__main__":
    main()
