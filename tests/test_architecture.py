"""DESIGN.md section 1, enforced: layering and no module-level TensorFlow/Keras imports."""
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
    "cli": {"PySide6", "pyqtgraph"},
    "gui": {"cli"},
}
HEAVY = {"tensorflow", "keras"}


def _modules():
    files = [ROOT / "main.py"]
    for pkg in PACKAGES:
        files += sorted((ROOT / pkg).rglob("*.py")) if (ROOT / pkg).exists() else []
    return files


def _imports(tree, top_level_only: bool):
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_layering_and_lazy_heavy_imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    rel = path.relative_to(ROOT)
    pkg = rel.parts[0] if len(rel.parts) > 1 else None
    for name, line in _imports(tree, top_level_only=False):
        assert name not in FORBIDDEN.get(pkg, set()), f"{rel}:{line} imports {name} (dependencies point down only)"
    for name, line in _imports(tree, top_level_only=True):
        assert name not in HEAVY, f"{rel}:{line} imports {name} at module level; import it inside a function"


def test_editing_path_never_loads_keras_or_qt():
    """Open every example, edit it and infer shapes in a fresh Python: no Keras, no Qt."""
    code = (
        "import sys, glob; sys.path.insert(0, sys.argv[1]);"
        "from blocks import default_registry; from engine.model.project import load_project, dumps;"
        "from engine.analysis.graph import analyze;"
        "r = default_registry();"
        "ps = [load_project(f, r) for f in glob.glob(sys.argv[1] + '/resources/examples/*.sprout')];"
        "[analyze(p.document) for p in ps]; [dumps(p) for p in ps];"
        "heavy = [m for m in ('tensorflow', 'keras', 'PySide6', 'pyqtgraph') if m in sys.modules];"
        "print(len(ps), heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, check=True)
    count, heavy = out.stdout.strip().split(" ", 1)
    assert int(count) >= 5 and heavy == "[]"
