"""Strict DRF fields: a wrong JSON type is a 400, never silently coerced (`1` is not a name,
`"yes"` is not a boolean), and unknown keys are refused rather than dropped."""

import math
from typing import Any

from rest_framework import serializers


def _finite(value: int | float) -> bool:
    """A number a float can hold: not NaN or infinite, and not an integer too large for one."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


class StrictCharField(serializers.CharField):
    default_error_messages = {
        "invalid": "Expected a string.",
        "null_characters_not_allowed": "Null characters are not allowed.",
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if "\x00" in data:
            self.fail("null_characters_not_allowed")
        return super().to_internal_value(data)


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

    default_error_messages = {
        "invalid": "Expected a string or a number.",
        "null_characters_not_allowed": "Null characters are not allowed.",
    }

    def to_internal_value(self, data: Any) -> str | float | int:
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail("invalid")
        if isinstance(data, (int, float)) and not _finite(data):
            self.fail("invalid")
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters_not_allowed")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know, so a typo (`email` for `emails`) is an error, not a loss."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors: dict[str, Any] = {str(key): ["Unknown field."] for key in unknown}
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
