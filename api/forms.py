from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken

DAYS = [("30", _("30 days")), ("90", _("90 days")), ("180", _("180 days")), ("365", _("A year"))]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("What is it for?"),
        max_length=100,
        help_text=_("For example “Power BI report” or “my script”."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text=_("Write may start, rate and submit your assessments."),
    )
    days = forms.TypedChoiceField(label=_("Expires after"), choices=DAYS, coerce=int, initial="90")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if "\x00" in name:
            raise forms.ValidationError(_("The name holds a NUL character."))
        return name
