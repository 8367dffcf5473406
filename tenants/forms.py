from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from tenants.models import Role, Tenant, slug_validator


class HelpDeskForm(forms.Form):
    """A new help desk for a signed-in user."""

    company = forms.CharField(max_length=120, label="Company name")
    slug = forms.CharField(
        max_length=40, validators=[slug_validator], label="Help desk address",
        help_text="Lowercase letters, digits and hyphens; your help desk lives at /t/<address>/.",
    )

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data["slug"]).strip().lower()
        if Tenant.objects.filter(slug=slug).exists():
            raise forms.ValidationError("This address is already taken.")
        return slug


class SignupForm(HelpDeskForm):
    """Sign-up before an account exists: the password is chosen after the e-mail is confirmed."""

    name = forms.CharField(max_length=120, label="Your name", required=False)
    email = forms.EmailField(label="Work email", max_length=254)

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class SignupConfirmForm(forms.Form):
    name = forms.CharField(max_length=120, label="Your name", required=False)
    password = forms.CharField(widget=forms.PasswordInput, min_length=8, label="Choose a password")

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        validate_password(password)
        return password


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.AGENT)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=80)


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(max_length=120, required=False)
    password = forms.CharField(widget=forms.PasswordInput, min_length=8, required=False)


class TenantSettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    custom_domain = forms.CharField(max_length=253, required=False, help_text="e.g. help.example.com")
    primary_color = forms.RegexField(regex=r"^#[0-9a-fA-F]{6}$", required=False, initial="#2563eb",
                                     error_messages={"invalid": "Use a hex colour such as #2563eb."})
    logo_url = forms.URLField(required=False)
    welcome = forms.CharField(max_length=200, required=False, label="Welcome line on hosted pages")
    language = forms.ChoiceField(choices=settings.LANGUAGES, required=False, label=_("Customers' language"),
                                 help_text=_("The help center, chat and e-mails to customers start in it."))
    languages = forms.MultipleChoiceField(choices=settings.LANGUAGES, required=False,
                                          widget=forms.CheckboxSelectMultiple, label=_("Also offer"),
                                          help_text=_("Customers can switch the hosted pages to these."))


class ProfileForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, label=_("Your name"))
    language = forms.ChoiceField(
        choices=[("", _("The browser's language")), *settings.LANGUAGES], required=False, label=_("Language"),
        help_text=_("The language of the pages you work in."),
    )
