from __future__ import annotations

from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from tenants.models import Role, Tenant, slug_validator


class HelpDeskForm(forms.Form):
    """A new help desk for a signed-in user."""

    company = forms.CharField(max_length=120, label=_("Company name"))
    slug = forms.CharField(
        max_length=40, validators=[slug_validator], label=_("Help desk address"),
        help_text=_("Lowercase letters, digits and hyphens; your help desk lives at /t/<address>/."),
    )

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data["slug"]).strip().lower()
        if Tenant.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("This address is already taken."))
        return slug


class SignupForm(HelpDeskForm):
    """Sign-up before an account exists: the password is chosen after the e-mail is confirmed."""

    name = forms.CharField(max_length=120, label=_("Your name"), required=False)
    email = forms.EmailField(label=_("Work email"), max_length=254)

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class SignupConfirmForm(forms.Form):
    name = forms.CharField(max_length=120, label=_("Your name"), required=False)
    password = forms.CharField(widget=forms.PasswordInput, min_length=8, label=_("Choose a password"))

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        validate_password(password)
        return password


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254, label=_("Email"))
    role = forms.ChoiceField(choices=Role.choices, initial=Role.AGENT, label=_("Role"))


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label=_("Role"))


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=80, label=_("Name"))


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, label=_("Your name"))
    password = forms.CharField(widget=forms.PasswordInput, min_length=8, required=False, label=_("Password"))


class TenantSettingsForm(forms.Form):
    name = forms.CharField(max_length=120, label=_("Name"))
    custom_domain = forms.CharField(max_length=253, required=False, label=_("Custom domain"),
                                    help_text=_("e.g. help.example.com"))
    primary_color = forms.RegexField(regex=r"^#[0-9a-fA-F]{6}$", required=False, initial="#2563eb",
                                     label=_("Primary color"),
                                     error_messages={"invalid": _("Use a hex colour such as #2563eb.")})
    logo_url = forms.URLField(required=False, label=_("Logo URL"))
    welcome = forms.CharField(max_length=200, required=False, label=_("Welcome line on hosted pages"))
    language = forms.ChoiceField(choices=settings.LANGUAGES, required=False, label=_("Customers' language"),
                                 help_text=_("The help center, chat and e-mails to customers start in it."))
    timezone = forms.ChoiceField(choices=[(z, z) for z in sorted(available_timezones())], required=False,
                                 label=_("Time zone"), help_text=_("Times on its pages are shown in this zone."))
    languages = forms.MultipleChoiceField(choices=settings.LANGUAGES, required=False,
                                          widget=forms.CheckboxSelectMultiple, label=_("Also offer"),
                                          help_text=_("Customers can switch the hosted pages to these."))


class ProfileForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, label=_("Your name"))
    language = forms.ChoiceField(
        choices=[("", _("The browser's language")), *settings.LANGUAGES], required=False, label=_("Language"),
        help_text=_("The language of the pages you work in."),
    )
