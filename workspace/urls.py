from __future__ import annotations

from django.urls import path

from workspace import views

app_name = "workspace"
urlpatterns = [
    path("<int:account_id>/", views.account_workspace, name="account"),
    path("<int:account_id>/panels/<slug:name>/", views.panel, name="panel"),
    path("<int:account_id>/attempts/", views.attempt_create, name="attempt-create"),
    path("<int:account_id>/verify/", views.verify, name="verify"),
    path("<int:account_id>/callback/", views.callback_create, name="callback-create"),
    path("<int:account_id>/phones/", views.phone_create, name="phone-create"),
    path("<int:account_id>/phones/<int:phone_id>/status/", views.phone_status, name="phone-status"),
    path("<int:account_id>/addresses/", views.address_create, name="address-create"),
    path("<int:account_id>/emails/", views.email_create, name="email-create"),
    path("<int:account_id>/holds/", views.hold_create, name="hold-create"),
    path("<int:account_id>/preferences/", views.preference_create, name="preference-create"),
    path("<int:account_id>/parties/", views.party_create, name="party-create"),
    path("<int:account_id>/notices/", views.notice_create, name="notice-create"),
    path("<int:account_id>/plans/preview/", views.plan_preview, name="plan-preview"),
    path("<int:account_id>/plans/", views.plan_create_view, name="plan-create"),
    path("<int:account_id>/plans/<int:plan_id>/cancel/", views.plan_cancel_view, name="plan-cancel"),
    path("<int:account_id>/promises/", views.promise_create, name="promise-create"),
    path("<int:account_id>/payments/", views.payment_create, name="payment-create"),
    path("<int:account_id>/sends/cancel/", views.send_cancel_view, name="send-cancel"),
    path("<int:account_id>/holds/<int:hold_id>/release/", views.hold_end, name="hold-release"),
]
