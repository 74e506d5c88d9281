from django.contrib.auth.views import LogoutView
from django.urls import path

from members.views import MemberLoginView, SignupView

app_name = "members"

urlpatterns = [
    path("signup/", SignupView.as_view(), name="signup"),
    path("login/", MemberLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
]
