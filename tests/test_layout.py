"""The import rules of the layout (docs/decisions.md, "Layout"): dependencies point one way.

Every import of every module is read with `ast` (those inside functions too),
relative imports resolved against the module's package, so a rule broken in
any corner of the code fails here with the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("appliance", "webview_client")

# Third-party packages that tie code to HTTP, to gevent or to the database engine.
HTTP = ("flask", "flask_openapi3", "flask_openapi3_swagger", "flask_sock", "simple_websocket", "werkzeug")
GEVENT = ("gevent",)
ENGINE = ("apsw",)
# The API's own modules that other API modules may import: shared plumbing, no domain logic.
API_SHARED = {
    "appliance.api.context",
    "appliance.api.errors",
    "appliance.api.gate",
    "appliance.api.headers",
    "appliance.api.jsonio",
    "appliance.api.models",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in module `name`; `from X import name` also yields X.name."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def _under(module: str, *prefixes: str) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def violations(modules: dict[str, Path]) -> list[str]:
    """Every import that breaks a rule, as 'file:line: module imports target (rule)'."""
    broken = []
    for module, path in modules.items():
        where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        for line, target in _imports(path, module):
            rule = None
            if _under(module, "appliance.shop"):
                if _under(target, *HTTP, *GEVENT, *ENGINE):
                    rule = "shop/ knows no HTTP, no gevent and no engine"
                elif _under(target, "appliance") and not _under(target, "appliance.shop", "appliance.store"):
                    rule = "shop/ uses only shop/ and store/"
            if rule is None and _under(target, *ENGINE) and not _under(module, "appliance.store"):
                rule = "only store/ imports the database engine"
            if (
                rule is None
                and _under(module, "appliance.api")
                and _under(target, "appliance.api")
                and not _under(target, *API_SHARED)
                and target != "appliance.api"
                and module != "appliance.api"
                and not _under(target, module)
            ):
                rule = "api/ modules share only context, errors, gate, headers, jsonio and models"
            if (
                rule is None
                and _under(module, "webview_client")
                and _under(target, "appliance")
                and not _under(target, "appliance.shop", "appliance.store")
            ):
                rule = "webview_client uses appliance.shop and appliance.store only"
            if rule is not None:
                broken.append(f"{where}:{line}: {module} imports {target} ({rule})")
    return sorted(set(broken))


def test_imports_follow_the_layout():
    assert violations(_modules()) == []


@pytest.mark.parametrize(
    "package, source, rule",
    [
        ("appliance.shop", "import flask", "shop/ knows no HTTP"),
        ("appliance.shop", "from gevent.lock import Semaphore", "shop/ knows no HTTP, no gevent"),
        ("appliance.shop", "from ..api import context", "shop/ uses only shop/ and store/"),
        ("appliance.backups", "import apsw", "only store/ imports the database engine"),
        ("appliance.api", "from .ordenes import OrdenOut", "api/ modules share only"),
        ("webview_client", "from appliance.api import errors", "webview_client uses appliance.shop"),
    ],
    ids=["shop-flask", "shop-gevent", "shop-api", "engine-outside-store", "api-to-api", "client-to-api"],
)
def test_a_broken_rule_is_caught(tmp_path, package, source, rule):
    """Each rule fails on an import that breaks it: a module planted into the package, checked with the real ones."""
    planted = tmp_path / "planted.py"
    planted.write_text(source + "\n", encoding="utf-8")
    found = [v for v in violations({**_modules(), f"{package}.planted": planted}) if "planted" in v]
    assert found and all(rule in violation for violation in found), found
