"""Strict DRF fields: a wrong JSON type is a 400, never silently coerced (`1` is not a name,
`"yes"` is not a boolean), and unknown keys are refused rather than dropped."""

import math
from typing import Any

from django.core.validators import URLValidator
from rest_framework import serializers

from contacts.text import forbidden_character, forbidden_character_message


def _finite(value: int | float) -> bool:
    """A number a float can hold: not NaN or infinite, and not an integer too large for one."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _refuse_control_characters(value: str, *, multiline: bool) -> None:
    char = forbidden_character(value, multiline=multiline)
    if char is not None:
        raise serializers.ValidationError(forbidden_character_message(char), code="control_characters")


class StrictCharField(serializers.CharField):
    """A JSON string without control characters (contacts/text.py); `multiline=True` allows
    tab, line feed and carriage return. Checked on the raw value, before trimming."""

    default_error_messages = {"invalid": "Expected a string."}

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        _refuse_control_characters(data, multiline=self.multiline)
        return super().to_internal_value(data)


class StrictURLField(StrictCharField):
    """DRF's URLField, but strict about the JSON type and control characters."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(URLValidator(message="Enter a valid URL."))


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Expected true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictFloatField(serializers.FloatField):
    default_error_messages = {"invalid": "Expected a number."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float)) or not _finite(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class ExtendedValueField(serializers.Field):
    """A JSON string or number; the service checks it against the field's data type."""

    default_error_messages = {"invalid": "Expected a string or a number."}

    def to_internal_value(self, data: Any) -> str | float | int:
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail("invalid")
        if isinstance(data, (int, float)) and not _finite(data):
            self.fail("invalid")
        if isinstance(data, str):
            _refuse_control_characters(data, multiline=True)
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know, so a typo (`email` for `emails`) is an error, not a loss."""

    unknown_key_message = "Unknown field."

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors: dict[str, Any] = {str(key): [self.unknown_key_message] for key in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors = {**exc.detail, **errors}
        if errors:
            raise serializers.ValidationError(errors)
        return value


class StrictDateField(serializers.DateField):
    """A `YYYY-MM-DD` string and nothing else."""

    default_error_messages = {"invalid": "Expected a date as YYYY-MM-DD."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str):
            self.fail("invalid")
        return super().to_internal_value(value)
