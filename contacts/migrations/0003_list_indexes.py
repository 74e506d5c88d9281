"""Indexes for the admin contact list at a million contacts.

The three `Meta.indexes` serve the list's orders and its source filter. The name-prefix
search indexes are expressions with an operator class, which only PostgreSQL has: Django's
`__istartswith` is `UPPER("col"::text) LIKE UPPER('prefix%')` there, and a LIKE prefix can
use a b-tree only through `text_pattern_ops` (in any collation but C). They are created with
SQL on PostgreSQL and skipped elsewhere (the SQLite development database is small).
"""

from django.db import migrations, models

NAME_PREFIX_INDEXES = {
    "contact_first_name_prefix_idx": "first_name",
    "contact_last_name_prefix_idx": "last_name",
    "contact_company_prefix_idx": "company",
}


def create_name_prefix_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in NAME_PREFIX_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "contacts_contact" (UPPER("{column}"::text) text_pattern_ops)'
        )


def drop_name_prefix_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in NAME_PREFIX_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):

    dependencies = [
        ("contacts", "0002_merge"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["created_at", "id"], name="contact_created_idx"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["last_activity_at", "id"], name="contact_last_activity_idx"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["source_type", "created_at", "id"], name="contact_source_created_idx"),
        ),
        migrations.RunPython(create_name_prefix_indexes, drop_name_prefix_indexes, elidable=False),
    ]
