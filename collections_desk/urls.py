from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("accounts:list")


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("auth/", include("staff.urls")),
    path("accounts/", include("accounts.urls")),
    path("work/", include("workspace.urls")),
    path("desk/", include("desk.urls")),
    path("compliance/", include("compliance.urls")),
    path("admin/", admin.site.urls),
]
