"""`enqueue_import`: an import checked here, queued as a task, run by the worker."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.tasks import TaskResultStatus
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
