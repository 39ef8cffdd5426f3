"""The taxonomy: ISCO-08 groups, occupations, competences and occupation profiles.

Every imported record points at the `Release` it came from, so an admin can tell an
ESCO v1.1.1 line from an O*NET 29.3 one or from a hand edit (release empty).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Left
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords

from taxonomy.tabular import ISCO_CODE, OCCUPATION_CODE

OCCUPATION_CODE_MESSAGE = (
    "Letters, digits, dots and hyphens only, starting with a letter or digit "
    "(e.g. 3512.4 or 15-1232.00)."
)
ISCO_CODE_MESSAGE = "One to four digits (an ISCO-08 code such as 3512)."
# Addresses become links, so http(s) only: a URLField alone takes ftp:// too. A code of its
# own, or a model form would show its field's "Enter a valid URL." instead of this message.
HTTP_URL_VALIDATOR = URLValidator(
    schemes=["http", "https"], message="Enter an http:// or https:// address.", code="not_http"
)


class Release(models.Model):
    class Source(models.TextChoices):
        ESCO = "esco", "ESCO"
        ONET = "onet", "O*NET"
        CROSSWALK = "crosswalk", "Crosswalk"
        SEED = "seed", "Seed document"

    name = models.CharField(max_length=100, unique=True, help_text="For example “ESCO v1.1.1”.")
    source = models.CharField(max_length=20, choices=Source.choices)
    imported_at = models.DateTimeField(auto_now=True)
    version = models.CharField(
        max_length=40,
        blank=True,
        help_text="The version read from the name (“1.1.1”), empty when it has none: "
        "releases of one source are ordered by it.",
    )
    checksum = models.CharField(
        max_length=64, blank=True, help_text="Of the content last imported under this name."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.version = version_of(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("admin:taxonomy_release_change", args=[self.pk])


def version_of(name: str) -> str:
    """“1.1.1” from “ESCO v1.1.1”, “29.3” from “O*NET 29.3”; "" when the name has none."""
    match = re.search(r"(\d+(?:\.\d+)+)", name)
    return match.group(1) if match else ""


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")) if version else ()


class ReleaseChange(models.Model):
    """One thing a release changed, kept readable after later imports: the codes, URIs
    and titles are copied, not only referred to."""

    class Kind(models.TextChoices):
        OCCUPATION_ADDED = "occupation-added", "Occupation added"
        OCCUPATION_REMOVED = "occupation-removed", "Occupation removed (retired)"
        OCCUPATION_RELABELLED = "occupation-relabelled", "Occupation relabelled"
        OCCUPATION_RECODED = "occupation-recoded", "Occupation code changed"
        OCCUPATION_SPLIT = "occupation-split", "Occupation split"
        OCCUPATION_MERGED = "occupation-merged", "Occupations merged"
        COMPETENCE_ADDED = "competence-added", "Competence added"
        COMPETENCE_REMOVED = "competence-removed", "Competence removed (retired)"
        COMPETENCE_RELABELLED = "competence-relabelled", "Competence relabelled"
        COMPETENCE_REDESCRIBED = "competence-redescribed", "Competence redescribed"
        COMPETENCE_KIND = "competence-kind", "Competence kind changed"
        COMPETENCE_REUSE = "competence-reuse", "Competence reuse level changed"
        LINE_ADDED = "line-added", "Profile line added"
        LINE_REMOVED = "line-removed", "Profile line removed"
        LINE_RELATION = "line-relation", "Profile line relation changed"

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    occupation = models.ForeignKey(
        "Occupation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occupation_code = models.CharField(max_length=20, blank=True)
    occupation_title = models.CharField(max_length=255, blank=True)
    competence = models.ForeignKey(
        "Competence", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    competence_uri = models.CharField(max_length=255, blank=True)
    competence_title = models.CharField(max_length=255, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    conflict = models.BooleanField(
        default=False,
        help_text="The release changed the relation of a line an admin had tuned: the line "
        "took the release's defaults; settle its target and weight.",
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["release", "kind", "occupation_code", "competence_title", "pk"]
        indexes = [
            models.Index(fields=["release", "kind"], name="releasechange_release_kind"),
            models.Index(fields=["occupation", "kind"], name="releasechange_occupation"),
        ]

    def __str__(self) -> str:
        subject = self.occupation_code or self.competence_title
        return f"{self.release}: {self.get_kind_display()} {subject}"


class OccupationGroupQuerySet(models.QuerySet):
    def search(self, q: str) -> OccupationGroupQuerySet:
        q = q.strip()
        if not q:
            return self
        return self.filter(Q(code__startswith=q) | Q(title__icontains=q))


class OccupationGroup(models.Model):
    """An ISCO-08 group: major (level 1) down to unit group (level 4)."""

    code = models.CharField(
        max_length=4, unique=True, validators=[RegexValidator(ISCO_CODE, ISCO_CODE_MESSAGE)]
    )
    level = models.PositiveSmallIntegerField(choices=[(n, str(n)) for n in range(1, 5)])
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    uri = models.URLField(
        max_length=255, unique=True, null=True, blank=True, validators=[HTTP_URL_VALIDATOR]
    )
    tasks = models.TextField(blank=True, help_text="One task per line.")
    examples = models.TextField(blank=True, help_text="Example occupations, one per line.")
    related = models.TextField(
        blank=True, help_text="Related occupations classified elsewhere, one per line."
    )
    release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.SET_NULL)

    objects = OccupationGroupQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = "ISCO-08 group"
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=ISCO_CODE),
                name="occupationgroup_code_format",
                violation_error_message=ISCO_CODE_MESSAGE,
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("taxonomy:group-detail", args=[self.code])

    def trail(self) -> list[OccupationGroup]:
        """This group and its ancestors, broadest first (select_related the parents)."""
        trail, group = [], self
        while group is not None:
            trail.append(group)
            group = group.parent
        return trail[::-1]

    def task_list(self) -> list[str]:
        return [line for line in self.tasks.splitlines() if line.strip()]

    def example_list(self) -> list[str]:
        return [line for line in self.examples.splitlines() if line.strip()]

    def related_list(self) -> list[str]:
        return [line for line in self.related.splitlines() if line.strip()]


# What people in an ICT team type, and what ESCO and ISCO-08 call it: "help desk" finds
# ISCO 3512 "ICT user support technicians" (the ICT technician included), "IT" finds "ICT".
SEARCH_WORDS = {
    "it": ("it", "ict"),
    "ict": ("ict", "it"),
    "helpdesk": ("helpdesk", "help desk", "user support"),
    "help desk": ("help desk", "helpdesk", "user support"),
    "service desk": ("service desk", "help desk", "helpdesk", "user support"),
    "support": ("support",),
    "sysadmin": ("system administrator", "systems administrator"),
    "network admin": ("network administrator", "network technician"),
}
SEARCH_FIELDS = ("title", "alt_labels", "group__title")


def search_terms(q: str) -> list[tuple[str, ...]]:
    """The query as terms, each with the words that may stand for it: two-word phrases
    SEARCH_WORDS knows first, then the words, at most 8."""
    words = q.lower().split()
    terms, i = [], 0
    while i < len(words) and len(terms) < 8:
        pair = " ".join(words[i : i + 2])
        if pair in SEARCH_WORDS:
            terms.append(SEARCH_WORDS[pair])
            i += 2
        else:
            terms.append(SEARCH_WORDS.get(words[i], (words[i],)))
            i += 1
    return terms


# Matched as whole words only: inside other words they are everywhere ("digital", "with").
WHOLE_WORDS = {"it"}


def _matches(text: str) -> Q:
    """`text` in any searched field, as part of a word, so that a search as one types
    finds "network" from "netw"; a WHOLE_WORDS word only as a word of its own."""
    if text not in WHOLE_WORDS:
        lookups = {f"{field}__icontains": text for field in SEARCH_FIELDS}
    else:
        pattern = rf"(^|[^a-z0-9]){re.escape(text)}([^a-z0-9]|$)"
        lookups = {f"{field}__iregex": pattern for field in SEARCH_FIELDS}
    q = Q()
    for lookup, value in lookups.items():
        q |= Q(**{lookup: value})
    return q


class OccupationQuerySet(models.QuerySet):
    def search(self, q: str) -> OccupationQuerySet:
        """Title, alternative label, ISCO group title or code; every term must match
        somewhere, in its own words or in one SEARCH_WORDS gives for it."""
        q = q.strip()
        if not q:
            return self
        if q[0].isdigit():
            return self.filter(Q(code__startswith=q) | Q(group__code__startswith=q))
        result = self
        for term in search_terms(q):
            either = Q()
            for text in term:
                either |= _matches(text)
            result = result.filter(either)
        return result

    def summarise_profiles(self) -> int:
        """Bring the stored profile figures of these occupations up to date with their
        lines: whatever writes profile lines calls this for the occupations it touched."""
        lines = Requirement.objects.filter(occupation=OuterRef("pk")).order_by()

        def total(rows: models.QuerySet, value) -> Coalesce:
            summed = rows.values("occupation").annotate(v=value).values("v")
            return Coalesce(Subquery(summed), Value(0), output_field=value.output_field)

        return self.update(
            requirement_count=total(lines, Count("pk")),
            essential_count=total(
                lines.filter(relation=Requirement.Relation.ESSENTIAL), Count("pk")
            ),
            target_total=total(
                lines,
                Sum(
                    F("weight") * F("target_level"),
                    output_field=models.DecimalField(max_digits=12, decimal_places=2),
                ),
            ),
        )


class Occupation(models.Model):
    class Source(models.TextChoices):
        ESCO = "esco", "ESCO"
        ONET = "onet", "O*NET-SOC 2019"
        SOC = "soc", "SOC 2010"
        LOCAL = "local", "Local"

    source = models.CharField(max_length=10, choices=Source.choices, default=Source.LOCAL)
    uri = models.URLField(
        max_length=255, unique=True, null=True, blank=True, validators=[HTTP_URL_VALIDATOR]
    )
    code = models.CharField(
        max_length=20,
        unique=True,
        validators=[RegexValidator(OCCUPATION_CODE, OCCUPATION_CODE_MESSAGE)],
        help_text="e.g. 3512.4 or 15-1232.00: letters, digits, dots and hyphens.",
    )
    title = models.CharField(max_length=255, db_index=True)
    alt_labels = models.TextField(blank=True, help_text="Alternative labels, one per line.")
    description = models.TextField(blank=True)
    group = models.ForeignKey(
        OccupationGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="occupations",
        verbose_name="ISCO unit group",
    )
    release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.SET_NULL)
    retired_in = models.ForeignKey(
        Release,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retired_occupations",
        help_text="The release that no longer has it: kept for the assessments made of it, "
        "with its last profile, but not offered for new ones.",
    )
    # Figures of the profile, stored so that lists sort and page by them without adding up
    # the 120,000 lines of a full ESCO import each time: OccupationQuerySet.summarise_profiles.
    requirement_count = models.PositiveIntegerField(default=0, editable=False)
    essential_count = models.PositiveIntegerField(default=0, editable=False)
    target_total = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=0,
        editable=False,
        help_text="Σ weight × target over the profile: what readiness divides by.",
    )

    objects = OccupationQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        # The list sorts by these; without an index, page 100 of a full ESCO sorts every row.
        indexes = [
            models.Index(fields=["essential_count"], name="occupation_essential_count"),
            models.Index(fields=["requirement_count"], name="occupation_requirement_count"),
        ]
        constraints = [
            # The code is part of the occupation's address: whatever writes it (an import's
            # bulk SQL, admin, a shell), nothing else can be stored.
            models.CheckConstraint(
                condition=Q(code__regex=OCCUPATION_CODE),
                name="occupation_code_format",
                violation_error_message=OCCUPATION_CODE_MESSAGE,
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("taxonomy:occupation-detail", args=[self.code])

    def alt_label_list(self) -> list[str]:
        return [line for line in self.alt_labels.splitlines() if line.strip()]

    def crosswalk_codes(self) -> list[CrosswalkCode]:
        """This occupation's codes in the other classifications, through the crosswalks.

        ESCO occupations go through their ISCO unit group, O*NET and SOC ones through
        their own code; at most four queries whatever the size of the tables.
        """
        S = CrosswalkPair.Scheme
        pairs = CrosswalkPair.objects
        codes: list[CrosswalkCode] = []
        soc2010: list[str] = []
        if self.source == self.Source.ONET:
            for p in pairs.onet2019_to_soc2010([self.code]):
                codes.append(CrosswalkCode(S.ONET2010, p.source_code, p.source_title, p.partial))
                soc2010.append(p.soc2010)
            for p in pairs.filter(source_scheme=S.ONET2019, source_code=self.code):
                codes.append(
                    CrosswalkCode(p.target_scheme, p.target_code, p.target_title, p.partial)
                )
        elif self.source == self.Source.SOC:
            soc2010.append(self.code)
        elif self.group_id and len(self.group.code) == 4:
            for p in pairs.isco_to_soc2010([self.group.code]):
                codes.append(CrosswalkCode(S.SOC2010, p.target_code, p.target_title, p.partial))
                soc2010.append(p.target_code)
        if soc2010 and self.source != self.Source.ONET:
            for p in pairs.soc2010_to_onet2019(soc2010):
                codes.append(CrosswalkCode(S.ONET2019, p.target_code, p.target_title, p.partial))
        if soc2010 and self.source != self.Source.ESCO and self.source != self.Source.LOCAL:
            for p in pairs.soc2010_to_isco(soc2010):
                codes.append(CrosswalkCode(S.ISCO08, p.source_code, p.source_title, p.partial))
        unique = {(c.scheme, c.code): c for c in codes}
        return sorted(unique.values(), key=lambda c: (c.scheme, c.code))


class CrosswalkCode(NamedTuple):
    scheme: str
    code: str
    title: str
    partial: bool


class CrosswalkPairQuerySet(models.QuerySet):
    """The links of the one chain the crosswalks make, ISCO-08 <-> SOC 2010 <-> O*NET-SOC
    2010 <-> O*NET-SOC 2019: every walk along it (an occupation's codes, placing O*NET
    occupations in ISCO) goes through these. An O*NET-SOC code is its SOC code plus a
    two-digit suffix (15-1151.00 is in SOC 15-1151).
    """

    def isco_to_soc2010(self, isco_codes: Iterable[str]) -> CrosswalkPairQuerySet:
        S = CrosswalkPair.Scheme
        return self.filter(
            source_scheme=S.ISCO08, target_scheme=S.SOC2010, source_code__in=list(isco_codes)
        )

    def soc2010_to_isco(self, soc_codes: Iterable[str] | None = None) -> CrosswalkPairQuerySet:
        """ISCO-08 -> SOC 2010 pairs read backwards: source_code is the ISCO code."""
        S = CrosswalkPair.Scheme
        pairs = self.filter(source_scheme=S.ISCO08, target_scheme=S.SOC2010)
        return pairs if soc_codes is None else pairs.filter(target_code__in=list(soc_codes))

    def soc2010_to_onet2019(self, soc_codes: Iterable[str]) -> CrosswalkPairQuerySet:
        S = CrosswalkPair.Scheme
        starts = Q()
        for code in soc_codes:
            starts |= Q(source_code__startswith=code + ".")
        return self.filter(starts, source_scheme=S.ONET2010, target_scheme=S.ONET2019)

    def onet2019_to_soc2010(self, onet_codes: Iterable[str] | None = None) -> CrosswalkPairQuerySet:
        """O*NET-SOC 2010 -> 2019 pairs read backwards, each with `soc2010`: the SOC 2010
        code of its O*NET-SOC 2010 source."""
        S = CrosswalkPair.Scheme
        pairs = self.filter(source_scheme=S.ONET2010, target_scheme=S.ONET2019).annotate(
            soc2010=Left("source_code", 7)
        )
        return pairs if onet_codes is None else pairs.filter(target_code__in=list(onet_codes))


class CrosswalkPair(models.Model):
    """One line of a published crosswalk table, e.g. ISCO-08 3512 -> SOC 2010 15-1151."""

    class Scheme(models.TextChoices):
        ISCO08 = "ISCO-08"
        SOC2010 = "SOC 2010"
        ONET2010 = "O*NET-SOC 2010"
        ONET2019 = "O*NET-SOC 2019"
        SOC2018 = "SOC 2018"

    source_scheme = models.CharField(max_length=20, choices=Scheme.choices)
    source_code = models.CharField(max_length=20)
    source_title = models.CharField(max_length=255)
    target_scheme = models.CharField(max_length=20, choices=Scheme.choices)
    target_code = models.CharField(max_length=20)
    target_title = models.CharField(max_length=255)
    partial = models.BooleanField(default=False, help_text="Only part of the source maps here.")
    release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.SET_NULL)

    objects = CrosswalkPairQuerySet.as_manager()

    class Meta:
        ordering = ["source_scheme", "source_code", "target_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_scheme", "source_code", "target_scheme", "target_code"],
                name="unique_crosswalk_pair",
            )
        ]
        indexes = [models.Index(fields=["target_scheme", "target_code"])]

    def __str__(self) -> str:
        return f"{self.source_scheme} {self.source_code} → {self.target_scheme} {self.target_code}"


class Competence(models.Model):
    class Kind(models.TextChoices):
        KNOWLEDGE = "knowledge", "Knowledge"
        SKILL = "skill", "Skill"
        UNKNOWN = "unknown", "Unknown"

    class ReuseLevel(models.TextChoices):
        OCCUPATION_SPECIFIC = "occupation-specific", "Occupation-specific"
        SECTOR_SPECIFIC = "sector-specific", "Sector-specific"
        CROSS_SECTOR = "cross-sector", "Cross-sector"
        TRANSVERSAL = "transversal", "Transversal"
        UNKNOWN = "unknown", "Unknown"

    uri = models.URLField(
        max_length=255, unique=True, null=True, blank=True, validators=[HTTP_URL_VALIDATOR]
    )
    title = models.CharField(max_length=255, db_index=True)
    alt_labels = models.TextField(blank=True, help_text="Alternative labels, one per line.")
    description = models.TextField(blank=True)
    group = models.CharField(
        max_length=255,
        blank=True,
        help_text="What it sits under in ESCO's skills hierarchy, e.g. “computer programming”: "
        "the rating page groups competences by it.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.UNKNOWN)
    reuse_level = models.CharField(
        max_length=20, choices=ReuseLevel.choices, default=ReuseLevel.UNKNOWN
    )
    release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.SET_NULL)
    retired_in = models.ForeignKey(
        Release,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retired_competences",
        help_text="The release that no longer has it: kept for the ratings of it.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ProfileSection(NamedTuple):
    """A part of a profile, as ESCO's pages divide one: relation, then kind."""

    relation: str
    kind: str
    label: str  # "Essential knowledge"
    kind_label: str  # "Knowledge", within the relation


class Requirement(models.Model):
    """One line of an occupation's competence profile."""

    class Relation(models.TextChoices):
        ESSENTIAL = "essential", "Essential"
        OPTIONAL = "optional", "Optional"

    # The profile's sections in order: the occupation page, the rating page and the gap
    # report all divide a profile so.
    SECTIONS = (
        ProfileSection("essential", "knowledge", "Essential knowledge", "Knowledge"),
        ProfileSection("essential", "skill", "Essential skills", "Skills"),
        ProfileSection("essential", "unknown", "Other essential competences", "Other competences"),
        ProfileSection("optional", "knowledge", "Optional knowledge", "Knowledge"),
        ProfileSection("optional", "skill", "Optional skills", "Skills"),
        ProfileSection("optional", "unknown", "Other optional competences", "Other competences"),
    )

    occupation = models.ForeignKey(
        Occupation, on_delete=models.CASCADE, related_name="requirements"
    )
    competence = models.ForeignKey(
        Competence, on_delete=models.PROTECT, related_name="requirements"
    )
    relation = models.CharField(max_length=10, choices=Relation.choices)
    target_level = models.PositiveSmallIntegerField()
    weight = models.DecimalField(max_digits=5, decimal_places=2)
    release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.SET_NULL)

    history = HistoricalRecords()

    class Meta:
        ordering = ["occupation", "relation", "competence__title"]
        constraints = [
            models.UniqueConstraint(fields=["occupation", "competence"], name="unique_requirement"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="requirement_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.occupation.code}: {self.competence_id} ({self.relation})"


def profile_section(relation: str, kind: str) -> ProfileSection:
    """The section a line of this relation and competence kind belongs to."""
    for section in Requirement.SECTIONS:
        if (section.relation, section.kind) == (relation, kind):
            return section
    raise ValueError(f"No profile section for {relation} {kind}.")


class ProficiencyScale(models.Model):
    """The levels people rate themselves on, and the defaults for new profile lines.

    The first scale (lowest id) with levels is the one in use (the first of all while none
    has any); admins edit its levels and defaults.
    """

    name = models.CharField(max_length=100, unique=True)
    essential_target = models.PositiveSmallIntegerField(default=3)
    optional_target = models.PositiveSmallIntegerField(default=2)
    essential_weight = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(2))
    optional_weight = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(1))

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> ProficiencyScale:
        """The scale in use, with its levels read in the same query. Whatever needs the
        scale, its levels or its top level asks this, and nothing else."""
        # Every scale's levels (a handful), of which the first scale's: quicker to ask for
        # than the first scale's alone through a subquery, and every page asks.
        every = list(ProficiencyLevel.objects.select_related("scale").order_by("scale_id", "value"))
        levels = [level for level in every if level.scale_id == every[0].scale_id]
        scale = levels[0].scale if levels else cls.objects.order_by("id").first()
        if scale is None:
            raise cls.DoesNotExist("No proficiency scale: run migrations.")
        scale.__dict__["ordered_levels"] = levels  # what the cached property would read
        return scale

    @cached_property
    def ordered_levels(self) -> list[ProficiencyLevel]:
        """The levels, lowest first."""
        return list(self.levels.order_by("value"))

    @property
    def top_level(self) -> int:
        """The highest level: "expert" on the default scale."""
        return self.ordered_levels[-1].value if self.ordered_levels else 0

    @property
    def level_names(self) -> dict[int, str]:
        return {level.value: level.name for level in self.ordered_levels}

    def default_target(self, relation: str) -> int:
        if relation == Requirement.Relation.ESSENTIAL:
            return self.essential_target
        return self.optional_target

    def default_weight(self, relation: str) -> Decimal:
        if relation == Requirement.Relation.ESSENTIAL:
            return self.essential_weight
        return self.optional_weight


class ProficiencyLevel(models.Model):
    scale = models.ForeignKey(ProficiencyScale, on_delete=models.CASCADE, related_name="levels")
    value = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=50)
    descriptor = models.CharField(max_length=255)

    history = HistoricalRecords()

    class Meta:
        ordering = ["scale", "value"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "value"], name="unique_level_value")
        ]

    def __str__(self) -> str:
        return f"{self.value} {self.name}"


class ImportRun(models.Model):
    """One run of an import command. Imports write in bulk, past the per-row history, so
    this is their audit trail: what ran, who ran it, when, and what it changed."""

    command = models.CharField(max_length=50)
    summary = models.TextField(help_text="The command's summary: release and counts.")
    by = models.CharField(
        max_length=150,
        help_text="The operating-system user who ran it, or who queued it for the task worker.",
    )
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        return f"{self.command} by {self.by}, {self.finished_at:%Y-%m-%d %H:%M}"
