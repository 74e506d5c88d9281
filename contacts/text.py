"""Free-text rules shared by the API and the site form.

Control characters (Unicode category Cc: C0 U+0000–U+001F, DEL U+007F and C1 U+0080–U+009F)
are refused: nobody types them, they break CSV exports, logs and terminals, and PostgreSQL
cannot store U+0000 at all. Single-line fields (names, company, email, phone, keys, …) allow
none of them; multi-line text (a message, a formatted address, an extended TEXT value) allows
tab, line feed and carriage return and nothing else.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

_SINGLE_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f]")
_MULTI_LINE_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# The same rules as ECMA-262 regular expressions, for the OpenAPI schema.
SINGLE_LINE_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f]*$"
MULTI_LINE_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first control character `value` may not hold, or None."""
    match = (_MULTI_LINE_FORBIDDEN if multiline else _SINGLE_LINE_FORBIDDEN).search(value)
    return match.group() if match else None


def forbidden_character_message(char: str) -> str:
    if char == "\x00":
        return "Null characters are not allowed."
    return f"Control characters are not allowed: U+{ord(char):04X}."


@deconstructible
class NoControlCharactersValidator:
    """Django validator form of `forbidden_character` (the site form uses it)."""

    code = "control_characters"

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        char = forbidden_character(str(value), multiline=self.multiline)
        if char is not None:
            raise ValidationError(forbidden_character_message(char), code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoControlCharactersValidator) and other.multiline == self.multiline
