"""Label keys and extended fields must already exist, with values of the field's type (§11)."""

import datetime
import math

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from contacts import limits
from contacts.enums import DataType
from contacts.models import ExtendedField, Label
from contacts.payload import ContactPayload, JsonValue

_url_validator = URLValidator(schemes=["http", "https"])


def resolve_labels(payload: ContactPayload) -> dict[str, int]:
    """Map each given label key to its id, or refuse the call naming the unknown keys."""
    if not payload.label_keys:
        return {}
    found = dict(Label.objects.filter(key__in=payload.label_keys).values_list("key", "id"))
    unknown = [key for key in payload.label_keys if key not in found]
    if unknown:
        raise ValidationError(
            {"labelKeys": [f"Unknown label key {key!r}: staff create labels first." for key in unknown]},
            code="unknown_label",
        )
    return found


def resolve_extended_fields(payload: ContactPayload) -> dict[str, JsonValue]:
    """Check every extended field exists and coerce its value to the field's data type."""
    if not payload.extended_fields:
        return {}
    given = dict(payload.extended_fields)
    types = dict(ExtendedField.objects.filter(key__in=given).values_list("key", "data_type"))
    errors: list[str] = []
    values: dict[str, JsonValue] = {}
    for key, value in given.items():
        if key not in types:
            errors.append(f"{key}: unknown extended field; staff create extended fields first.")
            continue
        try:
            values[key] = coerce_extended_value(types[key], value)
        except ValidationError as exc:
            errors.extend(f"{key}: {message}" for message in exc.messages)
    if errors:
        raise ValidationError({"extendedFields": errors}, code="invalid_extended_field")
    return values


def coerce_extended_value(data_type: str, value: JsonValue) -> JsonValue:
    """One value for a field of `data_type`, as stored; raises ValidationError when it is not one."""
    if data_type == DataType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValidationError("expected a number.", code="invalid_type")
        return float(value)
    if not isinstance(value, str):
        raise ValidationError(f"expected a string for a {data_type} field.", code="invalid_type")
    text = value.strip()
    if data_type == DataType.DATE:
        try:
            if len(text) != 10:
                raise ValueError(text)
            return datetime.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValidationError("expected a date as YYYY-MM-DD.", code="invalid_date") from None
    if data_type == DataType.URL:
        if "://" not in text:
            text = "https://" + text  # as Wix does for URL fields
        if len(text) > limits.URL:
            raise ValidationError(f"at most {limits.URL} characters.", code="max_length")
        _url_validator(text)
        return text
    if len(text) > limits.EXTENDED_TEXT:
        raise ValidationError(f"at most {limits.EXTENDED_TEXT} characters.", code="max_length")
    return text
