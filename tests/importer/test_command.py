"""`manage.py import_contacts`: summary, bad rows, the errors file, progress on stderr."""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from contacts.models import Contact
from tests.deploy.test_production_settings import ROOT
from tests.importer.common import csv_bytes, jsonl

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_contacts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _run_with_rejected_rows(*args: str) -> tuple[str, CommandError]:
    """Run the command on a file with bad rows: it reports everything, then fails with exit status 3."""
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_contacts", *args, stdout=out, stderr=io.StringIO())
    assert error.value.returncode == 3
    return out.getvalue(), error.value


def test_csv_summary_bad_rows_and_errors_file(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_bytes(csv_bytes(["firstName", "email"], [
        ["Ann", "ann@example.com"], ["", "bad"], ["Ann again", "ANN@example.com"], ["", ""], ["Bob", ""],
    ]))
    errors = tmp_path / "errors.csv"

    out, error = _run_with_rejected_rows(str(source), "--errors-file", str(errors), "--batch-size", "2")

    assert str(error) == "1 row rejected (exit status 3); the other rows are imported."
    assert out.splitlines()[0] == "4 rows: 2 created, 0 appended, 1 unchanged, 1 rejected."
    assert "  row 3: email (emails.0.email): Enter a valid email address." in out
    assert list(csv.reader(errors.open()))[0] == ["row", "reason"]
    assert [r[0] for r in csv.reader(errors.open())][1:] == ["3"]
    assert Contact.objects.count() == 2


def test_progress_lines_go_to_stderr_when_it_is_not_a_terminal(tmp_path: Path) -> None:
    source = tmp_path / "people.jsonl"
    source.write_bytes(jsonl([{"name": {"first": f"P{i}"}} for i in range(5)]))
    out, _ = _run(str(source))
    assert out.startswith("5 rows: 5 created")
    # stderr is sys.stderr (the bar writes there directly); capsys would see it.


def test_unknown_format_and_unknown_column_are_command_errors(tmp_path: Path) -> None:
    odd = tmp_path / "people.txt"
    odd.write_text("x")
    with pytest.raises(CommandError, match="--format"):
        _run(str(odd))
    bad_header = tmp_path / "people.csv"
    bad_header.write_text("name,email\nAnn,ann@example.com\n")
    with pytest.raises(CommandError, match="Unknown column"):
        _run(str(bad_header))
    assert Contact.objects.count() == 0


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "people.jsonl"
    source.write_bytes(jsonl([{"name": {"first": "Ann"}}, {"company": "x"}]))
    out, error = _run_with_rejected_rows(str(source), "--format", "jsonl", "--dry-run")
    assert out.splitlines()[0] == "Dry run, nothing written: 2 rows, 1 valid, 1 rejected."
    assert str(error) == "1 row rejected (exit status 3); the other rows are valid."
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(("rows", "status", "stderr"), [
    ([["ann@example.com"], ["bob@example.com"]], 0, ""),
    ([["ann@example.com"], ["bad"], ["also bad"]], 3, "CommandError: 2 rows rejected (exit status 3); "
                                                      "the other rows are valid.\n"),
])
def test_the_exit_status_says_whether_every_row_is_good(
        tmp_path: Path, rows: list[list[str]], status: int, stderr: str) -> None:
    """As a script or cron job sees it: `manage.py import_contacts` in its own process."""
    source = tmp_path / "people.csv"
    source.write_bytes(csv_bytes(["email"], rows))
    settings_dict = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
                                         f"{settings_dict['PORT']}/{settings_dict['NAME']}"}
    result = subprocess.run([sys.executable, "manage.py", "import_contacts", str(source), "--dry-run",
                             "--no-progress"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (status, stderr)
    assert result.stdout.startswith(f"Dry run, nothing written: {len(rows)} rows")


def test_the_progress_bar_is_drawn_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "people.jsonl"
    source.write_bytes(jsonl([{"name": {"first": f"P{i}"}} for i in range(3)]))
    call_command("import_contacts", str(source), stdout=io.StringIO())
    assert "100% 3 rows" in capsys.readouterr().err
