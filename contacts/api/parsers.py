"""The JSON parser of the API: DRF's, plus the refusals that keep hostile JSON a 400.

Python's `json` accepts two things that would otherwise turn into a 500 further on:

- arbitrarily deep nesting, until it raises RecursionError (DRF only maps ValueError), and
  a nesting just under that limit can still exhaust the stack later (an error message that
  echoes a value calls `str()` on it);
- lone surrogates written as escapes (`"\\ud800"`), which are not Unicode characters: they
  cannot be encoded as UTF-8, so neither PostgreSQL nor the JSON renderer can output them.

Both are refused here as a `ParseError` (400 `{"detail": "JSON parse error - …"}`), before any
field is looked at. Invalid UTF-8 bytes are already a ParseError in DRF's own parser.
"""

import re
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from contacts import limits

_SURROGATE = re.compile("[\ud800-\udfff]")


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_too_deep()) from None
        check_json_value(data)
        return data


def _too_deep() -> str:
    return f"JSON parse error - nested deeper than {limits.JSON_MAX_DEPTH} levels."


def check_json_value(data: Any) -> None:
    """Raise ParseError when `data` nests deeper than JSON_MAX_DEPTH or holds a lone surrogate
    in any key or string. Iterative, so it cannot itself run out of stack."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, (dict, list)):
            if depth >= limits.JSON_MAX_DEPTH:
                raise ParseError(_too_deep())
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


def _check_text(text: str) -> None:
    match = _SURROGATE.search(text)
    if match is not None:
        raise ParseError(
            f"JSON parse error - invalid Unicode: lone surrogate \\u{ord(match.group()):04x} is not a character."
        )
