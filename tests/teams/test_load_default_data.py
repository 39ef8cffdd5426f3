from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from taxonomy.models import Competence, Occupation, Requirement
from taxonomy.profiles import read_profile
from taxonomy.services import PROFILE_LIMITS
from taxonomy.tabular import DataError
from teams.models import ReviewCycle

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("load_default_data", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_loading_the_default_data_again_changes_nothing():
    before = Requirement.objects.count(), Competence.objects.count(), Occupation.objects.count()

    output = run()

    assert output.count("Nothing changed.") == len(output.strip().splitlines())
    assert (
        Requirement.objects.count(),
        Competence.objects.count(),
        Occupation.objects.count(),
    ) == (before)


def test_it_restores_a_profile_line_an_admin_deleted():
    Requirement.objects.filter(
        occupation__code="3512.4", competence__title="digital systems"
    ).delete()

    output = run()

    assert "profile lines: 1 created" in output
    assert Requirement.objects.filter(occupation__code="3512.4").count() == 80


def test_demo_adds_accounts_and_prints_their_passwords(settings):
    settings.DEBUG = True

    output = run("--demo")

    assert "demo account: technician / " in output
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.filter(username__in=["manager", "technician"]).count() == 2
    technician = User.objects.get(username="technician")
    password = output.split("demo account: technician / ")[1].split()[0]
    assert technician.check_password(password)


def test_demo_opens_a_review_cycle_with_every_state_on_its_board_once(settings, client):
    settings.DEBUG = True
    output = run("--demo")
    again = run("--demo")

    cycle = ReviewCycle.objects.get(team__name="ICT support")
    assert cycle.is_open and cycle.built_at and "demo review cycle" in output
    assert "demo review cycle" not in again and "demo team" not in again
    assert ReviewCycle.objects.count() == 1 and cycle.assignments.count() == 7
    states = {
        a.user.username: a.state
        for a in cycle.assignments.with_state(timezone.localdate()).select_related("user")
    }
    assert states == {
        "amira": "reviewed",
        "bjorn": "submitted",
        "chen": "submitted",
        "farah": "submitted",
        "technician": "in-progress",
        "dolores": "not-started",
        "emeka": "excused",
    }
    client.force_login(User.objects.get(username="manager"))
    board = client.get(cycle.get_absolute_url()).content.decode()
    assert "Parental leave" in board and "Not started" in board and "In progress" in board
    client.force_login(User.objects.get(username="technician"))
    mine = client.get(reverse("assessments:assessment-list")).content.decode()
    assert f"Due: {cycle.name}" in mine and "10 of 80 rated or confirmed" in mine


def test_demo_accounts_are_refused_in_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="development only"):
        run("--demo")
    assert not User.objects.filter(username="technician").exists()


PROFILE_HEADER = "competence_uri,competence,kind,reuse_level,relation"


@pytest.mark.parametrize(
    "body,message",
    [
        (",x,talent,transversal,essential", "record 1, column 'kind'"),
        (",x,skill,everywhere,essential", "record 1, column 'reuse_level'"),
        (",x,skill,transversal,must", "record 1, column 'relation'"),
        (",,skill,transversal,essential", "record 1, column 'competence': empty"),
        (",x,skill,transversal,essential\n,x,skill,transversal,optional", "record 2"),
        (
            "javascript:alert(1),x,skill,transversal,essential",
            "record 1, column 'competence_uri': not an http:// or https:// address",
        ),
        (
            "ftp://example.org/x,x,skill,transversal,essential",
            "record 1, column 'competence_uri': not an http:// or https:// address",
        ),
        (
            f"https://example.org/{'x' * 250},x,skill,transversal,essential",
            "record 1, column 'competence_uri': longer than 255 characters",
        ),
        (f",{'x' * 256},skill,transversal,essential", "record 1, column 'competence': longer"),
    ],
)
def test_a_bad_profile_file_names_record_and_column(body, message):
    with pytest.raises(DataError, match=message):
        read_profile("profile.csv", f"{PROFILE_HEADER}\n{body}\n".encode(), limits=PROFILE_LIMITS)


@pytest.mark.parametrize("weight", ["0", "-1", "NaN", "abc", "1000"])
def test_a_profile_weight_must_be_a_positive_number(weight):
    data = f"{PROFILE_HEADER},weight\n,x,skill,transversal,essential,{weight}\n".encode()
    with pytest.raises(DataError, match="column 'weight'"):
        read_profile("profile.csv", data)
