from __future__ import annotations

from django.urls import path

from compliance import views

app_name = "compliance"
urlpatterns = [
    path("clients/", views.clients_page, name="clients"),
    path("clients/<int:client_id>/parameters/", views.client_parameters_page, name="client-parameters"),
]
