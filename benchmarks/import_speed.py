"""Bulk import speed: our importer against django-import-export, on the same file and database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crmsite .venv/bin/python benchmarks/import_speed.py

DATABASE_URL only says which PostgreSQL server to use: the script drops and creates its own
database there (`crmsite_import_bench`, or --database) and migrates it with
`benchmarks/import_settings.py` (the project's settings plus `import_export`, which the
project itself never installs). It writes one realistic CSV of --rows rows (default 100,000):
names, company, job title, an email, a phone (valid US numbers in several spellings), an
address, a label; 30% of the rows belong to people who already exist (10,000 seeded contacts with an
email and a phone, each named by three rows: twice by email, in any letter case, once only by
phone, spelt another way), so before each run the database is reset to the same seed. Then, in one run:

- ours: `contact_import` on the whole file (every row validated as the API's serializer
  would, matched, appended or created with its email, phone, address and label, one ledger
  row each), with one worker process and with `manage.py import_contacts`' default (one per
  core);
- the ceiling: the rows our one-worker run wrote (recorded batch by batch), written again by
  `COPY` alone, with one and with as many connections, and nothing else (no reading,
  validating, matching, locking or planning): no importer that writes the same rows can be
  faster on this machine;
- django-import-export 4.4 with a `ModelResource` for `Contact` (first name, last name,
  company, job title; it creates a contact per row and does none of the matching, emails,
  phones or ledger): its default `import_data`, and with `use_bulk=True`, each on the whole
  file (--peer-rows N imports only the first N rows, for a quicker run);
- the export: `benchmarks/export_speed.py`'s measurement at --export-contacts contacts
  (default 1,000,000, seeded by SQL in a database of its own; 0 skips it), CSV and JSONL
  through the service and CSV through the API, with each export's peak memory.

It prints rows/s for each and the ratios. About 11 to 16 minutes with the defaults on 2 cores.
"""

import argparse
import csv
import io
import itertools
import os
import pickle
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.import_settings"

HEADER = ["firstName", "lastName", "email", "phone", "phoneCountry", "company", "jobTitle", "addressLine1",
          "city", "postalCode", "country", "labels"]
FIRST = ["Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "June", "Kai", "Lea", "Max", "Nia"]
LAST = ["Lee", "Smith", "Okafor", "Novak", "García", "Müller", "Rossi", "Tanaka", "Kowalski", "Dubois"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", ""]
TITLES = ["Engineer", "Manager", "Designer", "Founder", ""]
CITIES = ["Springfield", "Shelbyville", "Ogdenville", "North Haverbrook"]


def server_url(base: str, database: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def recreate_database(base: str, database: str) -> None:
    import psycopg

    dsn = server_url(base, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')


def drop_database(base: str, database: str) -> None:
    import psycopg

    dsn = server_url(base, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def phone_number(n: int) -> str:
    """A distinct valid US number per n < 10,000,000 (area codes 650 and 415 are valid)."""
    area = ("650", "415", "212", "312", "617", "206", "303", "512", "702", "808")[n // 1_000_000]
    rest = n % 1_000_000
    return f"+1{area}{200 + rest // 10_000}{rest % 10_000:04d}"


def spelled(e164: str, rng: random.Random) -> tuple[str, str]:
    """The same US number as people type it: +1..., (650) 253-0001 with US, 650.253.0001 with US."""
    national = e164[2:]
    choice = rng.randrange(3)
    if choice == 0:
        return e164, ""
    if choice == 1:
        return f"({national[:3]}) {national[3:6]}-{national[6:]}", "US"
    return f"{national[:3]}.{national[3:6]}.{national[6:]}", "US"


def write_csv(path: Path, rows: int, seeded: int, rng: random.Random) -> None:
    """Rows 0..rows-1; row i with i % 10 < 2 is seeded person i//10 by email, i % 10 == 2 by phone."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            kind = i % 10
            person = i // 10 if kind < 3 else seeded + i
            email = f"person{person}@example.com" if kind != 2 else f"other{i}@example.org"
            if kind < 2 and rng.random() < 0.5:
                email = email.upper()
            phone, country = spelled(phone_number(person), rng)
            writer.writerow([
                rng.choice(FIRST), rng.choice(LAST), email, phone, country, rng.choice(COMPANIES),
                rng.choice(TITLES), f"{rng.randrange(1, 999)} Main St", rng.choice(CITIES),
                f"{rng.randrange(10000, 99999)}", "US", "newsletter" if i % 4 == 0 else "",
            ])


def reset(seeded: int) -> None:
    """Empty every table the imports write, then seed the same `seeded` contacts (the same
    ids every time), each with an email and a phone, as the file's matching rows expect."""
    import datetime
    import uuid

    from django.db import connection

    from contacts.models import Contact, Email, Phone

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE contacts_possibleduplicate, contacts_submission, contacts_contactlabel, "
                       "contacts_address, contacts_email, contacts_phone, contacts_contact CASCADE")
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    for start in range(0, seeded, 5000):
        people = range(start, min(start + 5000, seeded))
        contacts = [Contact(id=uuid.UUID(int=p + 1), first_name=FIRST[p % len(FIRST)], source_type="OTHER",
                            created_at=now, updated_at=now) for p in people]
        Contact.objects.bulk_create(contacts)
        Email.objects.bulk_create(Email(contact=c, email=f"person{p}@example.com", key=f"person{p}@example.com",
                                        primary=True, created_at=now) for c, p in zip(contacts, people))
        Phone.objects.bulk_create(Phone(contact=c, phone=phone_number(p), e164=phone_number(p),
                                        key=phone_number(p), primary=True, created_at=now)
                                  for c, p in zip(contacts, people))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def run_ours(path: Path, batch_size: int, workers: int) -> tuple[float, Any]:
    from contacts.importer import contact_import

    started = time.perf_counter()
    with path.open("rb") as stream:
        report = contact_import(stream, file_format="csv", batch_size=batch_size, workers=workers)
    return time.perf_counter() - started, report


def run_ours_recording(path: Path, batch_size: int, record: Path) -> tuple[float, Any]:
    """`run_ours` with one worker, writing every batch's COPY rows (model, columns, rows) to
    `record`, a pickle per batch (on disk, so that holding them changes nothing: the garbage
    collector would otherwise walk them all, again and again)."""
    from contacts.importer import batch

    insert = batch._insert
    transaction_start = batch._reconcile_batch
    current: list[tuple[Any, ...]] = []

    with record.open("wb") as out:
        def recording_start(*args: Any) -> Any:
            if current:
                pickle.dump(current, out)
                current.clear()
            return transaction_start(*args)

        def recording_insert(model: Any, columns: tuple[str, ...], rows: Any) -> None:
            current.append((model, columns, list(rows)))
            insert(model, columns, rows)

        batch._reconcile_batch, batch._insert = recording_start, recording_insert  # type: ignore[assignment]
        try:
            elapsed, report = run_ours(path, batch_size, 1)
        finally:
            batch._reconcile_batch, batch._insert = transaction_start, insert
        pickle.dump(current, out)
    return elapsed, report


def replay_writes(record: Path, connections_count: int) -> float:
    """The writes alone: the recorded rows COPYed batch by batch (one transaction each) with
    `connections_count` processes taking alternate batches, none of the reading, validating,
    matching, locking or planning. In this file a batch only refers to contacts it creates or
    to seeded ones, so the batches can go in any order."""
    import multiprocessing

    from django.db import connections, transaction

    from contacts.importer.batch import _insert

    def replay(part: int) -> None:
        with record.open("rb") as stream:
            for index in itertools.count():
                try:
                    writes = pickle.load(stream)
                except EOFError:
                    break
                if index % connections_count != part:
                    continue
                with transaction.atomic():
                    for model, columns, rows in writes:
                        _insert(model, columns, rows)
        connections.close_all()

    connections.close_all()
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    workers = [context.Process(target=replay, args=(part,)) for part in range(connections_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
        assert worker.exitcode == 0, "a replay failed"
    return time.perf_counter() - started


def run_peer(path: Path, rows: int, use_bulk: bool) -> tuple[float, int]:
    import tablib
    from django.utils import timezone
    from import_export import fields, resources

    from contacts.models import Contact

    class ContactResource(resources.ModelResource):
        first_name = fields.Field(attribute="first_name", column_name="firstName")
        last_name = fields.Field(attribute="last_name", column_name="lastName")
        company = fields.Field(attribute="company", column_name="company")
        job_title = fields.Field(attribute="job_title", column_name="jobTitle")

        class Meta:
            model = Contact
            fields = ("first_name", "last_name", "company", "job_title")
            import_id_fields: tuple[str, ...] = ()  # no lookup: a new contact per row (its fastest mode)

        def init_instance(self, row: Any = None) -> Contact:
            now = timezone.now()
            return Contact(created_at=now, updated_at=now, source_type="IMPORT")

    ContactResource._meta.use_bulk = use_bulk
    with path.open(encoding="utf-8") as f:
        text = "".join(line for _, line in zip(range(rows + 1), f))
    dataset = tablib.Dataset().load(io.StringIO(text).read(), format="csv")
    started = time.perf_counter()
    result = ContactResource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - started
    assert not result.has_errors()
    return elapsed, len(dataset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--peer-rows", type=int, default=None,
                        help="Rows django-import-export imports (default: the whole file).")
    parser.add_argument("--export-contacts", type=int, default=1_000_000,
                        help="Contacts to seed and export for the export rows/s (0: skip the export).")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None,
                        help="Our worker processes (default: manage.py import_contacts' default, one per core).")
    parser.add_argument("--database", default="crmsite_import_bench")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (see the docstring).")
    recreate_database(base, args.database)
    os.environ["DATABASE_URL"] = server_url(base, args.database)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from contacts.importer.service import DEFAULT_WORKERS
    from contacts.models import Contact, Label, Submission

    args.workers = args.workers or DEFAULT_WORKERS
    peer_rows = args.rows if args.peer_rows is None else min(args.peer_rows, args.rows)

    Label.objects.get_or_create(key="newsletter", defaults={"display_name": "Newsletter"})
    seeded_people = (args.rows + 9) // 10  # rows i%10<3 refer to person i//10
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.csv"
        write_csv(path, args.rows, seeded_people, random.Random(42))
        print(f"{args.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB), {seeded_people:,} seeded contacts "
              f"(30% of rows match one: 20% by email, 10% by phone only)", flush=True)

        table: list[tuple[str, int, float]] = []
        record = Path(tmp) / "writes.pickle"
        for workers in sorted({1, args.workers}):
            reset(seeded_people)
            if workers == 1:
                elapsed, report = run_ours_recording(path, args.batch_size, record)
            else:
                elapsed, report = run_ours(path, args.batch_size, workers)
            name = f"ours: contact_import (CSV), {workers} worker{'s' if workers > 1 else ''}"
            print(f"{name}: {report.summary()} in {elapsed:.1f} s; contacts {Contact.objects.count():,}, "
                  f"submissions {Submission.objects.count():,}", flush=True)
            table.append((name, report.rows, elapsed))

        floor: list[tuple[str, int, float]] = []
        for count in sorted({1, args.workers}):
            reset(seeded_people)
            elapsed = replay_writes(record, count)
            name = f"the database writes alone (same COPY rows), {count} connection{'s' if count > 1 else ''}"
            print(f"{name}: {elapsed:.1f} s", flush=True)
            floor.append((name, args.rows, elapsed))

        for use_bulk in (False, True):
            reset(seeded_people)
            elapsed, n = run_peer(path, peer_rows, use_bulk)
            name = "django-import-export 4.4, " + ("use_bulk=True" if use_bulk else "default")
            print(f"{name}: {n:,} rows in {elapsed:.1f} s", flush=True)
            table.append((name, n, elapsed))

    ours = [row for row in table if row[0].startswith("ours")]
    best_rate = max(n / elapsed for _, n, elapsed in ours)
    print()
    print("| importer | rows | seconds | rows/s | fastest ours ÷ this |")
    print("|---|---:|---:|---:|---:|")
    for name, n, elapsed in table:
        rate = n / elapsed
        print(f"| {name} | {n:,} | {elapsed:.1f} | {rate:,.0f} | {best_rate / rate:.1f}× |")
    peer_rate = table[len(ours)][1] / table[len(ours)][2]
    print()
    print(f"What 20× django-import-export's default would take: {20 * peer_rate:,.0f} rows/s. The ceiling on this "
          f"machine, writing the same rows and nothing else:")
    print()
    print("| writes only | rows | seconds | rows/s | ÷ django-import-export default |")
    print("|---|---:|---:|---:|---:|")
    for name, n, elapsed in floor:
        print(f"| {name} | {n:,} | {elapsed:.1f} | {n / elapsed:,.0f} | {n / elapsed / peer_rate:.1f}× |")
    if not args.keep:
        from django.db import connections

        connections.close_all()
        drop_database(base, args.database)
    if args.export_contacts:
        from benchmarks.export_speed import print_table, run_export_benchmark

        print()
        print(f"Export of {args.export_contacts:,} contacts (benchmarks/export_speed.py):", flush=True)
        results = run_export_benchmark(base, sizes=(args.export_contacts,))
        print()
        print_table(results)


if __name__ == "__main__":
    main()
