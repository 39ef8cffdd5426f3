"""What the API sends and takes. The reports are the dataclasses of assessments/reports.py
and teams/reports.py, read attribute by attribute: the schema names what is published."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from assessments.models import rating_state

# Decimals and fractions of the reports, as JSON numbers.
Number = Annotated[float, BeforeValidator(float)]


def _none_or_float(value):
    return None if value is None else float(value)


OptionalNumber = Annotated[float | None, BeforeValidator(_none_or_float)]


class Page(Schema):
    next: str | None = Field(
        description="The next page's URL, with an opaque cursor; null on the last page."
    )


# Taxonomy ------------------------------------------------------------------------------


class OccupationOut(Schema):
    code: str
    title: str
    description: str
    uri: str | None
    group: str | None = Field(None, validation_alias="group_code")
    requirement_count: int
    essential_count: int


class OccupationPage(Page):
    items: list[OccupationOut]


class ProfileLine(Schema):
    competence_id: int
    uri: str | None = Field(validation_alias="competence.uri")
    title: str = Field(validation_alias="competence.title")
    kind: str = Field(validation_alias="competence.kind")
    reuse_level: str = Field(validation_alias="competence.reuse_level")
    relation: str
    target_level: int
    weight: Number


class OccupationDetail(OccupationOut):
    profile: list[ProfileLine]


class LevelOut(Schema):
    value: int
    name: str
    descriptor: str


class ScaleOut(Schema):
    name: str
    levels: list[LevelOut]
    essential_target: int
    optional_target: int
    essential_weight: Number
    optional_weight: Number


# People and assessments ---------------------------------------------------------------


class PersonOut(Schema):
    username: str
    name: str
    is_you: bool


class PersonPage(Page):
    items: list[PersonOut]


class AssessmentOut(Schema):
    id: int
    username: str = Field(validation_alias="user.username")
    occupation_code: str = Field(validation_alias="occupation.code")
    occupation_title: str = Field(validation_alias="occupation.title")
    status: Literal["draft", "submitted"]
    created_at: datetime
    submitted_at: datetime | None
    readiness: int | None = Field(
        description="Reviewed readiness, percent: validated levels where a manager gave them."
    )
    essentials_met: int | None
    essentials_total: int | None
    review_state: str


class AssessmentPage(Page):
    items: list[AssessmentOut]


class RatingOut(Schema):
    competence_id: int
    title: str = Field(validation_alias="competence.title")
    state: Literal["rated", "dont-know", "unrated"]
    level: int | None = Field(validation_alias="self_level")
    confidence: str
    evidence: str
    carried: bool
    rated_at: datetime | None
    relation: str = Field(description="As submitted; empty on a draft.")
    target_level: int | None
    weight: OptionalNumber
    validated_level: int | None

    @staticmethod
    def resolve_state(rating) -> str:
        return rating_state(rating.answered, rating.level)


class AssessmentDetail(AssessmentOut):
    ratings: list[RatingOut] = Field(validation_alias="ratings_out")


class RatingIn(Schema):
    competence_id: int
    level: int | None = Field(None, description="A level on the scale; null leaves it as it was.")
    dont_know: bool = Field(False, description="Answer “Don't know” (no level).")
    confidence: Literal["", "low", "medium", "high"] = ""
    evidence: str = Field("", max_length=500)


class RatingsIn(Schema):
    ratings: list[RatingIn] = Field(min_length=1, max_length=500)
    confirm: list[int] = Field(
        [], max_length=500, description="Carried-over ratings to confirm as still accurate."
    )
    client: str = Field(
        "", description="Names the sender; with seq, a save overtaken by a later one is ignored."
    )
    seq: int = Field(0, ge=0, le=10**15)


class RatingsSaved(Schema):
    saved: list[int] = Field(description="Competences whose answer was stored.")
    confirmed: list[int]
    ignored: list[int] = Field(description="Answers overtaken by a later save of the client.")


class StartIn(Schema):
    occupation: str = Field(max_length=20, description="The occupation's code.")


class SubmitIn(Schema):
    confirm_rest: bool = Field(
        False, description="Confirm every carried-over rating still unconfirmed, then submit."
    )


# The gap report (assessments/reports.py) ----------------------------------------------


class LineOut(Schema):
    competence_id: int = Field(validation_alias="key")
    title: str
    relation: str
    target: int
    weight: Number
    level: int | None
    answered: bool
    kind: str
    reuse_level: str
    gap: int
    met: bool


class HeadlineOut(Schema):
    readiness: int | None = Field(description="Self-rated readiness, percent.")
    essentials_met: int
    essentials_total: int
    verdict: str


class ResourceOut(Schema):
    title: str
    url: str
    kind: str


class GapOut(Schema):
    line: LineOut
    resources: list[ResourceOut]
    gain: int = Field(description="Readiness points closing this gap adds.")


class SummaryOut(Schema):
    name: str
    total: int
    met: int
    readiness: int | None
    gap: int
    mean_target: Number
    mean_level: Number


class BreakdownOut(Schema):
    caption: str
    column: str
    rows: list[SummaryOut]


class ChangeOut(Schema):
    line: LineOut
    before: int | None
    delta: int


class ComparisonOut(Schema):
    assessment_id: int
    submitted_at: datetime
    readiness: int | None
    readiness_delta: int | None
    essentials_met: int
    essentials_delta: int
    changes: list[ChangeOut]
    added: list[str] = Field(
        description="Competences (titles) in this assessment's profile but not the previous "
        "one's: another release. Compared on what both share, these listed apart."
    )
    removed: list[str] = Field(
        description="Competences (titles) in the previous assessment's profile but not this one's."
    )
    release: str = Field(
        description="The release the previous assessment was made against; empty when unrecorded."
    )


class MatchOut(Schema):
    code: str
    title: str
    readiness: int | None = Field(validation_alias="match.readiness")
    rated_share: int = Field(validation_alias="match.rated_share")
    shared: int = Field(validation_alias="match.shared")


class ReviewLineOut(Schema):
    title: str
    answered: bool
    level: int | None
    validated_level: int | None
    comment: str
    accepted: bool


class ReviewOut(Schema):
    reviewed_at: datetime | None
    reviewer: str
    readiness: int | None = Field(description="Reviewed readiness, percent.")
    essentials_met: int | None
    essentials_total: int | None
    lines: list[ReviewLineOut]


class StaleOut(Schema):
    title: str
    months: int


class GapReportOut(Schema):
    assessment_id: int
    occupation_code: str
    occupation_title: str
    is_draft: bool
    submitted_at: datetime | None
    release: str = Field(
        description="The release of the profile the assessment was made against; empty when "
        "it was made before releases were recorded."
    )
    headline: HeadlineOut
    lines: list[LineOut]
    sections: list[SummaryOut]
    gaps: list[GapOut]
    strengths: list[LineOut]
    breakdowns: list[BreakdownOut]
    comparison: ComparisonOut | None
    matches: list[MatchOut]
    review: ReviewOut | None
    stale: list[StaleOut]


# Teams (teams/reports.py) -------------------------------------------------------------


class TeamOut(Schema):
    id: int
    name: str
    occupation_code: str = Field(validation_alias="occupation.code")
    occupation_title: str = Field(validation_alias="occupation.title")


class TeamPage(Page):
    items: list[TeamOut]


class MemberOut(Schema):
    name: str
    username: str
    occupation_code: str
    occupation_title: str
    assessment_id: int | None
    readiness: int | None = Field(description="Reviewed readiness, percent.")
    essentials_met: int | None
    essentials_total: int | None
    essential_gaps: int | None
    last_assessed: datetime | None
    review_state: str
    self_bias: OptionalNumber
    validated_count: int | None
    stale_essentials: int | None
    release: str = Field(
        description="The release of the profile the assessment was made against; empty when "
        "not assessed or not recorded."
    )


class CompetenceOut(Schema):
    competence_id: int
    title: str
    relation: str
    kind: str
    reuse_level: str
    assessed: int
    meeting: int
    mean_level: float | None
    mean_gap: float | None
    experts: int
    coverage_risk: bool = Field(description="Fewer than two members meet the target.")
    stale: int


class ThinOut(Schema):
    title: str
    relation: str
    meeting: list[str] = Field(description="Who meets it: nobody or one person.")


class TeamSummaryOut(Schema):
    readiness: int | None
    assessed: int
    members: int
    essential_gaps: list[str] = Field(description="Members with an essential gap.")
    thin: list[ThinOut] = Field(description="Coverage risks: competences under two people meet.")


class ReleaseCountOut(Schema):
    release: str = Field(description="Empty for assessments made before releases were recorded.")
    members: int


class ApartOut(Schema):
    competence_id: int
    title: str
    relation: str
    change: str = Field(description="added or removed")
    release: str = Field(description="The release that added or removed it.")
    members: int = Field(description="Assessed members whose assessment has it.")


class TeamReleasesOut(Schema):
    releases: list[ReleaseCountOut] = Field(
        description="The releases the members' latest assessments were made against, oldest first."
    )
    shared: int = Field(
        description="When they differ: the competences all share, on which the figures compare."
    )
    apart: list[ApartOut] = Field(
        description="When they differ: competences only some members' releases have, left out "
        "of the competences and coverage risks, never counted as a gap."
    )


class MonthOut(Schema):
    month: date
    readiness: float
    members: int


class TeamReportOut(Schema):
    team: TeamOut
    occupation_code: str
    summary: TeamSummaryOut
    releases: TeamReleasesOut
    members: list[MemberOut]
    competences: list[CompetenceOut]
    months: list[MonthOut]
