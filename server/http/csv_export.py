"""CSV answers of report routes: one row per model, spreadsheet-safe cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from starlette.responses import Response

__all__ = ["csv_response"]


def csv_response(rows: Sequence[BaseModel], model: type[BaseModel], filename: str) -> Response:
    out = io.StringIO()
    columns = list(model.model_fields)
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        values = row.model_dump(mode="json")
        writer.writerow({k: _cell(values[k]) for k in columns})
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value: Any) -> Any:
    # Spreadsheet apps run cells that start with these as formulas.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
