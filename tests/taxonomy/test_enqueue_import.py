"""`enqueue_import`: an import checked here, queued as a task, run by the worker."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.tasks import TaskResultStatus
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from taxonomy.models import CrosswalkPair, ImportRun, Occupation
from taxonomy.services import login_name
from taxonomy.tasks import run_import
from tests.taxonomy.test_import_commands import write_esco

pytestmark = pytest.mark.django_db

CROSSWALK = (
    "ISCO-08 Code,ISCO-08 Title EN,part,2010 SOC Code,2010 SOC Title,Comment\n"
    "9999,Test unit,,99-9999,Test SOC,\n"
)


def enqueue(*args: str) -> str:
    out = io.StringIO()
    call_command("enqueue_import", *args, stdout=out)
    return out.getvalue()


def test_an_import_queued_here_runs_in_the_worker(tmp_path, monkeypatch, run_worker):
    write_esco(tmp_path / "esco")
    monkeypatch.chdir(tmp_path)
    output = enqueue("import_esco", "esco", "--isco", "9", "--release", "ESCO test")

    task = DBTaskResult.objects.get()
    assert output.strip() == f"Queued import_esco as task {task.id}; `manage.py db_worker` runs it."
    # The worker may run elsewhere: it gets the absolute path.
    assert task.args_kwargs["args"] == [
        "import_esco",
        [str(tmp_path / "esco"), "--isco", "9", "--release", "ESCO test"],
        login_name(),
    ]
    assert not Occupation.objects.filter(code="9999.1").exists()

    run_worker()
    result = run_import.get_result(str(task.id))
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value.startswith("ESCO test: ")
    assert Occupation.objects.get(code="9999.1").title == "Widget fixer"
    run = ImportRun.objects.first()
    assert (run.summary, run.by) == (result.return_value, f"{login_name()} (queued)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import_foo", "x"], "invalid choice: 'import_foo'"),
        (["import_esco"], "import_esco: Error: the following arguments are required: paths"),
        (["import_esco", "no-such-dir"], "import_esco: no such file or directory: no-such-dir"),
        (["import_onet", ".", "--bogus"], "import_onet: Error: unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_queued(args, message):
    with pytest.raises(CommandError, match=message):
        enqueue(*args)
    assert not DBTaskResult.objects.exists()


def test_an_import_that_fails_in_the_worker_fails_its_task_and_writes_nothing(tmp_path, run_worker):
    path = tmp_path / "isco08_to_soc2010.csv"
    path.write_text(CROSSWALK)
    enqueue("import_crosswalk", str(path))
    path.write_text("a,b,c\n1,2,3\n")  # changed before the worker got to it
    pairs, runs = CrosswalkPair.objects.count(), ImportRun.objects.count()

    run_worker()
    result = run_import.get_result(str(DBTaskResult.objects.get().id))
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == "django.core.management.base.CommandError"
    assert (CrosswalkPair.objects.count(), ImportRun.objects.count()) == (pairs, runs)


def test_the_task_runs_nothing_but_an_import():
    # A queued row is data: whatever it names, the task runs only the import commands.
    with pytest.raises(ValueError, match="flush is not an import command"):
        run_import.call("flush", ["--no-input"], "mallory")
    assert Occupation.objects.exists()


# The first lines of a file that is no import file at all.
PASSWD = (
    "root:x:0:0:s3cret-first-line:/root:/bin/bash\n"
    "daemon:x:1:1:daemon,second line:/usr/sbin:/usr/sbin/nologin\n"
)
ESCO_FILES = ["ISCOGroups_en.csv", "occupations_en.csv", "skills_en.csv"]
ESCO_FILES += ["occupationSkillRelations.csv"]
ONET_FILES = ["Occupation Data.txt", "Skills.txt", "Knowledge.txt"]
IMPORT_COMMANDS = ["import_crosswalk", "import_people", "import_esco", "import_onet"]


def not_import_files(tmp_path: Path, command: str) -> list[str]:
    """The arguments of `command` naming files that hold PASSWD, under the names it reads."""
    if command in ("import_crosswalk", "import_people"):
        path = tmp_path / "passwd"
        path.write_text(PASSWD)
        return [str(path)]
    directory = tmp_path / "looks-like-an-export"
    directory.mkdir()
    for name in ESCO_FILES if command == "import_esco" else ONET_FILES:
        (directory / name).write_text(PASSWD)
    return [str(directory), "--release", "Not a release"]


@pytest.mark.parametrize(
    "command", ["import_crosswalk", "import_people", "import_esco", "import_onet"]
)
def test_a_queued_import_of_a_file_that_is_no_import_file_keeps_none_of_its_content(
    tmp_path, run_worker, admin_client, command
):
    # Queued with /etc/passwd, the task's result in admin showed its first line: the
    # header quoted by a parser's error.
    enqueue(command, *not_import_files(tmp_path, command))

    run_worker()
    task = DBTaskResult.objects.get()
    assert run_import.get_result(str(task.id)).status == TaskResultStatus.FAILED
    assert "expected" in task.traceback or "supported:" in task.traceback  # it says what it wanted
    page = admin_client.get(
        reverse("admin:django_tasks_database_dbtaskresult_change", args=[task.pk])
    )
    assert page.status_code == 200
    for shown in (json.dumps(model_to_dict(task), default=str), page.content.decode()):
        for content in ("root:x", "s3cret", "/bin/bash", "daemon", "second line"):
            assert content not in shown


@pytest.mark.parametrize("command", ["import_crosswalk", "import_people"])
def test_a_queued_import_of_etc_passwd_keeps_none_of_it(run_worker, command):
    passwd = Path("/etc/passwd")
    if not passwd.is_file():
        pytest.skip("no /etc/passwd on this system")
    first_line = passwd.read_text().splitlines()[0]
    enqueue(command, str(passwd))

    run_worker()

    task = DBTaskResult.objects.get()
    assert task.status == TaskResultStatus.FAILED
    assert first_line not in json.dumps(model_to_dict(task), default=str)
