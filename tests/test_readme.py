"""The README's configuration table is exactly what ``server/settings.py`` defines."""

from __future__ import annotations

from pathlib import Path

from scripts.config_table import readme_table, table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_configuration_table_matches_the_settings_model() -> None:
    assert readme_table(README.read_text(encoding="utf-8")) == table(), (
        "README.md's configuration table is stale: run python scripts/config_table.py --write"
    )


def test_readme_points_at_the_docs_other_engineers_own() -> None:
    text = README.read_text(encoding="utf-8")
    for needed in (
        "## Real-time classroom",
        "docs/realtime.md",
        "## Zoom and Google Meet",
        "docs/providers.md",
        "scripts/test",
        "docs/http.md",
    ):
        assert needed in text
