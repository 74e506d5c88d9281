"""`contact_import`: a whole file, batch by batch, in file order."""

import datetime
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection
from django.utils import timezone

from contacts.importer.parallel import import_in_processes
from contacts.importer.report import ImportReport
from contacts.importer.run import BatchOutcome, import_batches
from contacts.models import ExtendedField

DEFAULT_BATCH_SIZE = 1000
MAX_BATCH_SIZE = 5000
MAX_WORKERS = 8


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use, not the host's
    except AttributeError:
        return os.cpu_count() or 1


# What `manage.py import_contacts` uses: a worker per core it may use (measured: more workers
# than cores is slower), at most 4 (each also reads the whole file).
DEFAULT_WORKERS = max(1, min(4, _cores()))


@dataclass(frozen=True)
class Progress:
    rows: int
    bytes_read: int
    total_bytes: int | None
    elapsed: float


def contact_import(
    stream: IO[bytes],
    *,
    file_format: str,
    now: datetime.datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    total_bytes: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    keep_results: bool = False,
    workers: int = 1,
) -> ImportReport:
    """Import a CSV or JSON Lines file of contacts (README, "Bulk import").

    Every row is reconciled as `contact_append_or_create(payload, actor=None, visitor=None,
    channel=Channel.IMPORT, step_order=StepOrder.BACKEND, now=now)` would, in file order, and
    stores one `Submission`; a bad row (parse error, a field the API would refuse, an unknown
    label or extended field, nothing to reconcile) is reported with its number and reason and
    never stops the others. Each batch commits on its own, so an interrupted import keeps
    the batches before it; importing the same file again writes no contact data.
    `dry_run` validates every row and writes nothing; `keep_results` keeps each accepted row's
    outcome (contact, submission) on the report.

    `workers` > 1 imports with that many forked processes (`parallel.py`), when it can: the
    stream is a file on disk, the database is PostgreSQL, and the call is not inside a
    transaction (other connections cannot see its uncommitted rows); otherwise in this
    process. Only call it with workers > 1 from a process without other threads.
    Raises `ImportFileError` when the file as a whole cannot be read (unknown format or CSV
    column).
    """
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}.")
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be between 1 and {MAX_WORKERS}.")
    now = now or timezone.now()
    started = time.monotonic()
    extended_types = dict(ExtendedField.objects.values_list("key", "data_type"))
    path = _file_path(stream)
    outcomes: Iterator[BatchOutcome]
    if workers > 1 and path is not None and not dry_run and _can_fork_connections():
        outcomes = import_in_processes(
            path, file_format, workers=workers, extended_types=extended_types, batch_size=batch_size,
            max_keys=_lock_budget() // workers, now=now,
        )
    else:
        outcomes = import_batches(stream, file_format, extended_types=extended_types, batch_size=batch_size,
                                  max_keys=_lock_budget(), now=now, dry_run=dry_run)
    report = ImportReport(dry_run=dry_run, results=[] if keep_results else None)
    done = 0
    for outcome in outcomes:
        report.bad_rows.extend(outcome.bad_rows)
        report.valid += outcome.valid
        for result in outcome.results:
            report.add(result)
        done += outcome.rows
        if on_progress is not None:
            on_progress(Progress(done, outcome.bytes_read, total_bytes, time.monotonic() - started))
    report.bad_rows.sort(key=lambda bad: bad.number)
    return report


def _lock_budget() -> int:
    """Match keys (so advisory locks) the batches running at once may hold in all: they take
    slots in PostgreSQL's shared lock table, which every session needs
    (settings.CRM_IMPORT_LOCK_BUDGET). A batch ends early when it reaches its share."""
    return max(1, int(settings.CRM_IMPORT_LOCK_BUDGET))


def _file_path(stream: IO[bytes]) -> Path | None:
    """The file a stream was opened from, when it is one a worker can open again."""
    name = getattr(stream, "name", None)
    if not isinstance(name, str) or not os.path.isfile(name):
        return None
    return Path(name)


def _can_fork_connections() -> bool:
    return connection.vendor == "postgresql" and not connection.in_atomic_block
