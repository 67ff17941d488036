"""The code generator follows the compiler's walk: its code, run in a fresh Python, builds the same model."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine.build.codegen import keras_code
from engine.build.compiler import compile_document
from engine.build.walk import walk
from engine.errors import CompileError
from engine.model.document import GraphDocument
from engine.model.project import load_project
from tests.conftest import EXAMPLES, ROOT, example_names

# One fresh Python runs every generated file (one TensorFlow import for all examples).
RUN = """
import json, sys
sys.path.insert(0, sys.argv[1])
out = {}
for path in sys.argv[2:]:
    namespace = {"__name__": "generated"}
    exec(compile(open(path).read(), path, "exec"), namespace)
    model = namespace["build_model"]()
    out[path] = {"params": int(model.count_params()), "layers": [l.name for l in model.layers],
                 "outputs": [list(o.shape[1:]) for o in model.outputs]}
print(json.dumps(out))
"""


def _project(name, registry):
    return load_project(EXAMPLES / f"{name}.sprout", registry)


def test_walk_yields_every_node_once_in_a_valid_order(registry):
    doc = _project("digits_clr", registry).document
    steps = list(walk(doc))
    assert sorted(s.uid for s in steps) == sorted(doc.nodes)
    seen = set()
    for step in steps:
        assert all(src in seen for src, _ in step.sources)  # producers come first
        seen.add(step.uid)
    assert {s.role for s in steps} >= {"input", "output", "technique", "layer"}


def test_walk_stops_at_the_node_at_fault(registry):
    doc = GraphDocument(registry)
    doc.add_node("core.input", {"shape": [4]})
    dense = doc.add_node("core.dense", {"units": 3})
    with pytest.raises(CompileError) as info:
        list(walk(doc))
    assert info.value.uid == dense  # its input port is not connected


def test_generated_code_builds_the_same_models_in_a_fresh_python(registry, tmp_path):
    names = example_names()
    files = {}
    for name in names:
        code = keras_code(_project(name, registry).document)
        compile(code, name, "exec")  # valid Python before anything runs
        files[name] = tmp_path / f"{name}.py"
        files[name].write_text(code)
    out = subprocess.run([sys.executable, "-c", RUN, str(ROOT), *map(str, files.values())], capture_output=True,
                         text=True, timeout=600, env={"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
                                                      "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    built = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(built) == len(names) >= 15
    for name in names:
        model = compile_document(_project(name, registry).document).model
        got = built[str(files[name])]
        assert got["params"] == model.count_params(), name
        assert got["layers"] == [layer.name for layer in model.layers], name
        assert got["outputs"] == [list(o.shape[1:]) for o in model.outputs], name


def test_techniques_are_listed_not_built(registry):
    code = keras_code(_project("digits_pba", registry).document)
    assert "# Training techniques of this project" in code and "paper.pba" in code
