"""Staff admin, one module per topic: contact list, contact page, merge, duplicates,
visitors, labels and fields, submissions, the growth dashboard."""

from contacts.admin import contact, duplicates, labels, submissions, visitors  # noqa: F401
