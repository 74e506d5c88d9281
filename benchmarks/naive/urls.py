from django.urls import include, path

from benchmarks.naive.views import NaiveContactCreateApi

urlpatterns = [
    path("naive/contacts/", NaiveContactCreateApi.as_view(), name="naive-contact-create"),
    path("", include("crmsite.urls")),
]
