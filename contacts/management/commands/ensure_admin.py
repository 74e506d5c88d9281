"""Create the `admin` superuser once, printing its generated password that one time."""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create an 'admin' superuser with a generated password, unless one exists."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(username="admin").exists():
            self.stdout.write(
                "Admin: log in at /admin/ as 'admin' (password printed when it was created; "
                "reset it with: .venv/bin/python manage.py changepassword admin)."
            )
            return
        password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser(username="admin", email="", password=password)
        self.stdout.write(self.style.SUCCESS(
            f"Admin created: log in at http://127.0.0.1:8000/admin/ as 'admin' with password {password} "
            "(shown only now)."
        ))
