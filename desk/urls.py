from __future__ import annotations

from django.urls import path

from desk import views

app_name = "desk"
urlpatterns = [
    path("", views.queue_page, name="queue"),
    path("queues/<int:queue_id>/", views.queue_page, name="queue-saved"),
    path("queues/new/", views.queue_create_page, name="queue-create"),
    path("queues/<int:queue_id>/edit/", views.queue_edit_page, name="queue-edit"),
    path("next/", views.claim_next, name="claim-next"),
    path("lease/", views.lease_bar, name="lease-bar"),
    path("leases/<int:lease_id>/renew/", views.lease_renew_view, name="lease-renew"),
    path("leases/<int:lease_id>/release/", views.lease_release_view, name="lease-release"),
    path("leases/<int:lease_id>/break/", views.lease_break_view, name="lease-break"),
    path("manager/", views.desk_page, name="manager"),
    path("review/", views.review_page, name="review"),
    path("approvals/", views.approvals_page, name="approvals"),
    path("sends/", views.sends_page, name="sends"),
    path("weights/", views.weights_page, name="weights"),
]
