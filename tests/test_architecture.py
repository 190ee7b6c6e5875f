"""The import graph of src/rumhouse follows docs/architecture.md: each part imports only the parts listed
there. A new top-level module or package must be placed in the table before it can be imported."""

from __future__ import annotations

import ast
from pathlib import Path

from support.server import REPO

FOUNDATION = (
    "tables",
    "drops",
    "clients",
    "settings",
    "sites",
    "logs",
    "security_headers",
    "placement",
    "spool",
    "auth",
    "demo",
    "snippet",
    "rate_limits",
    "pdf",
)
ALLOWED: dict[str, set[str] | None] = {
    **{part: set() for part in FOUNDATION},
    "store": {"tables"},
    "metrics": {"drops", "tables"},
    "writer": {"store", "spool", "metrics", "drops", "tables"},
    "settle": {"store", "metrics", "tables"},
    "otlp": {"writer", "store", "metrics", "tokens", "auth", "tables", "rate_limits"},
    "ingest": {"writer", "metrics", "drops", "clients", "sites", "tables", "rate_limits"},
    "http_front": {"clients", "security_headers"},
    "tokens": {"store"},
    "deletion": {"store"},
    "audit": {"store"},
    "usersql": {"store", "settings"},
    "query": {"tables"},
    "api": {"store", "query", "tokens", "auth", "usersql", "deletion", "settings", "sites", "tables"},
    "budgets": {"api", "query", "store", "sites", "tokens", "tables", "ai"},
    "alerts": {"api", "query", "budgets", "store", "ai", "reports"},
    "ai": {"api", "query", "store", "sites", "pdf"},
    "dependencies": {"api", "query", "store", "sites"},
    "reports": {"api", "budgets", "ai", "query", "store", "pdf"},
    "errors": {"api", "query", "store", "sites"},
    "config_file": {"sites", "budgets", "alerts", "ai", "dependencies"},
    "rumhouse": set(),  # the package's own __init__
    # They compose the rest: anything.
    "app": None,
    "runtime": None,
    "cli": None,
    "__main__": None,
}


def part_of(module: str) -> str:
    """`rumhouse.ingest.pipeline` -> `ingest`; `rumhouse.writer` -> `writer`."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else pieces[0]


def import_graph(package: Path) -> dict[str, set[tuple[str, str]]]:
    """For each part: (imported part, where) for every import of another part of rumhouse, lazy ones too."""
    graph: dict[str, set[tuple[str, str]]] = {}
    for path in sorted(package.rglob("*.py")):
        module = "rumhouse." + ".".join(path.relative_to(package).with_suffix("").parts)
        source = part_of(module.removesuffix(".__init__"))
        edges = graph.setdefault(source, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rumhouse":
                # `from rumhouse import __version__` reads the package root, not a part.
                names = (
                    [node.module]
                    if node.module != "rumhouse"
                    else [
                        f"rumhouse.{a.name}" if not a.name.startswith("__") else "rumhouse"
                        for a in node.names
                    ]
                )
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.split(".")[0] == "rumhouse"]
            for name in names:
                target = part_of(name)
                if target != source:
                    edges.add((target, f"{path.relative_to(package.parent)}:{node.lineno}"))
    return graph


def forbidden(graph: dict[str, set[tuple[str, str]]]) -> list[str]:
    found = []
    for source, edges in sorted(graph.items()):
        if source not in ALLOWED:
            found.append(f"{source} is in no row of docs/architecture.md's table")
            continue
        allowed = ALLOWED[source]
        for target, where in sorted(edges):
            # The package root holds only its version, which any part may name.
            if allowed is not None and target not in allowed and target != "rumhouse":
                found.append(f"{where}: {source} may not import {target}")
    return found


def test_the_package_follows_the_architecture():
    assert forbidden(import_graph(REPO / "src" / "rumhouse")) == []


def test_a_forbidden_import_is_found(tmp_path):
    package = tmp_path / "rumhouse"
    (package / "store").mkdir(parents=True)
    (package / "store" / "base.py").write_text("from rumhouse.ingest.rows import PageView\n")
    (package / "writer.py").write_text("def f():\n    from rumhouse.api.table import Table\n")
    assert forbidden(import_graph(package)) == [
        "rumhouse/store/base.py:1: store may not import ingest",
        "rumhouse/writer.py:2: writer may not import api",
    ]
    (package / "newpart.py").write_text("")
    assert "newpart is in no row of docs/architecture.md's table" in forbidden(import_graph(package))


def test_the_table_in_the_docs_is_this_one():
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    for part, allowed in ALLOWED.items():
        assert f"`{part}`" in doc, part
        for target in allowed or ():
            assert f"`{target}`" in doc
