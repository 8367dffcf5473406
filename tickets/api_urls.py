from __future__ import annotations

from django.urls import path

from tickets.api import views

urlpatterns = [
    path("tickets/", views.TicketListView.as_view(), name="api_tickets"),
    path("tickets/<int:ticket_id>/", views.TicketDetailView.as_view(), name="api_ticket"),
    path("tickets/<int:ticket_id>/messages/", views.TicketMessagesView.as_view(), name="api_ticket_messages"),
    path("tickets/<int:ticket_id>/assign-round-robin/", views.TicketRoundRobinView.as_view(),
         name="api_ticket_round_robin"),
    path("tickets/<int:ticket_id>/merge/", views.TicketMergeView.as_view(), name="api_ticket_merge"),
    path("tickets/<int:ticket_id>/apply-macro/", views.TicketApplyMacroView.as_view(), name="api_ticket_macro"),
    path("customers/", views.CustomerListView.as_view(), name="api_customers"),
    path("customers/<int:customer_id>/", views.CustomerDetailView.as_view(), name="api_customer"),
    path("teams/", views.TeamListView.as_view(), name="api_teams"),
    path("teams/<int:team_id>/", views.TeamDetailView.as_view(), name="api_team"),
    path("macros/", views.MacroListView.as_view(), name="api_macros"),
    path("macros/<int:macro_id>/", views.MacroDetailView.as_view(), name="api_macro"),
    path("webhooks/", views.WebhookListView.as_view(), name="api_webhooks"),
    path("webhooks/<int:webhook_id>/", views.WebhookDetailView.as_view(), name="api_webhook"),
    path("webhooks/<int:webhook_id>/deliveries/", views.WebhookDeliveriesView.as_view(), name="api_webhook_deliveries"),
    path("inbound/email/", views.InboundEmailView.as_view(), name="api_inbound_email"),
]
