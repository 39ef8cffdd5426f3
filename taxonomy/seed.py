"""The taxonomy that ships in taxonomy/data/ (built from the seed documents by
scripts/build_default_data.py), and the importers only it needs: ISCO groups with their
tasks, occupations by code, and one occupation's whole profile from an ESCO page.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from django.db import transaction

from taxonomy import crosswalk, esco, onet, profiles
from taxonomy.models import (
    Competence,
    Occupation,
    OccupationGroup,
    ProficiencyScale,
    Release,
    ReleaseChange,
)
from taxonomy.services import (
    CROSSWALK_LIMITS,
    ESCO_LIMITS,
    ONET_LIMITS,
    PROFILE_LIMITS,
    ChangeLog,
    ImportSummary,
    LineValues,
    Progress,
    _link_parents,
    _release,
    _sync,
    _sync_requirements,
    crosswalk_import,
    esco_import,
    occupations_link_isco,
    onet_import,
    quiet,
)

DATA = Path(__file__).resolve().parent / "data"


@transaction.atomic
def default_taxonomy_load(*, progress: Progress = quiet) -> list[ImportSummary]:
    """Everything in taxonomy/data/, in one transaction; changes only what differs."""
    groups = json.loads((DATA / "isco-351.json").read_text())
    seeded = {group["code"] for group in groups}
    summaries = [groups_import(groups=groups, release_name="ISCO-08 (ILO)")]

    # The ICT technician page is newer than the v1.1.1 export: its profile and the
    # wording of its competences win, so it goes first and the export skips them.
    technician = json.loads((DATA / "esco-ict-technician-3512.4.json").read_text())
    name = "esco-ict-technician-3512.4.csv"
    lines = profiles.read_profile(name, (DATA / name).read_bytes(), limits=PROFILE_LIMITS)
    summaries.append(
        profile_import(occupation=technician, lines=lines, release_name=technician["release"])
    )

    # Likewise the seed carries the richer text for 351 and its unit groups.
    dataset = esco.read_dataset([DATA / "esco-v1.1.1"], limits=ESCO_LIMITS)
    dataset.groups = [g for g in dataset.groups if g.code not in seeded]
    newer = {line.competence_uri for line in lines}
    dataset.skills = [s for s in dataset.skills if s.uri not in newer]
    summaries.append(esco_import(dataset=dataset, release_name="ESCO v1.1.1", progress=progress))

    text = (DATA / "soc-2010-computer-occupations.csv").read_text()
    summaries.append(
        occupations_import(
            occupations=list(csv.DictReader(io.StringIO(text))),
            source=Occupation.Source.SOC,
            release_name="SOC 2010 (BLS)",
        )
    )

    tables = sorted((DATA / "crosswalks").glob("*.csv"))
    for table, pairs in (crosswalk.read_pairs(path, limits=CROSSWALK_LIMITS) for path in tables):
        summaries.append(crosswalk_import(pairs=pairs, release_name="Crosswalks", table=table))

    onet_data = onet.read_dataset(DATA / "onet-29.3", limits=ONET_LIMITS)
    summaries.append(
        onet_import(dataset=onet_data, release_name=onet_data.release or "O*NET", progress=progress)
    )
    return summaries


@transaction.atomic
def groups_import(*, groups: list[dict[str, Any]], release_name: str) -> ImportSummary:
    """ISCO groups with the details the ESCO files lack: tasks, examples, related occupations.

    Each group is a dict with code, title, description, tasks, examples and related
    (lists; related items are {"title", "code"}).
    """
    release = _release(release_name, Release.Source.SEED)
    summary = ImportSummary(release=release.name)
    wanted = {
        g["code"]: {
            "title": g["title"],
            "description": g["description"],
            "level": len(g["code"]),
            "tasks": "\n".join(g["tasks"]),
            "examples": "\n".join(g["examples"]),
            "related": "\n".join(f"{r['title']} – {r['code']}" for r in g["related"]),
            "release_id": release.pk,
        }
        for g in groups
    }
    summary.counts["ISCO groups"], _ = _sync(
        OccupationGroup, "code", wanted, OccupationGroup.objects.filter(code__in=list(wanted))
    )
    _link_parents()
    return summary


@transaction.atomic
def occupations_import(
    *, occupations: list[dict[str, Any]], source: str, release_name: str
) -> ImportSummary:
    """Occupations keyed by code, e.g. SOC 2010 codes with their descriptions."""
    release = _release(release_name, Release.Source.SEED)
    summary = ImportSummary(release=release.name)
    wanted = {
        o["code"]: {
            "source": source,
            "title": o["title"],
            "description": o["description"],
            "release_id": release.pk,
        }
        for o in occupations
    }
    summary.counts["occupations"], _ = _sync(
        Occupation, "code", wanted, Occupation.objects.filter(code__in=list(wanted))
    )
    occupations_link_isco()
    return summary


@transaction.atomic
def profile_import(
    *, occupation: dict[str, Any], lines: list[profiles.Line], release_name: str
) -> ImportSummary:
    """One occupation and its whole profile, e.g. from a newer ESCO page than the CSV export.

    The lines define their competences: found by URI, else by title among those without
    one, created when missing, and updated to the lines' description, kind and reuse level.
    """
    release = _release(release_name, Release.Source.SEED)
    summary = ImportSummary(release=release.name)
    log = ChangeLog()
    K = ReleaseChange.Kind
    scale = ProficiencyScale.current()
    group = OccupationGroup.objects.filter(code=occupation["isco_code"]).first()
    if group is None:
        summary.unknown["ISCO group"].append(occupation["isco_code"])
    key = occupation.get("uri") or None
    found = Occupation.objects.filter(uri=key).first() if key else None
    found = found or Occupation.objects.filter(code=occupation["code"]).first()
    wanted = {
        "uri": key,
        "source": Occupation.Source.ESCO,
        "title": occupation["title"],
        "alt_labels": "\n".join(occupation.get("alt_labels", [])),
        "description": occupation["description"],
        "group_id": group.pk if group else None,
        "retired_in_id": None,
    }
    summary.counts["occupations"], ids = _sync(
        Occupation,
        "code",
        {occupation["code"]: wanted},
        Occupation.objects.filter(code=occupation["code"]),
        {occupation["code"]: found.pk} if found else {},
        stamp={"release_id": release.pk},
    )
    target_id = ids[occupation["code"]]
    if found is None or found.retired_in_id:
        log.add(K.OCCUPATION_ADDED, occupation=target_id, new=occupation["title"])
    elif found.title != occupation["title"]:
        log.add(K.OCCUPATION_RELABELLED, occupation=target_id, old=found.title, new=wanted["title"])

    def fields(line: profiles.Line) -> dict[str, Any]:
        return {
            "description": line.description,
            "kind": line.kind,
            "reuse_level": line.reuse_level,
            **({"group": line.group} if line.group else {}),
        }

    with_uri = {line.competence_uri: line for line in lines if line.competence_uri}
    known = Competence.objects.filter(uri__in=list(with_uri))
    before = {
        uri: rest
        for uri, *rest in known.values_list(
            "uri", "pk", "title", "description", "kind", "reuse_level"
        )
    }
    counts, by_uri = _sync(
        Competence,
        "uri",
        {uri: {"title": line.competence, **fields(line)} for uri, line in with_uri.items()},
        known,
        stamp={"release_id": release.pk},
    )
    for uri, line in with_uri.items():
        if uri not in before:
            log.add(K.COMPETENCE_ADDED, competence=by_uri[uri], new=line.competence)
            continue
        pk, title, description, kind, reuse_level = before[uri]
        for change, was, now in (
            (K.COMPETENCE_RELABELLED, title, line.competence),
            (K.COMPETENCE_REDESCRIBED, description, line.description),
            (K.COMPETENCE_KIND, kind, line.kind),
            (K.COMPETENCE_REUSE, reuse_level, line.reuse_level),
        ):
            if was != now:
                log.add(change, competence=pk, old=was, new=now)
    # Competences the release has but the export lacks are known by title alone.
    by_title_lines = {line.competence: line for line in lines if not line.competence_uri}
    titled = Competence.objects.filter(uri__isnull=True, title__in=list(by_title_lines))
    had_titles = set(titled.values_list("title", flat=True))
    title_counts, by_title = _sync(
        Competence,
        "title",
        {t: fields(line) for t, line in by_title_lines.items()},
        titled,
        stamp={"release_id": release.pk},
    )
    for title in by_title_lines.keys() - had_titles:
        log.add(K.COMPETENCE_ADDED, competence=by_title[title], new=title)
    counts.created += title_counts.created
    counts.updated += title_counts.updated
    counts.unchanged += title_counts.unchanged

    profile: dict[int, LineValues] = {}
    for line in lines:
        competence_id = (
            by_uri[line.competence_uri] if line.competence_uri else by_title[line.competence]
        )
        profile[competence_id] = LineValues(
            relation=line.relation,
            target_level=scale.default_target(line.relation)
            if line.target_level is None
            else line.target_level,
            weight=scale.default_weight(line.relation) if line.weight is None else line.weight,
            release_id=release.pk,
        )
    summary.counts["competences"] = counts
    # A list without targets and weights leaves an admin's tuning of them in place.
    untuned = all(line.target_level is None and line.weight is None for line in lines)
    _sync_requirements(
        {target_id: profile},
        summary,
        keep_tuning=untuned,
        log=log,
        new_occupations=frozenset([target_id]) if found is None else frozenset(),
    )
    log.write(release, summary)
    Occupation.objects.filter(pk=target_id).exclude(release=release).update(release=release)
    return summary
