"""Back-office API routes (see crmsite/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
