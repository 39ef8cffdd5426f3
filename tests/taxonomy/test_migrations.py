"""The taxonomy's data migrations, against the rows they meet."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps

CODE_FORMAT = importlib.import_module("taxonomy.migrations.0005_code_format")


class OldRows:
    """The historical models, as far as the check reads them: rows the new constraint forbids
    can no longer be stored in a test database."""

    def __init__(self, codes: dict[str, list[tuple[int, str]]]) -> None:
        self.codes = codes

    def get_model(self, app_label: str, name: str) -> SimpleNamespace:
        rows = self.codes[name]
        return SimpleNamespace(objects=SimpleNamespace(values_list=lambda *fields: rows))


def test_the_code_format_migration_names_every_row_it_would_refuse():
    old = OldRows(
        {
            "Occupation": [(1, "3512.4"), (2, "a/b"), (3, "15-1232.00"), (4, "x\n")],
            "OccupationGroup": [(7, "3512"), (8, "35/1")],
        }
    )

    with pytest.raises(RuntimeError) as caught:
        CODE_FORMAT.refuse_bad_codes(old, schema_editor=None)

    assert str(caught.value).endswith(
        "before migrating: Occupation id 2 ('a/b'), Occupation id 4 ('x\\n'), "
        "OccupationGroup id 8 ('35/1')"
    )


@pytest.mark.django_db
def test_the_shipped_taxonomy_passes_the_code_format_migration():
    CODE_FORMAT.refuse_bad_codes(apps, schema_editor=None)
