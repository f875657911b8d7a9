"""The code's shape, checked: each layer imports only the layers below it (ARCHITECTURE.md).

Read from the source text (ast), so a move that breaks the layering fails here with the
file and the import named, before it becomes a hidden cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (ROOT / "server" / "contacthub", ROOT / "plugins" / "contacthub_radicale")

# Bottom to top. A module may import its own layer and any layer listed before it.
LAYERS: list[tuple[str, ...]] = [
    ("errors", "measures", "cpu_priority"),  # measures: Prometheus instruments, where counted
    ("store",),
    ("fetch", "credentials", "users", "logins", "signin_throttle"),
    ("config",),
    ("vcard",),
    ("reconcile",),
    ("duplicates",),  # found across an account's books, merged, undone
    ("sources",),
    ("jobs",),
    ("plugin",),  # contacthub_radicale, Radicale's view of the store
    ("carddav",),
    ("services",),
    ("web.common",),  # web/*.py: auth, errors, openapi, what the views share
    ("web.api", "web.admin"),
    ("web",),  # the app factory, web/__init__.py
    ("app", "firstrun", "favicon", "health", "metrics", "request_log", "log_format"),
    ("serve",),
    ("cli",),
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# Layers of one rank that must not import each other.
SIBLINGS_APART = {"web.api", "web.admin"}
# The kinds of source know the shared sources modules, never each other; only the
# registry (sources/registry.py) knows them all.
KINDS = ("csv", "imap", "exchange")


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "contacthub_radicale":
        return "plugin"
    if len(parts) == 1:
        return "errors"  # contacthub/__init__.py: only the version
    if parts[1] == "web":
        if len(parts) == 2:
            return "web"
        return f"web.{parts[2]}" if parts[2] in ("api", "admin") else "web.common"
    return parts[1]


def kind_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["contacthub", "sources"] and len(parts) > 2 and parts[2] in KINDS:
        return parts[2]
    return None


def module_name(path: Path, package: Path) -> str:
    relative = path.relative_to(package.parent).with_suffix("")
    return ".".join(relative.parts).removesuffix(".__init__")


def _imported(module: str, name: str) -> str:
    """What `from module import name` imports: the submodule `name`, or from `module`."""
    for package in PACKAGES:
        if module.split(".")[0] != package.name:
            continue
        inside = package.parent.joinpath(*module.split("."), name)
        if inside.with_suffix(".py").exists() or (inside / "__init__.py").exists():
            return f"{module}.{name}"
    return module


def imports() -> Iterator[tuple[str, str, int]]:
    """(importing module, imported module, line) for every import of our own code."""
    for package in PACKAGES:
        for path in sorted(package.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            importer = module_name(path, package)
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    targets = [_imported(node.module, alias.name) for alias in node.names]
                elif isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                else:
                    continue
                for target in targets:
                    if target.split(".")[0] in ("contacthub", "contacthub_radicale"):
                        yield importer, target, node.lineno


def refusal(importer: str, target: str) -> str | None:
    here, there = layer_of(importer), layer_of(target)
    if here == there:
        own, other = kind_of(importer), kind_of(target)
        if own and other and own != other:
            return f"the {own} source imports the {other} source"
        if own and target == "contacthub.sources.registry":
            return f"the {own} source imports the registry of all kinds"
        return None
    if here in SIBLINGS_APART and there in SIBLINGS_APART:
        return f"{here} imports {there}: what both need belongs in services"
    if RANK[there] > RANK[here]:
        return f"{here} imports {there}, a layer above it"
    return None


def test_every_layer_imports_only_layers_below_it() -> None:
    found = [
        f"{importer} (line {line}) imports {target}: {reason}"
        for importer, target, line in imports()
        if (reason := refusal(importer, target))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("importer", "target"),
    [
        ("contacthub.store.items", "contacthub.vcard.parse"),
        ("contacthub.sources.imap.source", "contacthub.jobs.runner"),
        ("contacthub.web.admin.books", "contacthub.web.api.contacts"),
        ("contacthub.sources.csv.run", "contacthub.sources.imap.scan"),
        ("contacthub.sources.exchange.source", "contacthub.sources.registry"),
        ("contacthub_radicale.storage", "contacthub.web.auth"),
    ],
)
def test_an_upward_or_sideways_import_is_named(importer: str, target: str) -> None:
    assert refusal(importer, target) is not None


def test_every_package_has_a_layer() -> None:
    layers = {layer_of(importer) for importer, _, _ in imports()}
    assert layers <= set(RANK), layers - set(RANK)
