"""Reading a manager's review out of a POST: `v-<id>` (a level, or "" for not validated)
and `v-<id>-comment` per competence. Like assessments.forms, anything odd refuses the
whole POST with a ValidationError."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from assessments.forms import read_ids, read_level
from assessments.models import Rating
from teams.models import Assignment, MailPreference, ReviewCycle, Team
from teams.services import Validation, cycle_refusals

COMMENT_MAX = Rating._meta.get_field("review_comment").max_length
VALIDATION_FIELD = re.compile(r"v-(\d{1,12})(-comment)?")


def read_validations(
    data: QueryDict, *, competences: Collection[int], levels: Collection[int]
) -> list[Validation]:
    """The review form's `v-<id>` (a level, or "" for not validated) and `v-<id>-comment`.

    Like read_answers, anything odd refuses the whole POST.
    """
    mentioned: set[int] = set()
    for name in data:
        match = VALIDATION_FIELD.fullmatch(name)
        if match:
            mentioned.add(int(match[1]))
        elif name.startswith("v-"):
            raise ValidationError("The form holds a field it does not have.")
    unknown = mentioned - set(competences)
    if unknown:
        raise ValidationError(f"Not a competence of this assessment: {sorted(unknown)[:5]}.")
    validations = []
    for competence_id in sorted(mentioned):
        name = f"v-{competence_id}"
        if len(data.getlist(name)) > 1 or len(data.getlist(f"{name}-comment")) > 1:
            raise ValidationError("A competence appears twice in the form.")
        choice = data.get(name, "")
        level = read_level(choice, levels) if choice else None
        comment = data.get(f"{name}-comment", "").strip()
        if len(comment) > COMMENT_MAX:
            raise ValidationError(f"A comment is limited to {COMMENT_MAX} characters.")
        if "\x00" in comment:
            raise ValidationError("A comment holds a NUL character.")
        validations.append(Validation(competence_id, level, comment))
    return validations


def read_agreements(data: QueryDict, *, competences: Collection[int]) -> set[int]:
    """The competences an "Agree" button names: a row's button one, a section's all it shows."""
    return read_ids(data.getlist("agree"), allowed=competences)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CycleForm(forms.Form):
    """A new review cycle's name and dates; the refusals are teams.services.cycle_refusals."""

    name = forms.CharField(
        label=_("Name"),
        max_length=ReviewCycle._meta.get_field("name").max_length,
        help_text=_("For example “2027 Q1 skills review”."),
    )
    opens_on = forms.DateField(
        label=_("Opens on"),
        widget=DateInput(),
        help_text=_("A cycle opening today opens at once, and members are told by e-mail."),
    )
    self_due = forms.DateField(label=_("Self-assessment due"), widget=DateInput())
    review_due = forms.DateField(label=_("Review due"), widget=DateInput())
    repeat_every_months = forms.IntegerField(
        label=_("Repeat every (months)"),
        required=False,
        min_value=1,
        max_value=24,
        help_text=_("Leave empty for a one-off cycle. Closing it then prepares the next one."),
    )

    def __init__(self, *args, team: Team | None, today: date, **kwargs):
        """`team` None: the dates for several teams, each team's own refusals left to
        teams.services.cycle_create."""
        super().__init__(*args, **kwargs)
        self.team, self.today = team, today
        self.fields["opens_on"].initial = today

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if "\x00" in name:
            raise forms.ValidationError(_("The name holds a NUL character."))
        return name

    def clean(self) -> dict:
        data = super().clean()
        if all(data.get(f) for f in ("opens_on", "self_due", "review_due")):
            errors = cycle_refusals(
                team=self.team,
                opens_on=data["opens_on"],
                self_due=data["self_due"],
                review_due=data["review_due"],
                today=self.today,
            )
            for field, message in errors.items():
                self.add_error(None if field == "__all__" else field, message)
        return data


class ExcuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=Assignment._meta.get_field("excused_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example leave, illness or joining late. The member does not see it."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if "\x00" in reason:
            raise forms.ValidationError(_("The reason holds a NUL character."))
        return reason


class MailPreferenceForm(forms.ModelForm):
    class Meta:
        model = MailPreference
        fields = ["weekly_digest"]
        help_texts = {
            "weekly_digest": _(
                "Mondays, one e-mail with everything of the week: cycles opened, reminders, "
                "reviews. Without it, each arrives on its own."
            )
        }
