"""The site's contact form. It validates with the same normalisers as the API and hands the
service the same `ContactInfo` mapping, so both entry points store the same thing."""

from functools import cache
from typing import Any

import phonenumbers
from babel import Locale
from django import forms
from django.core.exceptions import ValidationError

from contacts import limits
from contacts.normalize import normalize_email, normalize_phone
from contacts.text import NoControlCharactersValidator

SINGLE_LINE = [NoControlCharactersValidator()]  # contacts/text.py: the API's rule too


@cache
def country_choices() -> list[tuple[str, str]]:
    names = Locale("en").territories
    regions = sorted(phonenumbers.SUPPORTED_REGIONS, key=lambda r: names.get(r, r))
    return [("", "Choose a country")] + [
        (r, f"{names.get(r, r)} (+{phonenumbers.country_code_for_region(r)})") for r in regions
    ]


def validate_email_address(value: str) -> None:
    """The service's own email rule, so a form never accepts what the API refuses."""
    normalize_email(value)


def email_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label="Email", max_length=limits.EMAIL, required=required, validators=[*SINGLE_LINE, validate_email_address],
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PersonNameForm(forms.Form):
    first_name = forms.CharField(
        label="First name", validators=SINGLE_LINE, max_length=limits.NAME_PART, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Last name", validators=SINGLE_LINE, max_length=limits.NAME_PART, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )


class ContactForm(PersonNameForm):
    email = email_field(required=False)
    phone_country = forms.ChoiceField(label="Phone country", choices=country_choices, required=False, initial="US")
    phone = forms.CharField(
        label="Phone", max_length=limits.PHONE, required=False, validators=SINGLE_LINE,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel-national"}),
    )
    company = forms.CharField(
        label="Company", validators=SINGLE_LINE, max_length=limits.COMPANY, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    message = forms.CharField(
        label="Message", max_length=limits.MESSAGE, required=False, widget=forms.Textarea,
        validators=[NoControlCharactersValidator(multiline=True)],
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        phone = cleaned.get("phone")
        if phone:
            try:
                normalize_phone(phone, cleaned.get("phone_country"))
            except ValidationError as exc:
                self.add_error("phone_country" if exc.code in {"invalid_country", "no_country"} else "phone", exc)
        return cleaned

    def contact_info(self) -> dict[str, Any]:
        """The submission as a Wix `ContactInfo` mapping, with empty fields left out."""
        data = self.cleaned_data
        info: dict[str, Any] = {}
        name = {k: v for k, v in (("first", data["first_name"]), ("last", data["last_name"])) if v}
        if name:
            info["name"] = name
        if data["email"]:
            info["emails"] = [{"email": data["email"]}]
        if data["phone"]:
            info["phones"] = [{"phone": data["phone"], "countryCode": data["phone_country"]}]
        if data["company"]:
            info["company"] = data["company"]
        return info
