"""The gap math, against hand-worked examples and as properties; no database."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from assessments import scoring
from assessments.scoring import Line

LEVEL = st.integers(min_value=0, max_value=4)


def line(key, target, weight, level, relation="essential", title=None, **extra) -> Line:
    return Line(
        key=key,
        title=title or f"competence {key}",
        relation=relation,
        target=target,
        weight=Decimal(weight),
        level=level,
        **extra,
    )


# Worked by hand:
#   a: essential t3 w2 r1 -> min 1, gap 2, weighted gap 4, not met
#   b: essential t3 w2 r4 -> min 3, gap 0, met, above target
#   c: optional  t2 w1 r None (don't know) -> min 0, gap 2, weighted gap 2
#   d: optional  t2 w1.5 r2 -> min 2, gap 0, met
# readiness = (2*1 + 2*3 + 1*0 + 1.5*2) / (2*3 + 2*3 + 1*2 + 1.5*2) = 11 / 17 = 64.7 % -> 65 %
EXAMPLE = [
    line(1, 3, 2, 1, title="a"),
    line(2, 3, 2, 4, title="b"),
    line(3, 2, 1, None, relation="optional", title="c"),
    line(4, 2, "1.5", 2, relation="optional", title="d"),
]


def test_gap_and_met_follow_the_formulas():
    a, b, c, d = EXAMPLE
    assert (a.gap, a.met, a.weighted_gap) == (2, False, 4)
    assert (b.gap, b.met) == (0, True)
    assert (c.score, c.gap, c.met) == (0, 2, False)
    assert (d.gap, d.met) == (0, True)


def test_readiness_of_the_worked_example():
    assert scoring.readiness(EXAMPLE) == Fraction(11, 17)
    assert scoring.percent(scoring.readiness(EXAMPLE)) == 65


def test_the_readiness_gains_of_the_worked_example():
    a, _, c, _ = EXAMPLE
    # weighted gap over the profile's sum of weight x target, 17: a 4/17, c 2/17
    assert scoring.readiness_gains([a, c], EXAMPLE) == [Fraction(4, 17), Fraction(2, 17)]
    assert scoring.readiness_gains([a], [line(1, 0, 2, 0)]) == [0]  # nothing asked


def test_percent_rounds_half_up():
    assert scoring.percent(Fraction(5, 8)) == 63  # 62.5
    assert scoring.percent(Fraction(1, 8)) == 13  # 12.5
    assert scoring.percent(Fraction(1, 3)) == 33
    assert scoring.percent(Fraction(2, 3)) == 67
    assert scoring.percent(Fraction(0)) == 0
    assert scoring.percent(Fraction(1)) == 100
    assert scoring.percent(None) is None


def test_readiness_is_exact_where_floats_would_round_down():
    # Exactly 62.5 %; in floats the decimal weights could land either side of the half.
    lines = [line(1, 4, "0.1", 2), line(2, 4, "0.1", 3)]
    assert scoring.readiness(lines) == Fraction(5, 8)
    assert scoring.percent(scoring.readiness(lines)) == 63


def test_readiness_ignores_levels_above_target():
    assert scoring.readiness([line(1, 2, 1, 4)]) == 1


def test_readiness_is_none_when_nothing_is_asked():
    assert scoring.readiness([]) is None
    assert scoring.readiness([line(1, 0, 1, 3)]) is None


def test_essentials_met_counts_only_essentials():
    assert scoring.essentials_met(EXAMPLE) == (1, 2)


def test_verdict_names_the_essential_gaps():
    assert scoring.verdict(EXAMPLE) == "1 essential gap"
    assert scoring.verdict([line(1, 3, 2, 0), line(2, 3, 2, None)]) == "2 essential gaps"
    assert scoring.verdict([line(1, 3, 2, 3), line(2, 2, 1, 0, relation="optional")]) == "Ready"
    assert scoring.verdict([]) == "Ready"


def test_gaps_come_essential_first_then_by_weighted_gap_then_title():
    lines = [
        line(1, 4, 1, 3, relation="optional", title="opt big"),  # weighted gap 1
        line(2, 2, 5, 0, relation="optional", title="opt bigger"),  # 10
        line(3, 3, 1, 2, title="ess b"),  # 1
        line(4, 3, 1, 2, title="ess a"),  # 1, same as b: title decides
        line(5, 3, 2, 0, title="ess z"),  # 6
        line(6, 3, 2, 3, title="met"),
    ]
    titles = [g.title for g in scoring.ordered_gaps(lines)]
    assert titles == ["ess z", "ess a", "ess b", "opt bigger", "opt big"]


def test_strengths_are_the_lines_above_target():
    assert [s.title for s in scoring.strengths(EXAMPLE)] == ["b"]


def test_breakdown_groups_in_the_given_order():
    lines = [
        line(1, 3, 2, 3, kind="skill"),
        line(2, 3, 2, 0, kind="knowledge"),
        line(3, 2, 1, 2, kind="knowledge"),
    ]
    groups = scoring.breakdown(lines, lambda x: x.kind, ["knowledge", "skill"])
    assert [(g.name, g.total, g.met, g.gap, g.readiness) for g in groups] == [
        ("knowledge", 2, 1, 3, 25),  # (0 + 2) / (6 + 2)
        ("skill", 1, 1, 0, 100),
    ]
    assert groups[0].mean_target == Fraction(5, 2)
    assert groups[0].mean_level == 1


def test_compare_reports_the_moves_biggest_first():
    before = [line(1, 3, 2, 1), line(2, 3, 2, 3), line(3, 3, 2, None)]
    now = [line(1, 3, 2, 3), line(2, 3, 2, 2), line(3, 3, 2, None), line(4, 2, 1, 1)]
    changes = {c.line.key: (c.before, c.delta) for c in scoring.compare(before, now)}
    assert changes == {1: (1, 2), 2: (3, -1), 3: (None, 0), 4: (None, 1)}
    assert scoring.compare(before, now)[0].line.key == 1


def test_career_matches_score_each_profile_from_the_latest_levels():
    levels = {1: 3, 2: None, 3: 1}  # 2 is "Don't know"
    profiles = {
        10: [line(1, 3, 2, None), line(4, 3, 2, None)],  # (2*3 + 0) / 12 = 50 %, half rated
        20: [line(1, 2, 1, None), line(3, 2, 1, None)],  # (2 + 1) / 4 = 75 %, all rated
        30: [line(2, 2, 1, None)],  # shares only an unknown: 0 %, nothing rated
        40: [line(9, 2, 1, None)],  # shares nothing: left out
    }
    matches = scoring.career_matches(*shared_and_sizes(levels, profiles))
    assert [(m.occupation, m.readiness, m.rated_share, m.shared) for m in matches] == [
        (20, 75, 100, 2),
        (10, 50, 50, 1),
        (30, 0, 0, 1),
    ]


def test_career_matches_keep_the_top_five():
    profiles = {n: [line(1, 4, 1, None)] for n in range(8)}
    assert len(scoring.career_matches(*shared_and_sizes({1: 2}, profiles))) == 5


def shared_and_sizes(levels, profiles):
    """What the report reads of whole profiles (the database sums it): per profile, its
    lines sharing a rated competence summed against the person's levels, and its totals
    (stored on the occupation)."""
    shared = {}
    for o, lines in profiles.items():
        lines = [x for x in lines if x.key in levels]
        shared[o] = scoring.Shared(
            sum((x.weight * min(levels[x.key] or 0, x.target) for x in lines), Decimal(0)),
            sum(levels[x.key] is not None for x in lines),
            len(lines),
        )
    sizes = {
        o: scoring.ProfileSize(sum(x.weight * x.target for x in lines), len(lines))
        for o, lines in profiles.items()
    }
    return shared, sizes


levels = st.one_of(st.none(), st.integers(0, 4))
lines_strategy = st.lists(
    st.builds(
        line,
        key=st.integers(1, 10_000),
        target=st.integers(0, 4),
        weight=st.decimals(min_value="0.01", max_value="100", places=2),
        level=levels,
        relation=st.sampled_from(["essential", "optional"]),
        title=st.text(min_size=1, max_size=10),
    ),
    max_size=40,
)


@given(lines_strategy)
def test_readiness_stays_between_0_and_1(lines):
    share = scoring.readiness(lines)
    if share is not None:
        assert 0 <= share <= 1
        assert 0 <= scoring.percent(share) <= 100


@given(lines_strategy)
def test_all_targets_met_means_full_readiness_and_no_gaps(lines):
    raised = [Line(**{**vars(x), "level": max(x.target, x.score)}) for x in lines]
    assert not scoring.ordered_gaps(raised)
    assert scoring.verdict(raised) == "Ready"
    assert scoring.readiness(raised) in (None, 1)


@given(lines_strategy, st.integers(0, 39))
def test_raising_a_level_never_lowers_readiness(lines, index):
    if not lines:
        return
    i = index % len(lines)
    better = list(lines)
    better[i] = Line(**{**vars(lines[i]), "level": min(4, lines[i].score + 1)})
    before, after = scoring.readiness(lines), scoring.readiness(better)
    if before is not None:
        assert after >= before


@given(lines_strategy)
def test_gaps_are_ordered_and_complete(lines):
    gaps = scoring.ordered_gaps(lines)
    assert len(gaps) == sum(1 for x in lines if x.score < x.target)
    keys = [(not g.essential, -g.weighted_gap, g.title) for g in gaps]
    assert keys == sorted(keys)
    met, total = scoring.essentials_met(lines)
    assert total - met == sum(1 for g in gaps if g.essential)


def test_self_bias_is_the_mean_of_self_minus_validated_rounded_half_up():
    assert scoring.self_bias([]) is None
    assert scoring.self_bias([(3, 1), (2, 2)]) == Decimal("1.00")
    assert scoring.self_bias([(None, 2)]) == Decimal("-2.00")  # unrated or "Don't know" is 0
    assert scoring.self_bias([(3, 3), (3, 3), (4, 3)]) == Decimal("0.33")
    assert scoring.self_bias([(1, 3), (3, 3), (3, 3)]) == Decimal("-0.67")
    assert scoring.self_bias([(1, 0)] * 5 + [(0, 0)] * 195) == Decimal("0.03")  # 0.025 up
    assert scoring.self_bias([(0, 1)] * 5 + [(0, 0)] * 195) == Decimal("-0.03")  # and down


@given(st.lists(st.tuples(st.one_of(st.none(), LEVEL), LEVEL), min_size=1, max_size=50))
def test_self_bias_stays_within_the_scale_and_keeps_its_sign(pairs):
    bias = scoring.self_bias(pairs)
    mean = Fraction(sum((own or 0) - validated for own, validated in pairs), len(pairs))
    assert -4 <= bias <= 4
    assert abs(Fraction(bias) - mean) <= Fraction(1, 200)


@given(st.dictionaries(st.integers(1, 30), levels), lines_strategy)
def test_a_career_match_is_the_readiness_of_the_whole_profile(known, profile):
    """Reading only the shared lines and the stored totals gives the figure readiness()
    gives over the whole profile with the person's levels."""
    profile = list({x.key: x for x in profile}.values())
    matches = scoring.career_matches(*shared_and_sizes(known, {7: profile}))
    scored = [replace(x, level=known.get(x.key)) for x in profile]
    if any(x.key in known for x in profile):
        (match,) = matches
        assert match.readiness == scoring.percent(scoring.readiness(scored))
    else:
        assert matches == []


def test_across_releases_compares_what_all_share_and_says_where_the_rest_came_or_went():
    profiles = [("v1", {1, 2, 3}), ("v2", {1, 3, 4}), ("v3", {1, 4, 5, 2})]

    found = scoring.across_releases(profiles)

    assert found.shared == {1}
    assert found.added == {4: "v2", 5: "v3"}
    # 2 left in v2 and came back in v3: it was in the oldest, so removed where it first left.
    assert found.removed == {2: "v2", 3: "v3"}


@given(st.lists(st.sets(st.integers(0, 12)), min_size=1, max_size=5))
def test_across_releases_places_every_competence_once(keys):
    found = scoring.across_releases([(f"r{i}", k) for i, k in enumerate(keys)])

    every = set().union(*keys)
    assert found.shared | set(found.added) | set(found.removed) == every
    assert not (found.shared & set(found.added) or set(found.added) & set(found.removed))
    assert found.shared == set.intersection(*map(set, keys))
    assert all(release != "r0" for release in found.added.values())


@given(lines_strategy)
def test_closing_every_gap_adds_exactly_what_readiness_lacks(lines):
    share = scoring.readiness(lines)
    if share is not None:
        assert sum(scoring.readiness_gains(scoring.ordered_gaps(lines), lines)) == 1 - share
