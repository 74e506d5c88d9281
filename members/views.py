from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from contacts.visitor import visitor_for
from members.forms import EmailAuthenticationForm, SignupForm
from members.services import member_signup


class SignupView(View):
    template_name = "members/signup.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": SignupForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SignupForm(request.POST)
        if form.is_valid():
            try:
                member = member_signup(
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    visitor=visitor_for(request),
                    now=timezone.now(),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("contact-form")
        return render(request, self.template_name, {"form": form}, status=400)


class MemberLoginView(LoginView):
    authentication_form = EmailAuthenticationForm
    template_name = "members/login.html"
