"""How fast the contact export streams, and that its memory does not grow with the export.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crmsite .venv/bin/python benchmarks/export_speed.py

DATABASE_URL only says which PostgreSQL server to use: the script drops and creates its own
database there (`crmsite_export_bench`, or --database), migrates it and seeds contacts with
admin_scale.py's SQL (emails, phones, labels, visitors, a few members, merged contacts): first
100,000, then up to 1,000,000. At each size it exports every contact through the real service
(`contacts.export.contact_export`, consuming the generator and encoding each piece as the server
would) as CSV and as JSONL, and at the largest size also as CSV through the API
(`GET /api/contacts/export/` with a token, through Django's test client). Each export runs in a
fresh Python process, so its peak RSS (VmHWM) is that export's alone; the
baseline is the same process's after Django is set up and one chunk was exported, so "growth"
is what the rest of the export added. The database is dropped at the end unless --keep.

`run_export_benchmark(database_url)` does the same and returns the rows, for
benchmarks/import_speed.py to print alongside its own.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.admin_scale import analyze, recreate_database, seed, server_url  # noqa: E402

DEFAULT_DATABASE = "crmsite_export_bench"
DEFAULT_SIZES = (100_000, 1_000_000)
LABEL_KEYS = ("vip", "lead", "customer", "newsletter")  # the labels admin_scale.seed attaches
API_URL = "/api/contacts/export/"


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _migrate(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "crmsite.settings"}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"], env=env, check=True)


def _seed(database_url: str, lo: int, hi: int) -> float:
    import psycopg

    start = time.perf_counter()
    with psycopg.connect(_dsn(database_url), autocommit=True) as conn:
        cursor = conn.cursor()
        if lo == 0:
            for key in LABEL_KEYS:
                cursor.execute(
                    "INSERT INTO contacts_label (key, display_name, label_type, created_at, updated_at) "
                    "VALUES (%s, %s, 'USER_DEFINED', now(), now())", (f"custom.{key}", key.capitalize()))
        with conn.transaction():
            seed(cursor, lo, hi)
        analyze(cursor)
    return time.perf_counter() - start


def _measure(database_url: str, export_format: str, path: str, contacts: int) -> dict[str, Any]:
    """One export in a fresh process (see `_worker`)."""
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "crmsite.settings",
           "DEBUG": "false"}
    done = subprocess.run([sys.executable, __file__, "--worker", export_format, path], env=env, check=True,
                          capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"contacts": contacts, **result}


def _worker(export_format: str, path: str) -> None:
    """Export every contact once; print one JSON line: rows, bytes, seconds, queries, RSS."""
    import resource

    import django

    django.setup()
    from django.db import connection

    from contacts.export import ExportFormat, contact_export
    from contacts.models import Contact

    def peak_rss_mb() -> float:
        """This process's own high-water mark. Linux's ru_maxrss carries the parent's over
        fork and exec (a large benchmark process would hide the export's), VmHWM does not."""
        try:
            with open("/proc/self/status") as status:
                return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024  # kB
        except (OSError, StopIteration):
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    fmt = ExportFormat(export_format)
    for _ in contact_export(Contact.objects.all(), export_format=fmt):  # warm up: the code paths, one chunk
        break
    baseline = peak_rss_mb()
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    rows = size = 0
    start = time.perf_counter()
    with connection.execute_wrapper(count):
        if path == "service":
            for piece in contact_export(Contact.objects.all(), export_format=fmt):
                data = piece.encode()  # what the server does with each piece
                size += len(data)
                rows += data.count(b"\n")
        else:
            from django.test import Client

            from integrations.models import IntegrationToken, Scope

            _, secret = IntegrationToken.issue(name="export benchmark", scopes=[Scope.IMPORT])
            response = Client().get(API_URL, {"format": export_format}, HTTP_AUTHORIZATION=f"Bearer {secret}")
            assert response.status_code == 200, response.status_code
            for data in response.streaming_content:  # type: ignore[attr-defined]
                size += len(data)
                rows += data.count(b"\n")
            response.close()
    seconds = time.perf_counter() - start
    if export_format == "csv":
        rows -= 1  # the header
    print(json.dumps({
        "format": export_format, "path": path, "rows": rows, "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds), "mb": round(size / 1e6, 1), "queries": queries,
        "baseline_rss_mb": round(baseline, 1), "peak_rss_mb": round(peak_rss_mb(), 1),
    }))


def run_export_benchmark(
    database_url: str,
    *,
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    database: str = DEFAULT_DATABASE,
    keep: bool = False,
    log: Any = print,
) -> list[dict[str, Any]]:
    """Seed `sizes` contacts in turn in `database` on `database_url`'s server and export them all
    at each size; one dict per export (see `_worker` for the keys, plus `contacts`)."""
    recreate_database(database_url, database)
    bench_url = server_url(database_url, database)
    results: list[dict[str, Any]] = []
    try:
        _migrate(bench_url)
        seeded = 0
        for size in sizes:
            took = _seed(bench_url, seeded, size)
            log(f"seeded {seeded + 1:,}..{size:,} in {took:.0f} s", flush=True)
            seeded = size
            runs = [("csv", "service"), ("jsonl", "service")] + ([("csv", "api")] if size == sizes[-1] else [])
            for export_format, path in runs:
                result = _measure(bench_url, export_format, path, size)
                log(f"  {size:>9,} {export_format:<5} {path:<7} {result['rows']:>9,} rows "
                    f"{result['seconds']:7.1f} s {result['rows_per_s']:>7,} rows/s "
                    f"peak RSS {result['peak_rss_mb']:.0f} MB (baseline {result['baseline_rss_mb']:.0f} MB)",
                    flush=True)
                results.append(result)
    finally:
        if not keep:
            import psycopg

            with psycopg.connect(_dsn(server_url(database_url, "postgres")), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return results


def print_table(results: list[dict[str, Any]]) -> None:
    print("| contacts | format | through | rows | seconds | rows/s | MB written | queries | "
          "peak RSS (MB) | growth after the first chunk (MB) |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        growth = r["peak_rss_mb"] - r["baseline_rss_mb"]
        print(f"| {r['contacts']:,} | {r['format'].upper()} | {r['path']} | {r['rows']:,} | {r['seconds']:.1f} | "
              f"{r['rows_per_s']:,} | {r['mb']:,.1f} | {r['queries']:,} | {r['peak_rss_mb']:.0f} | {growth:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                        help="comma-separated contact counts, ascending")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--worker", nargs=2, metavar=("FORMAT", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(*args.worker)
        return
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/crmsite")
    results = run_export_benchmark(base, sizes=tuple(int(s) for s in args.sizes.split(",")),
                                   database=args.database, keep=args.keep)
    print()
    print_table(results)


if __name__ == "__main__":
    main()
