"""The site form: validate → the shared converter → the service → thank-you page."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from contacts.api.throttles import form_wait
from contacts.enums import Channel
from contacts.forms import ContactForm
from contacts.payload import contact_payload_from_info
from contacts.reconcile import NothingToReconcile, contact_append_or_create
from contacts.visitor import visitor_for


class ContactFormView(View):
    template_name = "contacts/contact_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": ContactForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ContactForm(request.POST)
        wait = form_wait(request)  # before anything is read or written
        if wait is not None:
            form.add_error(None, f"Too many submissions. Please try again in {wait} seconds.")
            response = render(request, self.template_name, {"form": form}, status=429)
            response["Retry-After"] = str(wait)
            return response
        if form.is_valid():
            try:
                contact_append_or_create(
                    contact_payload_from_info(form.contact_info()),
                    actor=request.user,
                    visitor=visitor_for(request),
                    channel=Channel.FORM,
                    now=timezone.now(),
                    message=form.cleaned_data["message"],
                )
            except NothingToReconcile:
                form.add_error(None, "Please tell us your name, your email or your phone number.")
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                return redirect("contact-thanks")
        return render(request, self.template_name, {"form": form}, status=400)


def contact_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "contacts/thanks.html")
