"""Named export templates: the design's two built in (``tax_prep``, ``billing_audit``)
and the user's own, stored in ExportTemplate; and writing any export to a file.

``tax_prep`` is an Excel workbook of the compensation figures a tax preparer needs, one
row per pay period plus the year-to-date totals the packets print. The design names its
fields date, gross pay, commission and bonus; packets hold no such lines, so they map to
what the packets print (docs/exports.md): date -> pay period and pay date; gross pay ->
the payroll stub's gross earnings and the compensation report's total compensation;
commission -> clinical compensation (the pools' production pay); bonus -> stipends and
other compensation not subject to overhead; plus overhead, deductions, W-2 income, taxes
withheld, after-tax items and net pay. It never holds patient names.

``billing_audit`` is a PDF of the billing audit: expected cases (the case log) against
billed cases by service month, the billed/missing case timeline, and the discrepancies.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from data.models import ExportTemplate
from data.repositories import ExportTemplateRepository
from exports.service import (
    ENTITY_LABELS,
    FORMATS,
    ExportData,
    ExportError,
    ExportRequest,
    build_export,
    parse_date_range,
    ytd_table,
)

TAX_PREP_FIELDS = [
    "period",
    "pay_date",
    "gross_earnings",
    "total_compensation",
    "clinical_pay",
    "stipends",
    "overhead",
    "deductions",
    "w2_income",
    "taxes",
    "after_tax_items",
    "net_pay",
]
#: Sections a compensation template can hold (sheets of the workbook).
COMPENSATION_SECTIONS = ("monthly_summary", "ytd_totals", "charts")
AUDIT_SECTIONS = ("expected_cases", "billed_cases", "discrepancies")

BUILT_IN: dict[str, dict[str, Any]] = {
    "tax_prep": {
        "description": "For the accountant: pay per period and the year-to-date totals the "
        "packets print (Excel). Never holds patient names.",
        "export_format": "excel",
        "entity_type": "compensation",
        "fields": TAX_PREP_FIELDS,
        "sections": ["monthly_summary", "ytd_totals"],
        "date_range": "all",
    },
    "billing_audit": {
        "description": "For a dispute with the billing company: expected cases, billed "
        "cases and discrepancies (PDF).",
        "export_format": "pdf",
        "entity_type": "audit",
        "fields": [],
        "sections": list(AUDIT_SECTIONS),
        "date_range": "all",
    },
}
#: Entities whose templates never carry patient names.
NAMELESS = {"compensation", "charts", "insights", "points", "cpt_codes"}
_NAME = re.compile(r"^[A-Za-z0-9_ .-]{1,80}$")


@dataclass
class TemplateSpec:
    """A template as plain values (from the database or from a form)."""

    name: str
    export_format: str
    entity_type: str
    fields: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    date_range: str = "all"
    include_names: bool = False
    description: str = ""
    built_in: bool = False
    id: int | None = None

    @classmethod
    def of(cls, row: ExportTemplate) -> TemplateSpec:
        return cls(
            name=row.name,
            export_format=row.export_format,
            entity_type=row.entity_type,
            fields=json.loads(row.fields or "[]"),
            sections=json.loads(row.sections or "[]"),
            date_range=row.date_range or "all",
            include_names=bool(row.include_names),
            description=row.description or "",
            built_in=bool(row.built_in),
            id=row.id,
        )


def seed_built_ins(session: Session) -> int:
    """Store the built-in templates that are not stored yet (first use); returns how many."""
    repo = ExportTemplateRepository(session)
    added = 0
    for name, spec in BUILT_IN.items():
        if repo.find_by_name(name) is None:
            repo.save(
                ExportTemplate(
                    name=name,
                    description=spec["description"],
                    export_format=spec["export_format"],
                    entity_type=spec["entity_type"],
                    fields=json.dumps(spec["fields"]),
                    sections=json.dumps(spec["sections"]),
                    date_range=spec["date_range"],
                    include_names=False,
                    built_in=True,
                )
            )
            added += 1
    return added


def list_templates(session: Session) -> list[TemplateSpec]:
    """Every template, the built-ins seeded first if missing (the caller commits)."""
    seed_built_ins(session)
    return [TemplateSpec.of(row) for row in ExportTemplateRepository(session).list_all()]


def find_template(session: Session, name: str) -> TemplateSpec | None:
    seed_built_ins(session)
    row = ExportTemplateRepository(session).find_by_name(name)
    return TemplateSpec.of(row) if row else None


def validate(spec: TemplateSpec, entities: set[str]) -> None:
    """ExportError naming the first thing wrong with ``spec``."""
    if not _NAME.match(spec.name or ""):
        raise ExportError(
            "Give the template a name of letters, digits, spaces, '_', '-' or '.' (up to 80)."
        )
    if spec.export_format not in FORMATS:
        raise ExportError(f"The format must be one of {', '.join(FORMATS)}.")
    if spec.entity_type not in entities:
        raise ExportError(f"The data must be one of {', '.join(sorted(entities))}.")
    parse_date_range(spec.date_range)
    if spec.name == "tax_prep" and spec.include_names:
        raise ExportError("tax_prep never holds patient names.")
    if spec.include_names and spec.entity_type in NAMELESS:
        spec.include_names = False


def save_template(session: Session, spec: TemplateSpec, entities: set[str]) -> TemplateSpec:
    """Create or update the template called ``spec.name`` (built-ins can be edited too)."""
    validate(spec, entities)
    seed_built_ins(session)
    repo = ExportTemplateRepository(session)
    row = repo.find_by_name(spec.name)
    if row is None:
        row = ExportTemplate(name=spec.name, built_in=False)
    row.description = spec.description[:300]
    row.export_format = spec.export_format
    row.entity_type = spec.entity_type
    row.fields = json.dumps(spec.fields)
    row.sections = json.dumps(spec.sections)
    row.date_range = spec.date_range or "all"
    row.include_names = spec.include_names
    return TemplateSpec.of(repo.save(row))


def delete_template(session: Session, name: str) -> str:
    """Delete a user template; the built-ins stay (they can be edited, not removed)."""
    repo = ExportTemplateRepository(session)
    row = repo.find_by_name(name)
    if row is None:
        raise ExportError(f"There is no template called {name[:80]}.")
    if row.built_in:
        raise ExportError(f"{name} is built in: edit it instead of deleting it.")
    repo.delete(row.id)
    return f"Deleted the template {name}."


def template_data(
    session: Session, spec: TemplateSpec, date_range: str | None = None
) -> ExportData:
    """What running ``spec`` exports, over ``date_range`` (else the template's own)."""
    dr = parse_date_range(date_range if date_range else spec.date_range)
    include_names = spec.include_names and spec.name != "tax_prep"
    request = ExportRequest(
        date_range=dr,
        fields=list(spec.fields),
        include_names=include_names,
        sections=list(spec.sections),
    )
    data = build_export(session, spec.entity_type, request)
    if spec.entity_type == "compensation" and spec.sections:
        tables = []
        if "monthly_summary" in spec.sections:
            tables.append(data.main)
        if "ytd_totals" in spec.sections:
            tables.append(
                ytd_table(
                    session,
                    dr,
                    [f for f in spec.fields if f not in ("period", "pay_date")]
                    or TAX_PREP_FIELDS[2:],
                )
            )
        data.tables = tables or [data.main]
        if "charts" not in spec.sections:
            data.charts = []
    data.title = f"{data.title} ({spec.name})"
    data.name = spec.name
    return data


def write_export(data: ExportData, fmt: str, path: str | Path) -> Path:
    """Write ``data`` as ``fmt`` (csv, excel or pdf) to ``path``, atomically: the file is
    written beside it under a hidden name and renamed when whole, so a crash or a full disk
    never leaves a half file where the user looks."""
    path = Path(path)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        os.replace(_write_export(data, fmt, partial), path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _write_export(data: ExportData, fmt: str, path: Path) -> Path:
    if fmt == "csv":
        from exports.csv_exporter import CSVExporter

        return CSVExporter().export(data, path)
    if fmt == "excel":
        from exports.excel_exporter import ExcelExporter

        return ExcelExporter().export(data, path)
    if fmt == "pdf":
        from exports.pdf_exporter import PDFExporter

        return PDFExporter().export(data, path)
    raise ExportError(f"Cannot write '{fmt[:20]}': choose csv, excel or pdf.")


def entity_choices() -> dict[str, str]:
    """Entities a template can name, with their labels."""
    return dict(ENTITY_LABELS)
