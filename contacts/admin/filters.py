"""The contact list's filters. Each one is a single index-backed condition on the contact
row or an EXISTS / IN (subquery) on a small related table, so no filter joins a to-many
relation (no duplicates, no DISTINCT) and none counts anything (facets are off)."""

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from contacts.models import Contact, ContactLabel, Label, PossibleDuplicate
from members.models import Member

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices

YES, NO = "yes", "no"
YES_NO = ((YES, "Yes"), (NO, "No"))


def open_duplicate_contact_ids() -> QuerySet[Any]:
    """Ids of the contacts on either side of a possible duplicate staff have not dismissed.
    One UNION subquery, so PostgreSQL semi-joins it by primary key (an OR of two EXISTS would
    be a filter evaluated on every contact)."""
    open_pairs = PossibleDuplicate.objects.filter(dismissed_at__isnull=True).order_by()
    return open_pairs.values("contact_a_id").union(open_pairs.values("contact_b_id"))


def member_exists() -> Exists:
    return Exists(Member.objects.filter(contact=OuterRef("pk")))


class LabelFilter(admin.SimpleListFilter):
    title = "label"
    parameter_name = "label"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Sequence[tuple[Any, str]]:
        return [(label.pk, label.display_name) for label in Label.objects.order_by("display_name", "pk")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Contact]) -> QuerySet[Contact]:
        if self.value() is None:
            return queryset
        try:
            label_id = int(str(self.value()))
        except ValueError as exc:
            raise IncorrectLookupParameters(exc) from exc
        return queryset.filter(Exists(ContactLabel.objects.filter(contact=OuterRef("pk"), label_id=label_id)))


class MemberFilter(admin.SimpleListFilter):
    title = "member"
    parameter_name = "member"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Sequence[tuple[Any, str]]:
        return YES_NO

    def queryset(self, request: HttpRequest, queryset: QuerySet[Contact]) -> QuerySet[Contact]:
        if self.value() == YES:
            return queryset.filter(member_exists())
        if self.value() == NO:
            return queryset.filter(~member_exists())
        return queryset


class PossibleDuplicateFilter(admin.SimpleListFilter):
    title = "possible duplicates"
    parameter_name = "duplicates"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Sequence[tuple[Any, str]]:
        return ((YES, "Has open possible duplicates"), (NO, "None open"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Contact]) -> QuerySet[Contact]:
        if self.value() == YES:
            return queryset.filter(pk__in=open_duplicate_contact_ids())
        if self.value() == NO:
            return queryset.exclude(pk__in=open_duplicate_contact_ids())
        return queryset


class MergedFilter(admin.SimpleListFilter):
    """Merged contacts are hidden unless staff ask for them: a merged contact's id resolves to
    the contact it was merged into, so it is history, not a person to work on."""

    title = "merged"
    parameter_name = "merged"
    ALL = "all"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Sequence[tuple[Any, str]]:
        return ((YES, "Merged only"), (self.ALL, "All, merged too"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Contact]) -> QuerySet[Contact]:
        if self.value() == self.ALL:
            return queryset
        if self.value() == YES:
            return queryset.filter(merged_into__isnull=False)
        return queryset.filter(merged_into__isnull=True)

    def choices(self, changelist: ChangeList) -> Iterator["_ListFilterChoices"]:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Not merged",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }
