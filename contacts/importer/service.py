"""`contact_import`: a whole file, batch by batch, in file order."""

import datetime
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import IO

from django.utils import timezone

from contacts.importer.batch import reconcile_batch
from contacts.importer.parse import ReadProgress, SourceRow, read_rows
from contacts.importer.report import ImportReport
from contacts.importer.rows import BadRow, RowValidator, ValidRow, check_references
from contacts.models import ExtendedField

DEFAULT_BATCH_SIZE = 1000
MAX_BATCH_SIZE = 5000
# Advisory locks live in PostgreSQL's shared lock table (max_locks_per_transaction × connections,
# 6,400 slots by default, shared with every other session): a batch stops taking keys here.
MAX_KEYS_PER_BATCH = 2500


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
) -> ImportReport:
    """Import a CSV or JSON Lines file of contacts (README, "Bulk import").

    Every row is reconciled as `contact_append_or_create(payload, actor=None, visitor=None,
    channel=Channel.IMPORT, step_order=StepOrder.BACKEND, now=now)` would, in file order, and
    stores one `Submission`; a bad row (parse error, a field the API would refuse, an unknown
    label or extended field, nothing to reconcile) is reported with its number and reason and
    never stops the others. Each batch commits on its own, so an interrupted import keeps
    the batches before it; importing the same file again writes no contact data.
    `dry_run` validates every row and writes nothing; `keep_results` keeps each accepted row's
    outcome (contact, submission) on the report. Raises `ImportFileError` when the file
    as a whole cannot be read (unknown format or CSV column).
    """
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}.")
    now = now or timezone.now()
    started = time.monotonic()
    read = ReadProgress()
    extended_types = dict(ExtendedField.objects.values_list("key", "data_type"))
    rows = read_rows(stream, file_format, extended_types=extended_types, progress=read)
    report = ImportReport(dry_run=dry_run, results=[] if keep_results else None)
    done = 0
    validator = RowValidator()
    for batch in _batches(rows, batch_size):
        checked = check_references(validator.shape(batch))
        valid = [r for r in checked if isinstance(r, ValidRow)]
        report.bad_rows.extend(r for r in checked if isinstance(r, BadRow))
        report.valid += len(valid)
        if valid and not dry_run:
            for result in reconcile_batch(valid, now=now):
                report.add(result)
        done += len(batch)
        if on_progress is not None:
            on_progress(Progress(done, read.bytes_read, total_bytes, time.monotonic() - started))
    report.bad_rows.sort(key=lambda bad: bad.number)
    return report


def _batches(rows: Iterator[SourceRow], batch_size: int) -> Iterator[list[SourceRow]]:
    """Rows in file order, at most `batch_size` and about MAX_KEYS_PER_BATCH match keys each."""
    while True:
        batch: list[SourceRow] = []
        keys = 0
        for row in islice(rows, batch_size):
            batch.append(row)
            keys += _key_estimate(row)
            if keys >= MAX_KEYS_PER_BATCH:
                break
        if not batch:
            return
        yield batch


def _key_estimate(row: SourceRow) -> int:
    info = row.info
    if not isinstance(info, dict):
        return 0
    return sum(len(v) for k in ("emails", "phones") if isinstance(v := info.get(k), list))
