from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from integrations.models import IntegrationToken, Scope


class TokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = IntegrationToken
        fields = ["name", "scopes"]


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(admin.ModelAdmin):
    form = TokenForm
    list_display = ["name", "hint", "scope_list", "created_by", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["hint", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description="permissions")
    def scope_list(self, token: IntegrationToken) -> str:
        return ", ".join(Scope(s).label for s in token.scopes if s in Scope.values)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A token's permissions are fixed once issued: revoke it and issue another.
        return [*self.readonly_fields, "scopes"] if obj is not None else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: IntegrationToken, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        token, secret = IntegrationToken.issue(
            name=obj.name, scopes=form.cleaned_data["scopes"], created_by=request.user
        )
        obj.pk, obj.digest, obj.hint = token.pk, token.digest, token.hint
        self.message_user(
            request, f"Token for {token.name}: {secret} — copy it now, it is not shown again.", messages.WARNING
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[IntegrationToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} token{'s' if count != 1 else ''}.", messages.SUCCESS)
