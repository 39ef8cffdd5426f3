"""Reading a manager's review out of a POST: `v-<id>` (a level, or "" for not validated)
and `v-<id>-comment` per competence. Like assessments.forms, anything odd refuses the
whole POST with a ValidationError."""

from __future__ import annotations

import re
from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.http import QueryDict

from assessments.forms import read_ids, read_level
from assessments.models import Rating
from teams.services import Validation

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
