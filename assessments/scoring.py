"""The gap math: pure functions over profile lines, no Django.

For requirement i with target t, weight w and self level r ("Don't know" and unrated
count as 0): gap = max(0, t - r), met = r >= t, and readiness is
sum(w * min(r, t)) / sum(w * t). Fractions keep the arithmetic exact, so a readiness
of exactly 62.5 % rounds half up to 63 % and never to 62 % through a float error.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, Inexact, localcontext
from fractions import Fraction

ESSENTIAL = "essential"


@dataclass(frozen=True)
class Line:
    """One requirement of a profile and the level the person gave (None: unknown)."""

    key: int
    title: str
    relation: str
    target: int
    weight: Decimal
    level: int | None = None
    kind: str = ""
    reuse_level: str = ""
    answered: bool = True
    """False while unrated; with level None, answered means "Don't know"."""

    @property
    def essential(self) -> bool:
        return self.relation == ESSENTIAL

    @property
    def score(self) -> int:
        return self.level or 0

    @property
    def gap(self) -> int:
        return max(0, self.target - self.score)

    @property
    def met(self) -> bool:
        return self.score >= self.target

    @property
    def weighted_gap(self) -> Decimal:
        return self.weight * self.gap


# Sums of Decimal products are exact in this context (an inexact one would raise), and
# far quicker than sums of Fractions: a readiness is one Fraction division of two sums.
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact])


def readiness(lines: Iterable[Line]) -> Fraction | None:
    """Weighted share of the targets reached; None when nothing is asked (all targets 0)."""
    reached = wanted = Decimal(0)
    with localcontext(EXACT):
        for line in lines:
            reached += line.weight * min(line.score, line.target)
            wanted += line.weight * line.target
    if wanted == 0:
        return None
    return Fraction(reached) / Fraction(wanted)


def percent(share: Fraction | None) -> int | None:
    """A share as a whole percentage, rounding half up."""
    if share is None:
        return None
    # floor(share × 100 + 1/2) in whole numbers: a report works out dozens of these.
    return (200 * share.numerator + share.denominator) // (2 * share.denominator)


def self_bias(pairs: Iterable[tuple[int | None, int]]) -> Decimal | None:
    """Mean of self minus validated level, to two places (half up); None with no pairs.

    Each pair is (self level, validated level); an unrated or "Don't know" self level
    counts as 0. Above 0, the person rates themselves higher than the reviewer does.
    """
    differences = [(own or 0) - validated for own, validated in pairs]
    if not differences:
        return None
    mean = Fraction(sum(differences), len(differences))
    hundredths = (abs(mean) * 100 + Fraction(1, 2)).__floor__()
    return Decimal(hundredths if mean >= 0 else -hundredths) / 100


def essentials_met(lines: Iterable[Line]) -> tuple[int, int]:
    """(met, total) over the essential requirements."""
    essentials = [line for line in lines if line.essential]
    return sum(line.met for line in essentials), len(essentials)


def verdict(lines: Iterable[Line]) -> str:
    met, total = essentials_met(lines)
    missing = total - met
    if missing == 0:
        return "Ready"
    return f"{missing} essential gap{'s' if missing != 1 else ''}"


def ordered_gaps(lines: Iterable[Line]) -> list[Line]:
    """Lines below target: essential first, then the larger weighted gap, then title."""
    gaps = [line for line in lines if line.gap]
    return sorted(gaps, key=lambda line: (not line.essential, -line.weighted_gap, line.title))


def readiness_gains(gaps: Iterable[Line], lines: Iterable[Line]) -> list[Fraction]:
    """How much closing each gap raises readiness: weight × gap over Σ weight × target of
    all the lines (a share; 0 when nothing is asked). The sum is worked out once."""
    with localcontext(EXACT):
        wanted = Fraction(sum((line.weight * line.target for line in lines), Decimal(0)))
    return [Fraction(gap.weighted_gap) / wanted if wanted else Fraction(0) for gap in gaps]


def strengths(lines: Iterable[Line]) -> list[Line]:
    """Lines rated above target, the furthest above first."""
    above = [line for line in lines if line.score > line.target]
    return sorted(above, key=lambda line: (line.target - line.score, line.title))


@dataclass(frozen=True)
class Summary:
    name: str
    total: int
    met: int
    readiness: int | None
    gap: int
    mean_target: Fraction
    mean_level: Fraction


def summarise(name: str, lines: Sequence[Line]) -> Summary:
    met = gap = targets = scores = 0
    for line in lines:  # one pass: a report summarises each line three times
        score, target = line.score, line.target
        met += score >= target
        gap += max(0, target - score)
        targets += target
        scores += score
    count = len(lines) or 1
    return Summary(
        name=name,
        total=len(lines),
        met=met,
        readiness=percent(readiness(lines)),
        gap=gap,
        mean_target=Fraction(targets, count),
        mean_level=Fraction(scores, count),
    )


def breakdown(
    lines: Iterable[Line], key: Callable[[Line], str], order: Sequence[str] = ()
) -> list[Summary]:
    """One summary per value of key(line); values in `order` first, the rest by name."""
    groups: dict[str, list[Line]] = {}
    for line in lines:
        groups.setdefault(key(line), []).append(line)
    rank = {name: i for i, name in enumerate(order)}
    names = sorted(groups, key=lambda name: (rank.get(name, len(rank)), name))
    return [summarise(name, groups[name]) for name in names]


@dataclass(frozen=True)
class Change:
    line: Line
    before: int | None
    """The earlier level; None when the competence was unknown or not in the earlier profile."""

    @property
    def delta(self) -> int:
        return self.line.score - (self.before or 0)


def compare(previous: Iterable[Line], current: Iterable[Line]) -> list[Change]:
    """Per-competence change from an earlier assessment, the biggest moves first."""
    before = {line.key: line.level for line in previous}
    changes = [Change(line, before.get(line.key)) for line in current]
    return sorted(changes, key=lambda change: (-abs(change.delta), change.line.title))


@dataclass(frozen=True)
class AcrossReleases:
    """What the profiles of several releases share, and where each other competence came
    or went: compared on `shared` only, the others listed apart, never as gaps."""

    shared: frozenset[int]
    added: dict[int, str]  # key -> the release that brought it in
    removed: dict[int, str]  # key -> the release that dropped it


def across_releases(profiles: Sequence[tuple[str, Collection[int]]]) -> AcrossReleases:
    """`profiles`, oldest release first, as (release, keys of its profile). A key the first
    release has was removed in the first release without it; any other was added in the
    first release with it."""
    sets = [(release, set(keys)) for release, keys in profiles]
    every = set().union(*(keys for _, keys in sets))
    shared = every.intersection(*(keys for _, keys in sets))
    added, removed = {}, {}
    for key in every - shared:
        if key in sets[0][1]:
            removed[key] = next(release for release, keys in sets if key not in keys)
        else:
            added[key] = next(release for release, keys in sets if key in keys)
    return AcrossReleases(frozenset(shared), added, removed)


@dataclass(frozen=True)
class Match:
    occupation: int
    readiness: int | None
    rated_share: int
    """Whole percentage of the profile's lines with a known level."""
    shared: int


@dataclass(frozen=True)
class ProfileSize:
    """What a whole profile adds up to: Σ weight × target, and its number of lines."""

    target_total: Decimal
    lines: int


@dataclass(frozen=True)
class Shared:
    """What a profile shares with the competences a person rated: Σ weight × min(level,
    target) over those lines (levels "Don't know" count 0), how many of them have a known
    level, and how many there are."""

    reached: Decimal
    known: int
    lines: int


def career_matches(
    shared: Mapping[int, Shared], sizes: Mapping[int, ProfileSize], limit: int = 5
) -> list[Match]:
    """Readiness against each profile from the person's latest level of each competence.

    `shared` holds, per profile, what its lines with a rated competence add up to (the
    others add nothing reached), and `sizes` the totals of each whole profile:
    readiness = Σ w·min(level, t) over the shared lines / Σ w·t over all, the same figure as
    readiness() over the whole profile, without reading all of it.
    """
    matches = [
        Match(
            occupation=occupation,
            readiness=percent(Fraction(part.reached) / Fraction(size.target_total))
            if (size := sizes[occupation]).target_total
            else None,
            # A profile holds at least the lines read from it, whatever was stored.
            rated_share=percent(Fraction(part.known, max(size.lines, part.lines))) or 0,
            shared=part.lines,
        )
        for occupation, part in shared.items()
        if part.lines
    ]
    matches.sort(key=lambda m: (-(m.readiness or 0), -m.rated_share, m.occupation))
    return matches[:limit]
