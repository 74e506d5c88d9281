"""What an import did: counts, and every bad row with its number and reason."""

import csv
import io
from dataclasses import dataclass, field
from typing import IO

from contacts.importer.batch import APPENDED, CREATED, UNCHANGED, RowResult
from contacts.importer.rows import BadRow


@dataclass
class ImportReport:
    created: int = 0
    appended: int = 0
    unchanged: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    dry_run: bool = False
    valid: int = 0  # rows that passed validation (the only count a dry run has)
    results: list[RowResult] | None = None  # every accepted row's outcome, when asked for


    @property
    def rejected(self) -> int:
        return len(self.bad_rows)

    @property
    def rows(self) -> int:
        return self.valid + self.rejected

    def add(self, result: RowResult) -> None:
        if self.results is not None:
            self.results.append(result)
        if result.outcome == CREATED:
            self.created += 1
        elif result.outcome == APPENDED:
            self.appended += 1
        else:
            assert result.outcome == UNCHANGED
            self.unchanged += 1

    def summary(self) -> str:
        if self.dry_run:
            return f"Dry run, nothing written: {self.rows} rows, {self.valid} valid, {self.rejected} rejected."
        return (f"{self.rows} rows: {self.created} created, {self.appended} appended, "
                f"{self.unchanged} unchanged, {self.rejected} rejected.")

    def write_errors_csv(self, out: IO[str]) -> None:
        writer = csv.writer(out)
        writer.writerow(["row", "reason"])
        writer.writerows((bad.number, bad.reason) for bad in self.bad_rows)

    def errors_csv(self) -> str:
        out = io.StringIO()
        self.write_errors_csv(out)
        return out.getvalue()
