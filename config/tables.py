"""What every django-tables2 table of the site shares."""

from __future__ import annotations

import django_tables2 as tables


class LabelledTable(tables.Table):
    """Each cell names its column, which narrow screens show beside the value."""

    def before_render(self, request) -> None:
        for column in self.columns:
            td = {**column.column.attrs.get("td", {}), "data-label": str(column.header)}
            column.column.attrs = {**column.column.attrs, "td": td}
