"""Back-office API routes (see crmsite/urls.py): labeling, merging, labels, extended fields and
server-side append-or-create (contacts/backoffice/manage_views.py). Label and field keys hold a
dot (`custom.vip`), hence `<str:key>`. The back-office API never issues the visitor cookie."""

from django.urls import URLPattern, path

from contacts.backoffice import manage_views as views
from contacts.visitor import visitor_cookie_exempt

urlpatterns: list[URLPattern] = [
    path("contacts/server-append-or-create/", visitor_cookie_exempt(views.ContactServerAppendOrCreateApi.as_view()),
         name="contact-server-append-or-create"),
    path("contacts/<uuid:contact_id>/labels/", visitor_cookie_exempt(views.ContactLabelApi.as_view()),
         name="contact-labels"),
    path("contacts/<uuid:contact_id>/labels/remove/", visitor_cookie_exempt(views.ContactUnlabelApi.as_view()),
         name="contact-labels-remove"),
    path("contacts/<uuid:contact_id>/merge/", visitor_cookie_exempt(views.ContactMergeApi.as_view()),
         name="contact-merge"),
    path("labels/", visitor_cookie_exempt(views.LabelListApi.as_view()), name="label-list"),
    path("labels/<str:key>/", visitor_cookie_exempt(views.LabelDetailApi.as_view()), name="label-detail"),
    path("extended-fields/", visitor_cookie_exempt(views.ExtendedFieldListApi.as_view()), name="extended-field-list"),
    path("extended-fields/<str:key>/", visitor_cookie_exempt(views.ExtendedFieldDetailApi.as_view()),
         name="extended-field-detail"),
]
