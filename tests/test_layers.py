"""Every module under ``server/`` imports only from its own layer or the layers below it.

The rule is written in README.md ("Architecture"); this test reads each
module's imports (``ast``, so imports inside functions and under
``TYPE_CHECKING`` count too) and names every one that reaches upwards.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[1] / "server"

# Lowest first.  A module belongs to the layer of the longest prefix naming it.
LAYERS: list[tuple[str, list[str]]] = [
    (
        "core",
        [
            "server",
            "server.clock",
            "server.crypto",
            "server.errors",
            "server.heap",
            "server.keyfile",
            "server.logs",
            "server.metrics",
            "server.outage",
            "server.poller",
            "server.settings",
        ],
    ),
    ("domain", ["server.domain"]),
    ("models", ["server.auth", "server.schemas"]),
    (
        "adapters",
        [
            "server.db",
            "server.migrate",
            "server.outbound",
            "server.providers",
            "server.redis_pool",
            "server.reminders.mail",
        ],
    ),
    (
        "services",
        [
            "server.outbound.worker",
            "server.reminders",
            "server.services",
        ],
    ),
    ("webhook services", ["server.webhooks"]),
    ("transport", ["server.http", "server.realtime", "server.web"]),
    ("app", ["server.app", "server.cli", "server.demo"]),
]
RANK = {prefix: rank for rank, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes}
# Neighbours in one layer that must not lean on each other: the socket layer and the
# HTTP layer are two transports over the same services.
APART = [("server.realtime", "server.http"), ("server.http", "server.realtime")]


def module_name(path: Path) -> str:
    parts = path.relative_to(SERVER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, text: str, root: str = "server") -> list[tuple[int, str]]:
    """``(line, module)`` of every ``root`` module the file imports, relative ones resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                parent = ".".join(base)
                if node.module:
                    found.append((node.lineno, f"{parent}.{node.module}"))
                else:  # from . import x: x may be a module of the package
                    found += [(node.lineno, f"{parent}.{alias.name}") for alias in node.names]
            elif node.module:
                found.append((node.lineno, node.module))
    return [(line, target) for line, target in found if target.partition(".")[0] == root]


def owner(module: str) -> str:
    """The longest layer prefix naming ``module``."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in RANK:
            return prefix
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def layer(module: str) -> str:
    return LAYERS[RANK[owner(module)]][0]


def inside(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(read: Callable[[Path], str] = Path.read_text) -> list[str]:
    found = []
    for path in sorted(SERVER.rglob("*.py")):
        source = module_name(path)
        for line, target in imported(path, read(path)):
            if RANK[owner(target)] > RANK[owner(source)]:
                found.append(
                    f"{path.relative_to(SERVER.parent)}:{line}: {source} ({layer(source)}) "
                    f"imports {target} ({layer(target)})"
                )
            found += [
                f"{path.relative_to(SERVER.parent)}:{line}: {source} imports {target}"
                for importer, forbidden in APART
                if inside(source, importer) and inside(target, forbidden)
            ]
    return found


def test_no_layer_imports_a_higher_one() -> None:
    assert violations() == []


def test_the_package_never_imports_the_tests() -> None:
    """The fakes and test helpers live in ``tests/``, which is not installed."""
    found = [
        f"{path.relative_to(SERVER.parent)}:{line}: imports {target}"
        for path in sorted(SERVER.rglob("*.py"))
        for line, target in imported(path, path.read_text(), root="tests")
    ]
    assert found == []
    planted = imported(
        SERVER / "cli.py", "from tests.fakes.zoom import create_fake_zoom\n", "tests"
    )
    assert planted == [(1, "tests.fakes.zoom")]


def test_every_module_has_a_layer() -> None:
    modules = [module_name(path) for path in SERVER.rglob("*.py")]
    assert len(modules) > 100
    assert {layer(module) for module in modules} == {name for name, _ in LAYERS}


@pytest.mark.parametrize(
    ("module", "source", "complaint"),
    [
        (
            "server/providers/zoom_recordings.py",
            "from ..services.recordings import RecordingRef\n",
            "server.providers.zoom_recordings (adapters) imports server.services.recordings "
            "(services)",
        ),
        (
            "server/realtime/handlers.py",
            "from ..http.routing import read_body\n",
            "server.realtime.handlers imports server.http.routing",
        ),
        (
            "server/domain/polls.py",
            "import server.db.tables\n",
            "server.domain.polls (domain) imports server.db.tables (adapters)",
        ),
        (
            "server/services/classes.py",
            "from ..webhooks.intake import receive_zoom\n",
            "server.services.classes (services) imports server.webhooks.intake (webhook services)",
        ),
    ],
)
def test_an_upward_import_is_named(module: str, source: str, complaint: str) -> None:
    """The check sees a violation planted in a real module (the file on disk is untouched)."""
    planted = SERVER.parent / module

    def read(path: Path) -> str:
        text = path.read_text()
        return text + source if path == planted else text

    assert [found for found in violations(read) if complaint in found] != []
