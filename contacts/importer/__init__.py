"""Bulk import of contacts: CSV or JSON Lines, reconciled row for row as the service would,
with set-based reads and writes per batch (README, "Bulk import")."""

from contacts.importer.parallel import ImportWorkerError
from contacts.importer.parse import CSV, FORMATS, JSONL, ImportFileError
from contacts.importer.report import ImportReport
from contacts.importer.service import Progress, contact_import

__all__ = ["CSV", "FORMATS", "JSONL", "ImportFileError", "ImportReport", "ImportWorkerError", "Progress", "contact_import"]
