from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kb.models import Category
from kb.rendering import parse_tags
from tenants.models import Tenant


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    slug = forms.SlugField(max_length=120, required=False, label=_("Address"),
                           help_text=_("Leave empty to derive it from the title."))
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False, label=_("Category"))
    tags = forms.CharField(max_length=400, required=False, label=_("Tags"), help_text=_("Comma-separated."))
    locale = forms.ChoiceField(choices=settings.LANGUAGES, initial="en", label=_("Language"))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 22, "data-preview-source": ""}), required=False,
                           label=_("Body (Markdown)"), max_length=200_000)
    note = forms.CharField(max_length=200, required=False, label=_("Revision note"))

    def __init__(self, *args: object, tenant: Tenant, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["category"].queryset = Category.objects.for_tenant(tenant).order_by("position", "title")  # type: ignore[attr-defined]

    def clean_tags(self) -> list[str]:
        return parse_tags(str(self.cleaned_data.get("tags") or ""))


class CategoryForm(forms.Form):
    title = forms.CharField(max_length=120, label=_("Title"))
    slug = forms.SlugField(max_length=80, required=False, label=_("Address"))
    description = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                  label=_("Description"))
    position = forms.IntegerField(min_value=0, max_value=100_000, required=False, label=_("Position"))


class ImportForm(forms.Form):
    archive = forms.FileField(label=_("Zip of Markdown files"),
                              help_text=_("Folders are categories (optional _category.md), files are articles."))
    publish = forms.BooleanField(required=False, initial=True, label=_("Publish the imported articles"))


class PreviewForm(forms.Form):
    body = forms.CharField(required=False, max_length=200_000)


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda v: v == "yes",
                                     label=_("Was this article helpful?"))
    comment = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              label=_("Comment"))


class SearchForm(forms.Form):
    q = forms.CharField(max_length=500, required=False, label=_("Search"))
    mode = forms.ChoiceField(choices=[("hybrid", _("Hybrid")), ("vector", _("Meaning")), ("fts", _("Words"))],
                             required=False)


class TranslateForm(forms.Form):
    locale = forms.ChoiceField(choices=settings.LANGUAGES, label=_("Language"))
