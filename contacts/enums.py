"""The Wix enums the contacts model uses (wix-contacts.md §2, §3, §5)."""

from django.db import models


class EmailTag(models.TextChoices):
    UNTAGGED = "UNTAGGED", "Other"
    MAIN = "MAIN", "Main"
    HOME = "HOME", "Home"
    WORK = "WORK", "Work"


class PhoneTag(models.TextChoices):
    UNTAGGED = "UNTAGGED", "Other"
    MAIN = "MAIN", "Main"
    HOME = "HOME", "Home"
    MOBILE = "MOBILE", "Mobile"
    WORK = "WORK", "Work"
    FAX = "FAX", "Fax"


class AddressTag(models.TextChoices):
    UNTAGGED = "UNTAGGED", "Other"
    HOME = "HOME", "Home"
    WORK = "WORK", "Work"
    BILLING = "BILLING", "Billing"
    SHIPPING = "SHIPPING", "Shipping"


class IdentityType(models.TextChoices):
    CONTACT = "CONTACT"
    MEMBER = "MEMBER"
    NOT_AUTHENTICATED_MEMBER = "NOT_AUTHENTICATED_MEMBER"


class SourceType(models.TextChoices):
    OTHER = "OTHER"
    ADMIN = "ADMIN"
    IMPORT = "IMPORT"
    THIRD_PARTY = "THIRD_PARTY"
    WIX_FORMS = "WIX_FORMS"
    WIX_SITE_MEMBERS = "WIX_SITE_MEMBERS"
    WIX_CODE = "WIX_CODE"


class ActivityType(models.TextChoices):
    GENERAL = "GENERAL"
    CONTACT_CREATED = "CONTACT_CREATED"
    MEMBER_LOGIN = "MEMBER_LOGIN"
    MEMBER_REGISTER = "MEMBER_REGISTER"
    FORM_SUBMITTED = "FORM_SUBMITTED"
    CONTACT_MERGED = "CONTACT_MERGED"


class Channel(models.TextChoices):
    """Where a reconcile call came from; recorded on every submission (decisions.md §12)."""

    FORM = "form"
    API = "api"
    IMPORT = "import"
    ADMIN = "admin"
    SIGNUP = "signup"


class StepOrder(models.TextChoices):
    """decisions.md §1: public callers use FRONTEND, trusted server code may use BACKEND."""

    FRONTEND = "frontend"
    BACKEND = "backend"


class LabelType(models.TextChoices):
    SYSTEM = "SYSTEM"
    USER_DEFINED = "USER_DEFINED"
    WIX_APP_DEFINED = "WIX_APP_DEFINED"


class DataType(models.TextChoices):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    URL = "URL"


class FieldType(models.TextChoices):
    SYSTEM = "SYSTEM"
    USER_DEFINED = "USER_DEFINED"
