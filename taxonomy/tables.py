from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html

from config.tables import LabelledTable
from taxonomy.models import Occupation


class OccupationTable(LabelledTable):
    title = tables.Column(verbose_name="Occupation", linkify=True)
    code = tables.Column()
    group = tables.Column(verbose_name="ISCO group", order_by=("group__code",))
    essential_count = tables.Column(verbose_name="Essential", attrs={"td": {"class": "num"}})
    requirement_count = tables.Column(verbose_name="Competences", attrs={"td": {"class": "num"}})
    source = tables.Column()

    class Meta:
        model = Occupation
        fields = ("title", "code", "group", "essential_count", "requirement_count", "source")
        attrs = {"class": "table"}
        empty_text = "No occupation matches. Try fewer or shorter words, or an ISCO code."
        order_by = ("title",)

    def render_requirement_count(self, value: int) -> str:
        return str(value) if value else "No profile yet"

    def render_group(self, value) -> str:
        return format_html('<a href="{}">{}</a>', value.get_absolute_url(), value)
