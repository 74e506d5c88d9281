"""The contact list: columns, search and filters, built to stay fast at a million contacts.

- Columns come from per-row subqueries on the page's rows (primary email and phone, member,
  visitor count) and one prefetch (labels), so a page costs the same number of queries
  whatever its size.
- Search and filters are index lookups (see search.py, filters.py and migration 0003); the
  default order `-created_at, -pk` walks the `(created_at, id)` index.
- Nothing counts the whole table: EstimatedCountPaginator, no full result count, no facets.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from contacts.admin.filters import LabelFilter, MemberFilter, MergedFilter, PossibleDuplicateFilter
from contacts.admin.paginator import EstimatedCountPaginator
from contacts.admin.search import contact_search_q
from contacts.models import Contact, Email, Label, Phone, VisitorSession
from members.models import Member


def with_list_columns(queryset: QuerySet[Contact]) -> QuerySet[Contact]:
    """The list's computed columns, as subqueries PostgreSQL runs only for the rows of the
    page (they sit above the LIMIT) and one labels query for the whole page."""
    visitors = (
        VisitorSession.objects.filter(contact=OuterRef("pk"))
        .order_by()
        .values("contact")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        list_email=Subquery(
            Email.objects.filter(contact=OuterRef("pk")).order_by("-primary", "pk").values("email")[:1]
        ),
        list_phone=Subquery(
            Phone.objects.filter(contact=OuterRef("pk")).order_by("-primary", "pk").values("phone")[:1]
        ),
        list_is_member=Exists(Member.objects.filter(contact=OuterRef("pk"))),
        list_visitors=Coalesce(Subquery(visitors, output_field=IntegerField()), Value(0)),
    ).prefetch_related(
        Prefetch("labels", queryset=Label.objects.order_by("display_name", "pk"), to_attr="list_labels")
    )


class ContactChangeList(ChangeList):
    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Contact]:
        # Here and not in ModelAdmin.get_queryset: the change page and the actions' own
        # queries need none of the columns.
        return with_list_columns(super().get_queryset(request, exclude_parameters))


class ContactListMixin(admin.ModelAdmin):
    list_display = [
        "name",
        "primary_email",
        "primary_phone",
        "label_names",
        "member_badge",
        "visitor_count",
        "last_activity",
        "created_at",
    ]
    list_display_links = ["name"]
    sortable_by = ["created_at", "last_activity"]  # the two orders an index serves (0003)
    list_filter = [
        MergedFilter,
        LabelFilter,
        "source_type",
        MemberFilter,
        PossibleDuplicateFilter,
        "created_at",
    ]
    # Only for the search box to show; get_search_results below does the searching.
    search_fields = ["first_name", "last_name", "company", "emails__key", "phones__key"]
    search_help_text = (
        "An email or a phone (any case or format), a contact id, or the start of a first name, "
        "last name or company."
    )
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts are a COUNT per choice over the table

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ContactChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Contact], search_term: str
    ) -> tuple[QuerySet[Contact], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(contact_search_q(term)), False

    def action_checkbox(self, obj: Contact) -> SafeString:
        # The same markup as ModelAdmin.action_checkbox without rendering a form widget
        # through the template engine per row, which was a third of a 100-row page's time.
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME, str(obj.pk), label,
        )

    @admin.display(description="name")
    def name(self, obj: Contact) -> str:
        return f"{obj.first_name} {obj.last_name}".strip() or obj.company or "(no name)"

    @admin.display(description="primary email")
    def primary_email(self, obj: Contact) -> str:
        return getattr(obj, "list_email", None) or ""

    @admin.display(description="primary phone")
    def primary_phone(self, obj: Contact) -> str:
        return getattr(obj, "list_phone", None) or ""

    @admin.display(description="labels")
    def label_names(self, obj: Contact) -> str:
        return ", ".join(label.display_name for label in getattr(obj, "list_labels", []))

    @admin.display(description="member", boolean=True)
    def member_badge(self, obj: Contact) -> bool:
        return bool(getattr(obj, "list_is_member", False))

    @admin.display(description="visitors")
    def visitor_count(self, obj: Contact) -> int:
        return int(getattr(obj, "list_visitors", 0))

    @admin.display(description="last activity", ordering="last_activity_at")
    def last_activity(self, obj: Contact) -> str:
        if obj.last_activity_at is None:
            return ""
        when = formats.localize(timezone.localtime(obj.last_activity_at))
        return format_html("{} <small>{}</small>", when, obj.get_last_activity_type_display())
