"""Read an import file into `ContactInfo` mappings, one per row, each with its row number.

Two formats (README, "Bulk import"):

- **CSV** with a header row naming columns from `CSV_COLUMNS` (any order, any subset) and
  `ext.<key>` for extended fields. An empty cell means "not given". Row numbers are the
  spreadsheet's: the header is row 1, the first contact row 2.
- **JSON Lines**: one `ContactInfo` object per line, the public API's body. Row numbers are
  line numbers; blank lines are skipped.

Parsing never decides what is valid: it only shapes text into the mapping the API's own
serializer validates next. What cannot be shaped at all (a line that is not JSON, a CSV row
with more cells than the header, bytes that are not UTF-8) is a bad row; an unknown CSV
column is an error for the whole file, before anything is written, because a misspelt
column would otherwise lose a column of data without a word.
"""

import codecs
import csv
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import IO, Any

from contacts.enums import DataType

CSV = "csv"
JSONL = "jsonl"
FORMATS = (CSV, JSONL)

# CSV column → where its value goes in ContactInfo. Emails and phones keep their column order
# (email before email2), which decides the match (decisions.md §4).
NAME_COLUMNS = {"firstName": "first", "lastName": "last"}
EMAIL_COLUMNS = ("email", "email2")
PHONE_COLUMNS = {"phone": "phoneCountry", "phone2": "phone2Country"}
SCALAR_COLUMNS = ("company", "jobTitle", "birthdate", "locale", "picture")
ADDRESS_COLUMNS = ("addressLine1", "addressLine2", "city", "subdivision", "postalCode", "country")
LABELS_COLUMN = "labels"  # label keys separated by ";"
EXTENDED_PREFIX = "ext."
# What a CSV export (contacts/export.py) writes besides the columns above, so that an export
# imports as it is: every email and every phone (international form), `;`-separated, after
# the single-value columns; and the export's own read-only columns, which are ignored.
EMAILS_LIST_COLUMN = "emails"
PHONES_LIST_COLUMN = "phones"
LIST_SEPARATOR = ";"
IGNORED_COLUMNS = ("id", "createdDate", "updatedDate", "source", "member")
CSV_COLUMNS = (
    *NAME_COLUMNS, *EMAIL_COLUMNS, *PHONE_COLUMNS, *PHONE_COLUMNS.values(), *SCALAR_COLUMNS, LABELS_COLUMN,
    *ADDRESS_COLUMNS, EMAILS_LIST_COLUMN, PHONES_LIST_COLUMN, *IGNORED_COLUMNS,
)
# The export writes a free-text cell that a spreadsheet would run as a formula with a leading
# apostrophe (the spreadsheet convention for "this is text"); the import takes it off again.
FREE_TEXT_COLUMNS = ("firstName", "lastName", "company", "jobTitle")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_SURROGATE = re.compile("[\ud800-\udfff]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unknown format, missing or unknown header)."""


@dataclass(frozen=True)
class SourceRow:
    """One row of the file: its number, and either the ContactInfo mapping or why not."""

    number: int
    info: Any = None  # what the serializer validates (normally a dict)
    error: str = ""
    # ContactInfo path prefix → the CSV column it came from, to name columns in errors.
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ReadProgress:
    """How far the reader is in the file (bytes), for the progress bar."""

    bytes_read: int = 0


def read_rows(
    stream: IO[bytes], file_format: str, *, extended_types: Mapping[str, str], progress: ReadProgress | None = None
) -> Iterator[SourceRow]:
    """Rows of a binary file in `file_format`. `extended_types` maps each extended field key to
    its data type, so a CSV cell for a NUMBER field becomes a number (JSON Lines carry types)."""
    lines = _decoded_lines(stream, progress or ReadProgress())
    if file_format == CSV:
        return _csv_rows(lines, extended_types)
    if file_format == JSONL:
        return _jsonl_rows(lines)
    raise ImportFileError(f"Unknown format {file_format!r}: use one of {', '.join(FORMATS)}.")


def _decoded_lines(stream: IO[bytes], progress: ReadProgress) -> Iterator[str]:
    """Text lines; bytes that are not UTF-8 become lone surrogates, which the row readers
    report as a bad row instead of failing the whole file. A BOM at the start is dropped."""
    first = True
    for raw in stream:
        progress.bytes_read += len(raw)
        if first and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        first = False
        yield raw.decode("utf-8", errors="surrogateescape")


def _not_utf8(values: Iterable[str]) -> bool:
    return any(_SURROGATE.search(v) for v in values)


NOT_UTF8 = "The row is not valid UTF-8 text."


def _jsonl_rows(lines: Iterable[str]) -> Iterator[SourceRow]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if _not_utf8([line]):
            yield SourceRow(number, error=NOT_UTF8)
            continue
        try:
            info = json.loads(line, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            yield SourceRow(number, error=f"Not a JSON object: {exc}.")
            continue
        yield SourceRow(number, info=info)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _csv_rows(lines: Iterator[str], extended_types: Mapping[str, str]) -> Iterator[SourceRow]:
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("The file is empty: the first row must name the columns.") from None
    except csv.Error as exc:
        raise ImportFileError(f"The header row is not valid CSV: {exc}.") from None
    header = [h.strip() for h in header]
    _check_header(header)
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield SourceRow(number, error=f"Not valid CSV: {exc}.")
            continue
        if not any(c.strip() for c in cells):
            continue  # an empty line, or a row of empty cells
        if _not_utf8(cells):
            yield SourceRow(number, error=NOT_UTF8)
        elif len(cells) > len(header):
            yield SourceRow(number, error=f"The row has {len(cells)} cells; the header names {len(header)}.")
        else:
            info, columns = csv_row_info(dict(zip(header, cells)), extended_types)
            yield SourceRow(number, info=info, columns=columns)


def _check_header(header: list[str]) -> None:
    if _not_utf8(header):
        raise ImportFileError("The header row is not valid UTF-8 text.")
    unknown = [h for h in header if h not in CSV_COLUMNS and not (h.startswith(EXTENDED_PREFIX) and
                                                                    len(h) > len(EXTENDED_PREFIX))]
    if unknown:
        raise ImportFileError(
            f"Unknown column(s): {', '.join(repr(u) for u in unknown)}. "
            f"Known: {', '.join(CSV_COLUMNS)}, and ext.<key> for extended fields."
        )
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ImportFileError(f"Column(s) named twice: {', '.join(repeated)}.")


def csv_row_info(cells: Mapping[str, str], extended_types: Mapping[str, str]) -> tuple[dict[str, Any], Mapping[str, str]]:
    """One CSV row as a ContactInfo mapping, and which column each part came from."""
    given = {k: v for k, v in cells.items() if v.strip()}
    for col in FREE_TEXT_COLUMNS:
        if col in given and given[col].startswith("'") and given[col][1:].startswith(FORMULA_TRIGGERS):
            given[col] = given[col][1:]
    info: dict[str, Any] = {}
    name = {part: given[col] for col, part in NAME_COLUMNS.items() if col in given}
    if name:
        info["name"] = name
    emails = [{"email": given[col]} for col in EMAIL_COLUMNS if col in given]
    emails += _list_items(given.get(EMAILS_LIST_COLUMN), "email", {item["email"].strip() for item in emails})
    if emails:
        info["emails"] = emails
    phones: list[dict[str, str]] = []
    for col in PHONE_COLUMNS:
        if col in given:
            item = {"phone": given[col]}
            country_col = PHONE_COLUMNS[col]
            if country_col in given:
                item["countryCode"] = given[country_col]
            phones.append(item)
    phones += _list_items(given.get(PHONES_LIST_COLUMN), "phone", {item["phone"].strip() for item in phones})
    if phones:
        info["phones"] = phones
    for col in SCALAR_COLUMNS:
        if col in given:
            info[col] = given[col]
    address = {col: given[col] for col in ADDRESS_COLUMNS if col in given}
    if address:
        info["addresses"] = [{"address": address}]
    if LABELS_COLUMN in given:
        info["labelKeys"] = [k.strip() for k in given[LABELS_COLUMN].split(";") if k.strip()]
    extended = {
        col[len(EXTENDED_PREFIX):]: _extended_value(extended_types.get(col[len(EXTENDED_PREFIX):]), value)
        for col, value in given.items() if col.startswith(EXTENDED_PREFIX)
    }
    if extended:
        info["extendedFields"] = extended
    return info, _source_columns(tuple(given))


def _list_items(cell: str | None, name: str, already: set[str]) -> list[dict[str, str]]:
    """A `;`-separated list cell as items, without the ones a single-value column already gave
    (an export repeats its primary email in `email` and in `emails`)."""
    if cell is None:
        return []
    items: list[dict[str, str]] = []
    for value in cell.split(LIST_SEPARATOR):
        text = value.strip()
        if text and text not in already:
            already.add(text)
            items.append({name: text})
    return items


@lru_cache(maxsize=1024)
def _source_columns(given: tuple[str, ...]) -> Mapping[str, str]:
    """ContactInfo path prefix → the CSV column it came from, for the columns a row fills in
    (the same for every row that fills in the same columns, so computed once for them)."""
    columns: dict[str, str] = {}
    if any(col in given for col in NAME_COLUMNS):
        columns.update({f"name.{part}": col for col, part in NAME_COLUMNS.items()})
    emails = [col for col in EMAIL_COLUMNS if col in given]
    columns.update({f"emails.{i}": col for i, col in enumerate(emails)})
    if EMAILS_LIST_COLUMN in given:  # the list's items come after: any other index is its
        columns["emails"] = EMAILS_LIST_COLUMN
    if PHONES_LIST_COLUMN in given:
        columns["phones"] = PHONES_LIST_COLUMN
    for i, col in enumerate(col for col in PHONE_COLUMNS if col in given):
        columns[f"phones.{i}.phone"] = col
        columns[f"phones.{i}.countryCode"] = PHONE_COLUMNS[col]
        columns[f"phones.{i}"] = col
    if any(col in given for col in ADDRESS_COLUMNS):
        columns.update({f"addresses.0.address.{col}": col for col in ADDRESS_COLUMNS})
    if LABELS_COLUMN in given:
        columns["labelKeys"] = LABELS_COLUMN
    if any(col.startswith(EXTENDED_PREFIX) for col in given):
        columns["extendedFields"] = "ext.*"
    return MappingProxyType(columns)


def _extended_value(data_type: str | None, text: str) -> str | int | float:
    """A CSV cell for a NUMBER field as a number; anything else stays text (and a cell that is
    not a number stays text too, so the field's own rule reports it)."""
    if data_type == DataType.NUMBER and _NUMBER.match(text.strip()):
        number = float(text)
        if math.isfinite(number):
            return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    return text
