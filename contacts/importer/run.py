"""One file's batches, read, validated and reconciled in file order (all of them, or every
n-th one for a worker process of `parallel.py`)."""

import datetime
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import IO

from contacts.importer.batch import RowResult, reconcile_batch
from contacts.importer.parse import ReadProgress, SourceRow, read_rows
from contacts.importer.rows import BadRow, RowValidator, ValidRow, check_references


@dataclass(frozen=True)
class BatchOutcome:
    index: int  # the batch's place in the file, from 0
    rows: int
    valid: int
    bad_rows: list[BadRow]
    results: list[RowResult]
    bytes_read: int  # how far the reader was in the file after this batch


@dataclass(frozen=True)
class Turn:
    """Called around a batch's locks so batches running at once take them in file order."""

    wait: Callable[[], object]  # before the batch takes its first lock
    done: Callable[[], object]  # once it holds them all (or gave up)


def import_batches(
    stream: IO[bytes],
    file_format: str,
    *,
    extended_types: dict[str, str],
    batch_size: int,
    max_keys: int,
    now: datetime.datetime,
    dry_run: bool,
    mine: Callable[[int], bool] = lambda index: True,
    turn: Callable[[int], Turn] | None = None,
) -> Iterator[BatchOutcome]:
    """Each batch that is `mine`, validated and (unless `dry_run`) reconciled in its own
    transaction. Every process that imports the file reads all of it, so all agree on the
    batches; only a batch's owner validates and writes it."""
    read = ReadProgress()
    rows = read_rows(stream, file_format, extended_types=extended_types, progress=read)
    validator = RowValidator()
    with _collect_between_batches() as collect:
        for index, batch in enumerate(_batches(rows, batch_size, max_keys)):
            if not mine(index):
                continue
            collect()
            yield _import_batch(index, batch, validator, read, now=now, dry_run=dry_run,
                                hooks=turn(index) if turn is not None else None)


def _import_batch(
    index: int,
    batch: list[SourceRow],
    validator: RowValidator,
    read: ReadProgress,
    *,
    now: datetime.datetime,
    dry_run: bool,
    hooks: Turn | None,
) -> BatchOutcome:
    try:
        checked = check_references(validator.shape(batch))
        valid = [r for r in checked if isinstance(r, ValidRow)]
        results = []
        if valid and not dry_run:
            results = reconcile_batch(valid, now=now, before_locks=hooks.wait if hooks else None,
                                      after_locks=hooks.done if hooks else None)
    finally:
        if hooks is not None:  # a batch that wrote nothing still passes the turn on, in order
            hooks.wait()
            hooks.done()
    bad = [r for r in checked if isinstance(r, BadRow)]
    return BatchOutcome(index, len(batch), len(valid), bad, results, read.bytes_read)


@contextmanager
def _collect_between_batches() -> Iterator[Callable[[], object]]:
    """Python's cyclic garbage collector, run between batches instead of during them.

    A batch holds some hundred thousand small objects (rows, payloads, plans, `COPY` tuples)
    that reference counting frees when the batch ends; meanwhile the automatic collector,
    triggered every few hundred allocations, walks them again and again (about a sixth of an
    import's time, measured). With it paused, the only garbage left for it is the odd cycle
    (an exception's traceback), and a young-generation collection between batches frees that,
    cheaply: by then the batch's objects are gone. It is switched back on when the import
    ends, also when it fails."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield lambda: gc.collect(1)
    finally:
        if was_enabled:
            gc.enable()


def _batches(rows: Iterator[SourceRow], batch_size: int, max_keys: int) -> Iterator[list[SourceRow]]:
    """Rows in file order, at most `batch_size` and about `max_keys` match keys each."""
    while True:
        batch: list[SourceRow] = []
        keys = 0
        for row in islice(rows, batch_size):
            batch.append(row)
            keys += _key_estimate(row)
            if keys >= max_keys:
                break
        if not batch:
            return
        yield batch


def _key_estimate(row: SourceRow) -> int:
    info = row.info
    if not isinstance(info, dict):
        return 0
    return sum(len(v) for k in ("emails", "phones") if isinstance(v := info.get(k), list))
