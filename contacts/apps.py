from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contacts.api.throttles import check_rate_settings

        check_rate_settings()  # a bad CRM_THROTTLE_* value fails at startup, not per request
