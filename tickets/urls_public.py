"""The customer portal, under /h/<tenant_slug>/portal/ (namespace ``portal``)."""

from __future__ import annotations

from django.urls import path

from tickets import views_portal

urlpatterns = [
    path("", views_portal.tickets, name="tickets"),
    path("link/", views_portal.send_link, name="send_link"),
    path("new/", views_portal.new, name="new"),
    path("<int:ticket_id>/", views_portal.ticket, name="ticket"),
    path("<int:ticket_id>/rate/", views_portal.rate, name="rate"),
]
