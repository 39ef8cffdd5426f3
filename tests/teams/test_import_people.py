"""`import_people`: onboarding a department from a CSV, and refusing a bad one."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from teams.models import Membership, Team

pytestmark = pytest.mark.django_db

HEADER = "username,email,full_name,team,role,occupation_code\n"
GOOD = HEADER + (
    "dana,dana@example.com,Dana Ólafsdóttir,Service desk,manager,\n"
    "erik,erik@example.com,Erik Berg,Service desk,member,3512.4\n"
    "fatima,,Fatima Zahra Benali,Service desk,member,3512.1\n"
    "erik,erik@example.com,Erik Berg,Network,member,3513.2\n"
)


def run(tmp_path, text: str | bytes) -> str:
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    out = io.StringIO()
    call_command("import_people", str(path), stdout=out)
    return out.getvalue()


def state() -> list:
    return [
        sorted(User.objects.values_list("username", "email", "first_name", "last_name")),
        sorted(Team.objects.values_list("name", "occupation__code")),
        sorted(Membership.objects.values_list("team__name", "user__username", "occupation__code")),
        sorted(Team.managers.through.objects.values_list("team__name", "user__username")),
    ]


def test_it_creates_users_teams_memberships_and_managers(tmp_path):
    out = run(tmp_path, GOOD)

    assert out.strip() == (
        "People: users: 3 created, 0 updated, 0 unchanged; "
        "teams: 2 created, 0 updated, 0 unchanged; "
        "memberships: 3 created, 0 updated, 0 unchanged; "
        "managers: 1 created, 0 updated, 0 unchanged."
    )
    users, teams, memberships, managers = state()
    assert ("fatima", "", "Fatima", "Zahra Benali") in users
    assert User.objects.get(username="dana").get_full_name() == "Dana Ólafsdóttir"
    assert teams == [("Network", "3513.2"), ("Service desk", "3512.4")]
    # The team takes the first member's occupation; fatima's differs, so it is hers alone.
    assert memberships == [
        ("Network", "erik", None),
        ("Service desk", "erik", None),
        ("Service desk", "fatima", "3512.1"),
    ]
    assert managers == [("Service desk", "dana")]
    assert not User.objects.get(username="erik").has_usable_password()
    assert set(User.objects.get(username="dana").groups.values_list("name", flat=True)) == {
        "manager"
    }
    assert set(User.objects.get(username="erik").groups.values_list("name", flat=True)) == {
        "technician"
    }


def test_running_it_again_changes_nothing_and_says_so(tmp_path):
    run(tmp_path, GOOD)
    before = state()
    out = run(tmp_path, GOOD)
    assert out.strip().endswith("Nothing changed.")
    assert "users: 0 created, 0 updated, 3 unchanged" in out
    assert state() == before


def test_it_updates_names_emails_and_member_occupations(tmp_path):
    run(tmp_path, GOOD)
    out = run(
        tmp_path,
        HEADER
        + "erik,erik.berg@example.com,Erik Berg Jr,Service desk,member,3512.1\n"
        + "fatima,,Fatima Zahra Benali,Service desk,member,3512.4\n",
    )
    assert "users: 0 created, 1 updated, 1 unchanged" in out
    assert "memberships: 0 created, 2 updated, 0 unchanged" in out
    erik = User.objects.get(username="erik")
    assert (erik.email, erik.last_name) == ("erik.berg@example.com", "Berg Jr")
    assert dict(
        Membership.objects.filter(team__name="Service desk").values_list(
            "user__username", "occupation__code"
        )
    ) == {"erik": "3512.1", "fatima": None}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "people.csv: the file is empty"),
        (
            "username,email,full_name,team,role\n",
            "people.csv, header, column 'occupation_code': required column missing",
        ),
        (HEADER, "people.csv: no records after the header"),
        (
            HEADER + "gus,,Gus,Ops,member,3512.4\nhal,,Hal,Ops,boss,3512.4\n",
            "people.csv, record 2, column 'role': 'boss' is not a role",
        ),
        (
            HEADER + "gus,,Gus,Ops,member,9999.9\n",
            "people.csv, record 1, column 'occupation_code': no occupation has the code '9999.9'",
        ),
        (
            HEADER + "gus,not-an-email,Gus,Ops,member,3512.4\n",
            "people.csv, record 1, column 'email': 'not-an-email' is not an email address",
        ),
        (
            HEADER + "gus,," + "G" * 151 + " Smith,Ops,member,3512.4\n",
            "people.csv, record 1, column 'full_name': a first or last name longer than 150",
        ),
        (
            HEADER + "gus smith,,Gus,Ops,member,3512.4\n",
            "people.csv, record 1, column 'username': a username of letters",
        ),
        (
            HEADER + "gus,,Gus,Ops,member,3512.4\ngus,,Gus,Ops,member,3512.4\n",
            "people.csv, record 2, column 'username': 'gus' is already a member of 'Ops'",
        ),
        (
            HEADER + "gus,,Gus,New team,manager,\n",
            "people.csv, record 1, column 'occupation_code': team 'New team' is new",
        ),
        (
            HEADER + ",,Nobody,Ops,member,3512.4\n",
            "people.csv, record 1, column 'username'",
        ),
        (HEADER + "gus,,Gus,Ops,member\n", "people.csv, record 1: has 5 fields"),
        (
            # A valid address, but longer than the column: PostgreSQL stopped with a DataError.
            HEADER + f"gus,{'g' * 64}@{'e' * 63}.{'x' * 63}.{'y' * 63}.org,Gus,Ops,member,\n",
            "people.csv, record 1, column 'email': longer than 254 characters",
        ),
        (
            HEADER + f"gus,,Gus,{'O' * 101},member,3512.4\n",
            "people.csv, record 1, column 'team': a team name of 1 to 100 characters",
        ),
        (
            HEADER + f"gus,,Gus,Ops,member,{'3' * 21}\n",
            "people.csv, record 1, column 'occupation_code': longer than 20 characters",
        ),
        (
            HEADER.encode() + b"gus,,G\xfcs,Ops,member,3512.4\n",
            "people.csv, record 1: not UTF-8",
        ),
    ],
)
def test_a_bad_file_stops_with_file_record_and_column_and_writes_nothing(tmp_path, text, message):
    run(tmp_path, HEADER + "ivy,,Ivy,Ops,member,3512.4\n")
    before = state()

    with pytest.raises(CommandError, match=message):
        run(tmp_path, text)

    assert state() == before


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"nope\.csv: No such file"):
        call_command("import_people", str(tmp_path / "nope.csv"))
