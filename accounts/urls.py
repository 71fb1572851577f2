from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("<int:account_id>/", views.account_detail, name="detail"),
    path("<int:account_id>/notes/", views.note_create, name="note-create"),
]
