"""Browser forms of the agent workspace and the customer portal."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import Priority, Status

BULK_ACTIONS = [
    ("assign_me", _("Assign to me")),
    ("unassign", _("Unassign")),
    ("status:open", _("Mark open")),
    ("status:pending", _("Mark pending")),
    ("status:solved", _("Mark solved")),
    ("status:closed", _("Close")),
    ("priority:urgent", _("Priority urgent")),
    ("priority:high", _("Priority high")),
    ("priority:normal", _("Priority normal")),
    ("priority:low", _("Priority low")),
]


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=100_000,
                           label=_("Message"))
    kind = forms.ChoiceField(label=_("Type"), choices=[("reply", _("Public reply")), ("note", _("Internal note"))],
                             initial="reply")
    macro = forms.IntegerField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=[("", _("Keep status")), *Status.choices], required=False,
                               label=_("Then set status"))
    attachment = forms.FileField(required=False, label=_("Attachment"))


class TicketFieldsForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices, label=_("Status"))
    priority = forms.ChoiceField(choices=Priority.choices, label=_("Priority"))
    assignee = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Assignee"))
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Team"))
    tags = forms.CharField(required=False, max_length=500, label=_("Tags"), help_text=_("Comma separated"))
    round_robin = forms.BooleanField(required=False, label=_("Assign round-robin within the team"))

    def __init__(self, *args: object, agents: list[tuple[int, str]], teams: list[tuple[int, str]],
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["assignee"].choices = [("", _("Unassigned")), *agents]  # type: ignore[attr-defined]
        self.fields["team"].choices = [("", _("No team")), *teams]  # type: ignore[attr-defined]


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=BULK_ACTIONS)
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # The ids are checked against the tenant's tickets by the selector, not by a fixed list here.
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()  # type: ignore[attr-defined]


class MergeForm(forms.Form):
    target_number = forms.IntegerField(min_value=1, label=_("Merge into ticket number"))


class MacroForm(forms.Form):
    name = forms.CharField(max_length=120, label=_("Name"))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label=_("Reply text"),
                           help_text=_("Placeholders: {{customer_name}}, {{ticket_number}}, {{agent_name}}"))
    status = forms.ChoiceField(choices=[("", _("Keep status")), *Status.choices], required=False, label=_("Status"))
    priority = forms.ChoiceField(choices=[("", _("Keep priority")), *Priority.choices], required=False,
                                 label=_("Priority"))
    add_tags = forms.CharField(required=False, label=_("Add tags"), help_text=_("Comma separated"))


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120, label=_("Name"))


class MailboxForm(forms.Form):
    """The tenant's IMAP mailbox. Write-only password: stored encrypted, never rendered back (render_value=False)."""

    host = forms.CharField(max_length=253, label=_("IMAP server"),
                           help_text=_("Such as imap.example.com, on the internet."))
    port = forms.IntegerField(min_value=1, max_value=65535, initial=993, required=False, label=_("Port"),
                              help_text=_("IMAP over TLS; usually 993."))
    user = forms.CharField(max_length=254, label=_("User name"))
    password = forms.CharField(
        required=False, max_length=500, strip=False, label=_("Password"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again."),
    )
    folder = forms.CharField(max_length=200, initial="INBOX", required=False, label=_("Folder"))

    def __init__(self, *args: Any, password_hint: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if password_hint:
            self.fields["password"].help_text = _("A password ending %(hint)s is stored. Leave blank to keep "
                                                  "the current password.") % {"hint": password_hint}


WEEKDAYS = list(enumerate([_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]))
TIMEZONES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class SlaForm(forms.Form):
    urgent_first = forms.IntegerField(min_value=1, initial=30, label=_("Urgent: first response (minutes)"))
    urgent_resolution = forms.IntegerField(min_value=1, initial=240, label=_("Urgent: resolution (minutes)"))
    high_first = forms.IntegerField(min_value=1, initial=60, label=_("High: first response"))
    high_resolution = forms.IntegerField(min_value=1, initial=480, label=_("High: resolution"))
    normal_first = forms.IntegerField(min_value=1, initial=240, label=_("Normal: first response"))
    normal_resolution = forms.IntegerField(min_value=1, initial=1440, label=_("Normal: resolution"))
    low_first = forms.IntegerField(min_value=1, initial=480, label=_("Low: first response"))
    low_resolution = forms.IntegerField(min_value=1, initial=2880, label=_("Low: resolution"))
    business_hours = forms.BooleanField(required=False, label=_("Count only business hours"))
    days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, initial=[0, 1, 2, 3, 4], widget=forms.CheckboxSelectMultiple,
        label=_("Working days"))
    opens = forms.TimeField(initial="09:00", required=False, label=_("Opens at"),
                            widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    closes = forms.TimeField(initial="17:00", required=False, label=_("Closes at"),
                             widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    timezone = forms.ChoiceField(choices=TIMEZONES, initial="UTC", required=False, label=_("Time zone"))

    def hours(self) -> dict[str, object]:
        """The policy's business hours, checked by the service (which names any problem)."""
        data = self.cleaned_data
        if not data["business_hours"]:
            return {}
        opens, closes = data.get("opens"), data.get("closes")
        return {"days": data["days"] or [], "timezone": data["timezone"] or "UTC",
                "start": opens.strftime("%H:%M") if opens else "09:00",
                "end": closes.strftime("%H:%M") if closes else "17:00"}

    def targets(self) -> dict[str, dict[str, int]]:
        data = self.cleaned_data
        return {p: {"first_response": data[f"{p}_first"], "resolution": data[f"{p}_resolution"]}
                for p in ("urgent", "high", "normal", "low")}


class PortalRequestForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label=_("Your name"))
    email = forms.EmailField(label=_("Your email"))
    subject = forms.CharField(max_length=250, label=_("Subject"))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), label=_("How can we help?"), max_length=20_000)


class PortalReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("Your reply"), max_length=20_000)


class PortalLinkForm(forms.Form):
    email = forms.EmailField(label=_("Your email"))


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(coerce=int, choices=[(i, str(i)) for i in range(5, 0, -1)],
                                    widget=forms.RadioSelect, label=_("Rating"))
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000,
                              label=_("Comment"))
