"""`manage.py import_contacts FILE`: the bulk importer on the command line (README, "Bulk import")."""

import sys
import time
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contacts.importer import FORMATS, ImportFileError, ImportWorkerError, Progress, contact_import
from contacts.importer.service import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS, MAX_BATCH_SIZE, MAX_WORKERS

BAR_WIDTH = 30
LINE_EVERY = 5.0  # seconds between progress lines when stderr is not a terminal
SHOWN_BAD_ROWS = 50
ROWS_REJECTED = 3  # exit status: the import ran, but some rows were rejected (1: it failed, 0: every row is in)


class ProgressBar:
    """A bar redrawn in place on a terminal; on anything else a line every few seconds."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.tty = out.isatty()
        self.last_line = 0.0

    def __call__(self, p: Progress) -> None:
        rate = p.rows / p.elapsed if p.elapsed else 0.0
        share = p.bytes_read / p.total_bytes if p.total_bytes else 0.0
        text = f"{p.rows:,} rows, {rate:,.0f} rows/s"
        if self.tty:
            filled = int(BAR_WIDTH * share)
            self.out.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%} {text}")
            self.out.flush()
        elif time.monotonic() - self.last_line >= LINE_EVERY or share >= 1:
            self.last_line = time.monotonic()
            self.out.write(f"{share:.0%} {text}\n")
            self.out.flush()

    def close(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()


class Command(BaseCommand):
    help = ("Import contacts from a CSV or JSON Lines file: every row is reconciled as the service "
            "would (match by email, else phone; append; else create) and recorded as an 'import' submission.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The file to import.")
        parser.add_argument("--format", choices=FORMATS, help="Default: from the file's extension.")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                            help=f"Rows per transaction (1-{MAX_BATCH_SIZE}, default {DEFAULT_BATCH_SIZE}).")
        parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                            help=f"Processes importing at once (1-{MAX_WORKERS}, default {DEFAULT_WORKERS}: "
                                 "one per core, at most 4). PostgreSQL only; 1 elsewhere.")
        parser.add_argument("--dry-run", action="store_true", help="Validate every row; write nothing.")
        parser.add_argument("--errors-file", help="Write the bad rows (row, reason) to this CSV file.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        file_format = options["format"] or path.suffix.lstrip(".").lower()
        if file_format == "ndjson":
            file_format = "jsonl"
        if file_format not in FORMATS:
            raise CommandError(f"Give --format ({' or '.join(FORMATS)}): cannot tell it from {path.name!r}.")
        if not 1 <= options["batch_size"] <= MAX_BATCH_SIZE:
            raise CommandError(f"--batch-size must be between 1 and {MAX_BATCH_SIZE}.")
        if not 1 <= options["workers"] <= MAX_WORKERS:
            raise CommandError(f"--workers must be between 1 and {MAX_WORKERS}.")
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        bar = None if options["no_progress"] else ProgressBar(sys.stderr)
        try:
            with stream:
                report = contact_import(stream, file_format=file_format, batch_size=options["batch_size"],
                                        dry_run=options["dry_run"], total_bytes=path.stat().st_size,
                                        on_progress=bar, workers=options["workers"])
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        except ImportWorkerError as exc:
            raise CommandError(f"{exc}\nThe batches before the failure are imported; importing the file again "
                               "is safe (rows already there change nothing).") from exc
        finally:
            if bar is not None:
                bar.close()

        self.stdout.write(report.summary())
        for bad in report.bad_rows[:SHOWN_BAD_ROWS]:
            self.stdout.write(f"  row {bad.number}: {bad.reason}")
        if report.rejected > SHOWN_BAD_ROWS:
            self.stdout.write(f"  … and {report.rejected - SHOWN_BAD_ROWS} more bad rows"
                              + ("" if options["errors_file"] else " (see --errors-file)"))
        if options["errors_file"]:
            with open(options["errors_file"], "w", newline="", encoding="utf-8") as out:
                report.write_errors_csv(out)
            self.stdout.write(f"Bad rows written to {options['errors_file']}.")
        if report.rejected:
            rows = "1 row" if report.rejected == 1 else f"{report.rejected:,} rows"
            rest = "are valid" if options["dry_run"] else "are imported"
            raise CommandError(f"{rows} rejected (exit status {ROWS_REJECTED}); the other rows {rest}.",
                               returncode=ROWS_REJECTED)
