"""Taxonomy releases on the real files: ESCO v1.1.0, then v1.1.1, then the newer ICT
technician profile shipped in taxonomy/data, with people's work in between."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from assessments.models import Assessment, Rating
from assessments.services import (
    Answer,
    AssessmentError,
    assessment_start,
    assessment_submit,
    ratings_save,
)
from taxonomy import profiles
from taxonomy.models import Competence, Occupation, Release, ReleaseChange, Requirement
from taxonomy.seed import DATA, profile_import
from taxonomy.services import PROFILE_LIMITS
from tests.conftest import in_role

PROFILE_RELEASE = "ESCO (esco.ec.europa.eu occupation page, newer than v1.1.1)"


def run(*args: object) -> str:
    out = io.StringIO()
    call_command(*[str(a) for a in args], stdout=out, stderr=io.StringIO())
    return out.getvalue()


def esco(shared_data: Path, version: str) -> list[Path]:
    return sorted((shared_data / f"esco-v{version}").glob("*.zip"))


def without_shipped_releases() -> None:
    """Forget the releases the default data recorded, so that the real history starts
    here; the records stay, now of no release."""
    Release.objects.filter(name__in=["ESCO v1.1.1", PROFILE_RELEASE]).delete()


def rate_everything(assessment: Assessment, level: int = 2) -> None:
    competences = assessment.occupation.requirements.values_list("competence_id", flat=True)
    answers = [
        Answer(competence_id=c, answered=True, level=level, confidence="", evidence="")
        for c in competences
    ]
    ratings_save(assessment=assessment, answers=answers)


def technician_profile_import() -> str:
    technician = json.loads((DATA / "esco-ict-technician-3512.4.json").read_text())
    name = "esco-ict-technician-3512.4.csv"
    lines = profiles.read_profile(name, (DATA / name).read_bytes(), limits=PROFILE_LIMITS)
    return profile_import(occupation=technician, lines=lines, release_name=technician["release"])


@pytest.mark.django_db
def test_upgrading_esco_v1_1_0_to_v1_1_1_then_the_newer_profile(shared_data, client, alice):
    without_shipped_releases()
    run("import_esco", *esco(shared_data, "1.1.0"))
    in_role(alice)
    webmaster = Occupation.objects.get(code="3514.1")
    network = Occupation.objects.get(code="3513.2")
    draft = assessment_start(user=alice, occupation=webmaster)
    assert draft.release.name == "ESCO v1.1.0"
    submitted = assessment_start(user=alice, occupation=network)
    rate_everything(submitted)
    assessment_submit(assessment=submitted, user=alice)
    snapshot = list(
        Rating.objects.filter(assessment=submitted)
        .order_by("competence_id")
        .values_list("competence_id", "level", "relation", "target_level", "weight")
    )
    network_before = set(network.requirements.values_list("competence_id", flat=True))

    output = run("import_esco", *esco(shared_data, "1.1.1"))

    assert "skipped 67 relation(s) pointing at 1 retired occupation(s) (2269.8.3)" in output
    assert "Open drafts of changed occupations: 1 (3514.1: 1)" in output
    assert "People whose latest assessment is of a changed occupation: 1 (3513.2: 1)" in output
    diff = run("release_diff", "ESCO v1.1.0", "ESCO v1.1.1")
    for line in (
        "Occupation removed (retired): 1",
        "Competence added: 5",
        "Competence relabelled: 2",
        "Competence redescribed: 86",
        "Competence kind changed: 2",
        "Profile line added: 305",
        "Profile line removed: 302",
    ):
        assert f"  {line}\n" in diff
    assert "Occupation added" not in diff
    assert "Occupations changed: 463\n" in diff  # 462 profiles and the retired one
    lines = ReleaseChange.objects.filter(release__name="ESCO v1.1.1", kind__startswith="line")
    assert lines.values("occupation").distinct().count() == 462

    # Therapeutic radiographer: retired, not deleted, its last profile kept.
    radiographer = Occupation.objects.get(code="2269.8.3")
    assert radiographer.retired_in.name == "ESCO v1.1.1"
    assert radiographer.requirements.count() == 67
    with pytest.raises(AssessmentError, match=r"retired in ESCO v1\.1\.1"):
        assessment_start(user=alice, occupation=radiographer)

    # The draft of 3514.1 follows the new profile and says so once.
    draft = Assessment.objects.get(pk=draft.pk)
    assert len(draft.profile_changes.added) == 1
    client.force_login(alice)
    page = client.get(reverse("assessments:assessment-rate", args=[draft.pk])).content.decode()
    assert "Since you started this draft, ESCO v1.1.1 changed" in page
    assert "1 competence is new" in page
    steps = (webmaster.requirements.count() + 19) // 20
    marked = [
        client.get(reverse("assessments:assessment-rate", args=[draft.pk]), {"step": n})
        .content.decode()
        .count("New in ESCO v1.1.1: rate this")
        for n in range(1, steps + 2)
    ]
    assert sum(marked) == 1

    # The submitted 3513.2 assessment is unchanged; a new one carries every shared rating.
    assert snapshot == list(
        Rating.objects.filter(assessment=submitted)
        .order_by("competence_id")
        .values_list("competence_id", "level", "relation", "target_level", "weight")
    )
    assert Assessment.objects.get(pk=submitted.pk).release.name == "ESCO v1.1.0"
    network_after = set(network.requirements.values_list("competence_id", flat=True))
    assert len(network_after - network_before) == 1
    network.refresh_from_db()
    again = assessment_start(user=alice, occupation=network)
    carried = set(again.ratings.values_list("competence_id", flat=True))
    assert carried == network_before & network_after
    (new,) = network_after - carried
    assert again.release.name == "ESCO v1.1.1"
    assert (
        Requirement.objects.get(occupation=network, competence=new)
        .competence.ratings.filter(assessment=again)
        .exists()
        is False
    )

    # The report names the release it was made against.
    report = client.get(reverse("assessments:assessment-report", args=[submitted.pk]))
    assert "ESCO v1.1.0" in report.content.decode()

    # Submitted against v1.1.1, compared with the v1.1.0 one on what both share: the new
    # competence is listed apart, not as a change of level.
    rate_everything(again, level=3)
    assessment_submit(assessment=again, user=alice)
    title = Competence.objects.get(pk=new).title
    report = client.get(reverse("assessments:assessment-report", args=[again.pk])).content.decode()
    assert "that assessment was made against ESCO v1.1.0" in report
    assert f"New in the profile: {title}" in report
    changes = report[report.index("Competences whose level changed") :]
    changes = changes[: changes.index("</table>")]
    assert title not in changes
    assert changes.count("<tr>") == len(network_before & network_after) + 1  # and the header

    # Then the newer ICT technician profile: +3 / -3. "use ICT hardware" comes in as an
    # essential line: v1.1.1's 3512.4 has no line of it at all (by URI), so the real files
    # hold no relation change for it, whatever the data notes say.
    technician_draft = assessment_start(
        user=alice, occupation=Occupation.objects.get(code="3512.4")
    )
    summary = technician_profile_import()
    follows = Assessment.objects.get(pk=technician_draft.pk).profile_changes
    assert (len(follows.added), len(follows.removed)) == (3, 3)
    assert set(follows.releases) == {PROFILE_RELEASE}
    assert summary.changes[ReleaseChange.Kind.LINE_ADDED] == 3
    assert summary.changes[ReleaseChange.Kind.LINE_REMOVED] == 3
    assert summary.changes[ReleaseChange.Kind.LINE_RELATION] == 0
    diff = run("release_diff", "ESCO v1.1.1", PROFILE_RELEASE, "--occupation", "3512.4")
    assert "Profile line added: use ICT hardware essential" in diff
    for title in ("SaaS (service-oriented modelling)", "Visual Studio .NET"):
        assert f"Profile line removed: {title} optional" in diff
    technician = Occupation.objects.get(code="3512.4")
    assert (technician.requirement_count, technician.essential_count) == (80, 23)


@pytest.mark.django_db
def test_release_diff_writes_every_change_as_csv(shared_data, tmp_path):
    without_shipped_releases()
    run("import_esco", *esco(shared_data, "1.1.0"), "--isco", "351")
    run("import_esco", *esco(shared_data, "1.1.1"), "--isco", "351")
    target = tmp_path / "changes.csv"

    output = run("release_diff", "ESCO v1.1.0", "ESCO v1.1.1", "--csv", target)

    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert f"Wrote {len(rows)} changes" in output
    added = [r for r in rows if r["kind"] == "line-added"]
    assert sorted(r["occupation_code"] for r in added) == ["3513.2", "3514.1"]
    assert all(r["release"] == "ESCO v1.1.1" for r in rows)


@pytest.mark.django_db
def test_an_older_release_is_refused_and_writes_nothing(shared_data):
    before = (ReleaseChange.objects.count(), Release.objects.count())

    with pytest.raises(CommandError, match=r"older than ESCO v1\.1\.1.*--allow-downgrade"):
        run("import_esco", *esco(shared_data, "1.1.0"), "--isco", "351")

    assert (ReleaseChange.objects.count(), Release.objects.count()) == before
    run("import_esco", *esco(shared_data, "1.1.0"), "--isco", "351", "--allow-downgrade")
    assert Release.objects.filter(name="ESCO v1.1.0").exists()


@pytest.mark.django_db
def test_a_dry_run_prints_the_diff_and_writes_nothing(shared_data):
    without_shipped_releases()
    run("import_esco", *esco(shared_data, "1.1.0"), "--isco", "351")
    before = (
        ReleaseChange.objects.count(),
        list(Release.objects.values_list("name", "checksum")),
        sorted(Requirement.objects.values_list("occupation_id", "competence_id", "relation")),
    )

    output = run("import_esco", *esco(shared_data, "1.1.1"), "--isco", "351", "--dry-run")

    assert output.startswith("Dry run: nothing was written.")
    assert "Profile line added: 2" in output
    after = (
        ReleaseChange.objects.count(),
        list(Release.objects.values_list("name", "checksum")),
        sorted(Requirement.objects.values_list("occupation_id", "competence_id", "relation")),
    )
    assert after == before


@pytest.mark.django_db
def test_the_same_release_again_writes_nothing(shared_data):
    run("import_esco", *esco(shared_data, "1.1.1"), "--isco", "351")
    before = ReleaseChange.objects.count(), list(Release.objects.values_list("checksum"))

    output = run("import_esco", *esco(shared_data, "1.1.1"), "--isco", "351")

    assert "Nothing changed." in output
    assert (ReleaseChange.objects.count(), list(Release.objects.values_list("checksum"))) == before


@pytest.mark.django_db
def test_a_partial_import_retires_only_within_its_branches(shared_data):
    without_shipped_releases()
    run("import_esco", *esco(shared_data, "1.1.0"), "--isco", "2269")
    run("import_esco", *esco(shared_data, "1.1.0"), "--isco", "351", "--release", "ESCO v1.1.0")

    output = run("import_esco", *esco(shared_data, "1.1.1"), "--isco", "351")

    assert "retired" not in output.split("\n", 1)[1].lower().replace("retired occupation", "")
    assert Occupation.objects.exclude(retired_in=None).count() == 0
    assert not Competence.objects.exclude(retired_in=None).exists()
    run("import_esco", *esco(shared_data, "1.1.1"), "--isco", "2269")
    assert list(Occupation.objects.exclude(retired_in=None).values_list("code", flat=True)) == [
        "2269.8.3"
    ]


@pytest.mark.django_db
def test_a_changed_relation_of_a_line_an_admin_tuned_is_a_conflict(shared_data):
    without_shipped_releases()
    run("import_esco", *esco(shared_data, "1.1.0"), "--isco", "351")
    # An admin tuned a line; the release then makes it essential instead of optional.
    line = (
        Requirement.objects.filter(occupation__code="3513.2", relation="optional")
        .select_related("competence")
        .first()
    )
    Requirement.objects.filter(pk=line.pk).update(target_level=4, weight=5)
    dataset_dir = esco(shared_data, "1.1.1")
    from taxonomy import esco as esco_files
    from taxonomy.services import ESCO_LIMITS, esco_import

    dataset = esco_files.select_branches(
        esco_files.read_dataset(dataset_dir, limits=ESCO_LIMITS), ["351"]
    )
    dataset.relations = [
        r._replace(relation="essential")
        if r.skill_uri == line.competence.uri and r.occupation_uri == line.occupation.uri
        else r
        for r in dataset.relations
    ]

    summary = esco_import(dataset=dataset, release_name="ESCO v1.1.1", scope=["351"])

    assert summary.conflicts == 1
    change = ReleaseChange.objects.get(conflict=True)
    assert change.kind == ReleaseChange.Kind.LINE_RELATION
    assert change.old_value == "optional (target 4, weight 5.00)"
    line.refresh_from_db()
    assert (line.relation, line.target_level, line.weight) == ("essential", 3, 2)
    assert "Conflicts with admin edits to settle: 1" in run(
        "release_diff", "ESCO v1.1.0", "ESCO v1.1.1"
    )


@pytest.fixture
def upgraded(db, shared_data) -> Release:
    without_shipped_releases()
    run("import_esco", *esco(shared_data, "1.1.0"), "--isco", "351")
    run("import_esco", *esco(shared_data, "1.1.1"), "--isco", "351")
    return Release.objects.get(name="ESCO v1.1.1")


@pytest.fixture
def tina_client(db, client):
    from django.contrib.auth.models import User

    client.force_login(in_role(User.objects.create_user("tina", is_staff=True), "taxonomy-admin"))
    return client


def test_the_release_page_counts_its_changes_and_links_the_list_and_csv(upgraded, tina_client):
    page = tina_client.get(reverse("admin:taxonomy_release_change", args=[upgraded.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "<li>Profile line added: 2</li>" in text
    csv_url = reverse("admin:taxonomy_release_changes_csv", args=[upgraded.pk])
    assert csv_url in text
    download = tina_client.get(csv_url)
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in download["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert {r["occupation_code"] for r in rows if r["kind"] == "line-added"} == {"3513.2", "3514.1"}


def test_the_change_list_is_searchable_filterable_and_read_only(upgraded, tina_client):
    url = reverse("admin:taxonomy_releasechange_changelist")

    found = tina_client.get(url, {"q": "webmaster", "kind__exact": "line-added"})

    assert found.status_code == 200
    assert found.content.decode().count('class="field-kind"') == 1
    change = ReleaseChange.objects.filter(release=upgraded).first()
    edit = tina_client.post(reverse("admin:taxonomy_releasechange_change", args=[change.pk]))
    assert edit.status_code == 403
    assert tina_client.get(reverse("admin:taxonomy_releasechange_add")).status_code == 403


def test_the_change_list_costs_the_same_queries_at_any_size(
    upgraded, tina_client, django_assert_num_queries
):
    url = reverse("admin:taxonomy_releasechange_changelist")
    tina_client.get(url)  # warm: the session, permissions and content types cached
    ReleaseChange.objects.filter(kind="line-added").delete()
    with django_assert_num_queries(10) as few:
        tina_client.get(url)
    ReleaseChange.objects.bulk_create(
        [
            ReleaseChange(release=upgraded, kind="competence-added", competence_title=f"c{i}")
            for i in range(40)
        ]
    )
    with django_assert_num_queries(len(few.captured_queries)):
        tina_client.get(url)


def test_release_pages_and_the_csv_are_for_taxonomy_admins_only(upgraded, client, alice):
    client.force_login(in_role(alice))
    for url in (
        reverse("admin:taxonomy_release_change", args=[upgraded.pk]),
        reverse("admin:taxonomy_release_changes_csv", args=[upgraded.pk]),
        reverse("admin:taxonomy_releasechange_changelist"),
    ):
        assert client.get(url).status_code == 302  # to the admin's sign-in: not staff


def test_a_release_page_of_no_release_is_404(tina_client):
    url = reverse("admin:taxonomy_release_changes_csv", args=[999999])
    assert tina_client.get(url).status_code == 404


def test_release_diff_refuses_unknown_releases_and_occupations(upgraded):
    with pytest.raises(CommandError, match="No release named 'ESCO v9'"):
        run("release_diff", "ESCO v1.1.0", "ESCO v9")
    with pytest.raises(CommandError, match="No occupation with code '0000'"):
        run("release_diff", "ESCO v1.1.0", "ESCO v1.1.1", "--occupation", "0000")


def onet_text_edition(directory: Path, version: str, occupations: list[tuple[str, str]]) -> Path:
    """A small O*NET database in the tab-delimited text layout, Skills only."""
    from tests.taxonomy.test_onet import TEXT_COLUMNS, _text_rows, _write_text

    directory.mkdir()
    (directory / "Read Me.txt").write_text(f"O*NET {version} Database\n")
    _write_text(
        directory / "Occupation Data.txt",
        ["O*NET-SOC Code", "Title", "Description"],
        [[code, title, f"{title} do things."] for code, title in occupations],
    )
    rows = []
    for code, _ in occupations:
        rows += [
            (code, "2.A.1.a", "Reading Comprehension", "IM", "4.12", "N", None),
            (code, "2.A.1.a", "Reading Comprehension", "LV", "4.62", "N", "N"),
        ]
    _write_text(directory / "Skills.txt", TEXT_COLUMNS, _text_rows(rows))
    return directory


@pytest.mark.django_db
def test_onet_soc_2010_then_2019_keeps_one_occupation_per_job(tmp_path):
    Occupation.objects.filter(source=Occupation.Source.ONET).delete()
    old = onet_text_edition(
        tmp_path / "db_15_0",
        "15.0",
        [
            ("15-1151.00", "Computer User Support Specialists"),
            ("15-1134.00", "Web Developers"),
        ],
    )
    output = run("import_onet", old)
    assert "No 'Knowledge' file in the folder: its lines were left as they were." in output
    support = Occupation.objects.get(code="15-1151.00")
    web = Occupation.objects.get(code="15-1134.00")
    new = onet_text_edition(
        tmp_path / "db_29_3",
        "29.3",
        [
            ("15-1232.00", "Computer User Support Specialists"),
            ("15-1254.00", "Web Developers"),
            ("15-1255.00", "Web and Digital Interface Designers"),
        ],
    )

    output = run("import_onet", new)

    # 1:1: the same occupation under its 2019 code.
    assert Occupation.objects.get(code="15-1232.00").pk == support.pk
    assert not Occupation.objects.filter(code="15-1151.00").exists()
    # A split keeps identity with the target of the same title; the other is new.
    assert Occupation.objects.get(code="15-1254.00").pk == web.pk
    designers = Occupation.objects.get(code="15-1255.00")
    assert designers.pk not in (support.pk, web.pk)
    split = ReleaseChange.objects.get(kind=ReleaseChange.Kind.OCCUPATION_SPLIT)
    assert (split.occupation_id, split.old_value, split.new_value) == (
        web.pk,
        "15-1134.00",
        "15-1255.00",
    )
    assert "Occupation code changed: 2" in output
    assert "Occupation split: 1" in output
    assert Occupation.objects.get(pk=support.pk).requirements.count() == 1


@pytest.mark.django_db
def test_a_retired_occupation_says_so_and_is_not_offered_for_new_assessments(client, alice):
    release = Release.objects.create(name="ESCO v9.9.9", source=Release.Source.ESCO)
    occupation = Occupation.objects.get(code="3514.1")
    Occupation.objects.filter(pk=occupation.pk).update(retired_in=release)
    client.force_login(in_role(alice))

    page = client.get(occupation.get_absolute_url()).content.decode()
    started = client.post(reverse("assessments:assessment-start"), {"occupation": "3514.1"})

    assert "Retired in ESCO v9.9.9" in page
    assert "Start a self-assessment" not in page
    assert started.status_code == 400
    assert "retired in ESCO v9.9.9" in started.content.decode()
    assert not Assessment.objects.filter(occupation=occupation).exists()
