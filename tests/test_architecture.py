"""DESIGN.md section 1, enforced: layering, lazy heavy imports, and who may import blocks/layers/.

Every module is parsed with ``ast`` (nothing is imported). "Module level" means the
statements that run on import: the module body and the bodies of module-level ``if``,
``try``/``except``/``else``/``finally`` and ``with`` blocks, however deeply nested; only
function and class bodies (which run later) are left out.
"""
from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PACKAGES = ("blocks", "engine", "cli", "gui")
FORBIDDEN = {
    "blocks": {"PySide6", "pyqtgraph", "gui", "engine", "cli"},
    "engine": {"PySide6", "pyqtgraph", "gui", "cli"},
    "cli": {"PySide6", "pyqtgraph", "gui"},
    "gui": {"cli"},
}
HEAVY = {"tensorflow", "keras"}
LAYERS = "blocks.layers"


def _modules():
    files = [ROOT / "main.py"]
    for pkg in PACKAGES:
        files += sorted((ROOT / pkg).rglob("*.py")) if (ROOT / pkg).exists() else []
    return files


def _module_name(path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _module_level(body):
    """Statements that run at import time, descending into if/try/with blocks but not defs."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try | ast.TryStar):
            yield from _module_level(node.body)
            for handler in node.handlers:
                yield from _module_level(handler.body)
            yield from _module_level(node.orelse)
            yield from _module_level(node.finalbody)
        elif isinstance(node, ast.With):
            yield from _module_level(node.body)


def _imports(nodes, module: str, is_package: bool):
    """(imported module, names imported from it, line) for every import statement in ``nodes``."""
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, (), node.lineno
        elif isinstance(node, ast.ImportFrom):
            yield _resolve(node, module, is_package), tuple(a.name for a in node.names), node.lineno


def _parsed(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    return tree, _module_name(path), path.name == "__init__.py"


def _touches_layers(target: str, names: tuple) -> bool:
    return target == LAYERS or target.startswith(LAYERS + ".") or (target == "blocks" and "layers" in names)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_layering_and_lazy_heavy_imports(path):
    tree, module, is_package = _parsed(path)
    rel = path.relative_to(ROOT)
    pkg = rel.parts[0] if len(rel.parts) > 1 else None
    for target, _, line in _imports(ast.walk(tree), module, is_package):
        top = target.split(".")[0]
        assert top not in FORBIDDEN.get(pkg, set()), f"{rel}:{line} imports {target} (dependencies point down only)"
    inside_layers = module == LAYERS or module.startswith(LAYERS + ".")
    for target, names, line in _imports(_module_level(tree.body), module, is_package):
        if not inside_layers:
            assert target.split(".")[0] not in HEAVY, \
                f"{rel}:{line} imports {target} at module level; import it inside a function (only blocks/layers/ may)"
            assert not _touches_layers(target, names), \
                f"{rel}:{line} imports {target} at module level; blocks/layers/ is imported only inside functions"


def _check_source(source: str, module: str = "engine.sample"):
    """Run the module-level checks on a snippet; returns the complaints."""
    tree = ast.parse(source)
    found = []
    for target, names, line in _imports(_module_level(tree.body), module, False):
        if target.split(".")[0] in HEAVY or _touches_layers(target, names):
            found.append((target, line))
    return found


def test_the_checks_see_imports_inside_module_level_blocks():
    source = (
        "try:\n    import keras\nexcept ImportError:\n    keras = None\n"
        "if True:\n    from tensorflow import nn\nelse:\n    pass\n"
        "from blocks import layers\n"
        "def later():\n    import keras\n"
        "class C:\n    def m(self):\n        from blocks.layers import swish\n"
    )
    assert _check_source(source) == [("keras", 2), ("tensorflow", 6), ("blocks", 9)]


def test_relative_imports_are_resolved():
    tree = ast.parse("from ..layers import swish\nfrom . import x\n")
    got = [t for t, _, _ in _imports(tree.body, "blocks.paper.swish", False)]
    assert got == ["blocks.layers", "blocks.paper"]


def test_editing_path_never_loads_keras_or_qt():
    """Open every example, edit it and infer shapes in a fresh Python: no Keras, no Qt."""
    code = (
        "import sys, glob; sys.path.insert(0, sys.argv[1]);"
        "from blocks import default_registry; from engine.model.project import load_project, dumps;"
        "from engine.analysis.graph import analyze; import cli.app;"
        "r = default_registry();"
        "ps = [load_project(f, r) for f in glob.glob(sys.argv[1] + '/resources/examples/*.sprout')];"
        "[analyze(p.document) for p in ps]; [dumps(p) for p in ps];"
        "heavy = [m for m in ('tensorflow', 'keras', 'PySide6', 'pyqtgraph', 'blocks.layers') if m in sys.modules];"
        "print(len(ps), heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, check=True)
    count, heavy = out.stdout.strip().split(" ", 1)
    assert int(count) >= 15 and heavy == "[]"
