"""Reading rating answers out of a POST.

The rating page is one form with three fields per competence: `c-<id>` (a level on the
scale, or `dk` for "Don't know"), `c-<id>-confidence` and `c-<id>-evidence`. The
htmx autosave posts the same names for one competence, plus `client` (a random name of
the page that sends it) and `seq` (that page's count of its saves), which order the saves
(see Rating).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.http import QueryDict

from assessments.models import Rating
from assessments.services import Answer

DONT_KNOW = "dk"
EVIDENCE_MAX = Rating._meta.get_field("evidence").max_length
# fullmatch: with match and $, "c-1\n" would pass as c-1.
FIELD = re.compile(r"c-(\d{1,12})(-confidence|-evidence)?")
CLIENT = re.compile(r"[A-Za-z0-9_-]{1,64}")
CONFIDENCES = {"", *Rating.Confidence.values}


def field_name(competence_id: int) -> str:
    return f"c-{competence_id}"


def read_answers(
    data: QueryDict, *, profile: Collection[int], levels: Collection[int]
) -> list[Answer]:
    """Every competence the POST speaks of, validated; ValidationError on anything odd.

    Any field naming a competence outside `profile`, a level off the scale, an unknown
    confidence or an over-long note refuses the whole POST, so nothing half-applies.
    """
    client, seq = read_order(data)
    mentioned: set[int] = set()
    for name in data:
        match = FIELD.fullmatch(name)
        if match:
            mentioned.add(int(match[1]))
        elif name.startswith("c-"):
            raise ValidationError("The form holds a field it does not have.")
    unknown = mentioned - set(profile)
    if unknown:
        raise ValidationError(f"Not a competence of this profile: {sorted(unknown)[:5]}.")
    answers = []
    for competence_id in sorted(mentioned):
        name = field_name(competence_id)
        keys = (name, f"{name}-confidence", f"{name}-evidence")
        if any(len(data.getlist(key)) > 1 for key in keys):
            raise ValidationError(f"Competence {competence_id} was given twice.")
        choice = data.get(name)
        confidence = data.get(f"{name}-confidence", "")
        evidence = data.get(f"{name}-evidence", "").strip()
        answered, level = choice is not None, None
        if choice is not None and choice != DONT_KNOW:
            level = read_level(choice, levels)
        if confidence not in CONFIDENCES:
            raise ValidationError(f"“{confidence[:20]}” is not a confidence.")
        if len(evidence) > EVIDENCE_MAX:
            raise ValidationError(f"Keep the evidence note under {EVIDENCE_MAX} characters.")
        if "\x00" in evidence:
            raise ValidationError("The evidence note holds a NUL character.")
        answers.append(Answer(competence_id, answered, level, confidence, evidence, client, seq))
    return answers


def read_level(choice: str, levels: Collection[int]) -> int:
    if not (choice.isascii() and choice.isdigit()) or int(choice) not in levels:
        raise ValidationError(f"“{choice[:20]}” is not a level on the scale.")
    return int(choice)


def read_order(data: QueryDict) -> tuple[str, int]:
    """The client's name and sequence number; neither from the plain form."""
    client, seq = data.get("client", ""), data.get("seq", "")
    if not client and not seq:
        return "", 0
    if not CLIENT.fullmatch(client):
        raise ValidationError("Bad client name: a sequence number needs one.")
    if not (seq.isascii() and seq.isdigit()) or len(seq) > 15:
        raise ValidationError("Bad sequence number.")
    return client, int(seq)


def read_confirms(data: QueryDict, *, profile: Collection[int]) -> set[int]:
    """The competences a "still accurate" button names: `confirm` holds competence ids,
    comma-separated (a section's button names all of its own)."""
    return read_ids(data.getlist("confirm"), allowed=profile)


def read_ids(values: list[str], *, allowed: Collection[int]) -> set[int]:
    """Competence ids a button names, comma-separated, each one of `allowed`; anything
    else refuses the whole POST."""
    ids: set[int] = set()
    for value in values:
        for part in value.split(","):
            if not (part.isascii() and part.isdigit()) or len(part) > 12:
                raise ValidationError("A button names competences by number.")
            ids.add(int(part))
    unknown = ids - set(allowed)
    if unknown:
        raise ValidationError(f"Not a competence of this profile: {sorted(unknown)[:5]}.")
    return ids
