"""The back-office query's `updatedDate` order: keyset pages on `(updated_at, id)`, as
`contact_created_idx` serves `createdDate` (contacts/backoffice/query.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("contacts", "0004_alter_contact_options"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["updated_at", "id"], name="contact_updated_idx"),
        ),
    ]
