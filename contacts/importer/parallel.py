"""Import one file with several worker processes, each with its own database connection.

A single process is busy in Python (reading, validating, planning, formatting `COPY` rows)
for most of a batch, and a Python process runs on one core. With `workers` processes,
worker w reads the whole file (cheap) and validates and reconciles batches w, w + workers,
w + 2 × workers, …; the parent only collects each batch's outcome, in file order.

File order is kept where it can change the result. Batch k takes its first lock only once
batch k - 1 holds every lock it will take (its advisory locks on its email and phone keys
and its row locks on the contacts they matched): each key and each existing contact is then
seen by the batches in file order, exactly as the service's own locks order concurrent
requests. A batch that shares a key or a matched contact with an earlier one waits for it to
commit and reads what it wrote; batches that share nothing run side by side, and their order
cannot change what either writes. (A batch retried after a lost race with a writer that
takes no locks, such as admin, runs after later batches that did not wait for it, like any
concurrent writer.)

Workers are forked: only from a process that has no other threads (the management command),
after closing its database connections and pools, and only outside a transaction.
"""

import datetime
import multiprocessing
import queue
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections

from contacts.importer.parse import ImportFileError
from contacts.importer.run import BatchOutcome, Turn, import_batches

CONTEXT = multiprocessing.get_context("fork")
POLL_SECONDS = 1.0


class ImportWorkerError(Exception):
    """A worker process failed; the batches before the failure stay imported."""


@dataclass(frozen=True)
class _Failed:
    worker: int
    index: int  # the batch it was on (-1: before any)
    file_error: str | None  # an ImportFileError's message, raised again as one
    details: str


class _Stopped(Exception):
    """Another worker failed: this one starts no batch after the failed one."""


@dataclass(frozen=True)
class _Finished:
    worker: int


class _Turns:
    """Shared by the workers: the highest batch index whose locks are all taken, and after a
    failure the last batch that may still run."""

    NO_STOP = 2**62

    def __init__(self) -> None:
        self.condition = CONTEXT.Condition()
        self.locked_upto = CONTEXT.Value("q", -1, lock=False)
        self.last_batch = CONTEXT.Value("q", self.NO_STOP, lock=False)

    def for_batch(self, index: int) -> Turn:
        def wait() -> None:
            with self.condition:
                self.condition.wait_for(
                    lambda: self.locked_upto.value >= index - 1 or index > self.last_batch.value)
            self.check(index)

        def done() -> None:
            with self.condition:
                if self.locked_upto.value < index:
                    self.locked_upto.value = index
                    self.condition.notify_all()

        return Turn(wait=wait, done=done)

    def check(self, index: int) -> None:
        """Raise _Stopped when batch `index` comes after a failed one."""
        if index > self.last_batch.value:
            raise _Stopped

    def stop_after(self, index: int) -> None:
        with self.condition:
            self.last_batch.value = min(self.last_batch.value, index)
            self.condition.notify_all()


def import_in_processes(
    path: Path,
    file_format: str,
    *,
    workers: int,
    extended_types: dict[str, str],
    batch_size: int,
    max_keys: int,
    now: datetime.datetime,
) -> Iterator[BatchOutcome]:
    """Every batch's outcome, in file order, from `workers` forked processes."""
    _release_connections()
    turns = _Turns()
    outbox: Any = CONTEXT.Queue()
    processes = [
        CONTEXT.Process(
            target=_worker, name=f"contact-import-{w}", daemon=True,
            args=(w, workers, path, file_format, extended_types, batch_size, max_keys, now, turns, outbox),
        )
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        yield from _in_order(outbox, processes, turns)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # after a failure: their open transactions roll back
            process.join()


def _release_connections() -> None:
    """Close this process's connections, and its connection pools with their threads, before
    forking: a child must never write to a socket its parent also uses, and a fork should
    find no other thread running. Each child opens its own; this process reopens on next use."""
    for conn in connections.all(initialized_only=True):
        conn.close()
        pools = getattr(type(conn), "_connection_pools", {})  # Django's PostgreSQL backend, pool on
        if conn.alias in pools:
            conn.close_pool()  # type: ignore[attr-defined]


def _in_order(outbox: Any, processes: list[Any], turns: _Turns) -> Iterator[BatchOutcome]:
    """The outcomes in file order. After a failure: no batch after the failed one starts, the
    batches before it finish (a batch after it that already holds its locks may commit too),
    then the failure is raised."""
    waiting: dict[int, BatchOutcome] = {}
    next_index = 0
    running = len(processes)
    failure: _Failed | None = None
    while running:
        try:
            message = outbox.get(timeout=POLL_SECONDS)
        except queue.Empty:
            dead = [p for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise ImportWorkerError(f"{dead[0].name} stopped (exit code {dead[0].exitcode}).") from None
            continue
        if isinstance(message, (_Failed, _Finished)):
            running -= 1
            if isinstance(message, _Failed):
                turns.stop_after(message.index)
                failure = failure or message
            continue
        waiting[message.index] = message
        while failure is None and next_index in waiting:
            yield waiting.pop(next_index)
            next_index += 1
    if failure is not None:
        if failure.file_error is not None:
            raise ImportFileError(failure.file_error)
        raise ImportWorkerError(f"contact-import-{failure.worker} failed:\n{failure.details}")
    assert not waiting, "every batch's outcome comes back"


def _worker(
    worker: int,
    workers: int,
    path: Path,
    file_format: str,
    extended_types: dict[str, str],
    batch_size: int,
    max_keys: int,
    now: datetime.datetime,
    turns: _Turns,
    outbox: Any,
) -> None:
    current = -1

    def mine(index: int) -> bool:
        nonlocal current
        turns.check(index)
        if index % workers != worker:
            return False
        current = index
        return True

    try:
        with path.open("rb") as stream:
            for outcome in import_batches(
                stream, file_format, extended_types=extended_types, batch_size=batch_size, max_keys=max_keys,
                now=now, dry_run=False, mine=mine, turn=turns.for_batch,
            ):
                outbox.put(outcome)
        outbox.put(_Finished(worker))
    except _Stopped:
        outbox.put(_Finished(worker))
    except ImportFileError as exc:
        outbox.put(_Failed(worker, current, str(exc), ""))
    except BaseException:
        outbox.put(_Failed(worker, current, None, traceback.format_exc()))
    finally:
        connections.close_all()
        outbox.close()
        outbox.join_thread()
