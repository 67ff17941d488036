"""Bad plans give one line before any work starts: parsing, then checking against the model."""
from __future__ import annotations

import dataclasses
import json

import pytest

from blocks.spec import ExportNote
from engine.compress.plan import load_plan, parse_plan
from engine.errors import CompressionError
from engine.train.workflow import open_project

PLAN = {"steps": [{"method": "distill", "width": 0.5, "temperature": 4, "alpha": 0.3, "epochs": 10},
                  {"method": "factorize", "energy": 0.9, "fine_tune_epochs": 2},
                  {"method": "prune", "sparsity": 0.8, "structured": False, "schedule": "polynomial",
                   "fine_tune_epochs": 3},
                  {"method": "quantize", "mode": "int8"}]}


def test_the_issue_plan_parses_with_defaults_filled():
    plan = parse_plan(PLAN)
    assert [s["method"] for s in plan.steps] == ["distill", "factorize", "prune", "quantize"]
    assert plan.steps[2]["scope"] == "global" and plan.steps[0]["student"] == "slim"
    assert parse_plan(plan.to_json()) == plan  # what is saved reads back the same


@pytest.mark.parametrize("steps, message", [
    ([{"method": "shrink"}], "step 1: unknown method 'shrink' (expected one of distill, factorize, prune, quantize)"),
    ([{"method": "prune", "sparsity": 1.5}], "step 1 (prune): Expected 0 < sparsity < 1. Received: sparsity=1.5"),
    ([{"method": "prune", "sparsity": 0}], "Expected 0 < sparsity < 1. Received: sparsity=0"),
    ([{"method": "prune"}], "step 1 (prune): sparsity is required"),
    ([{"method": "prune", "sparsty": 0.5}], "unknown key 'sparsty'"),
    ([{"method": "prune", "sparsity": 0.5, "structured": "yes"}], "Expected structured true or false"),
    ([{"method": "quantize", "mode": "int4"}], "Expected mode in ['float16', 'dynamic', 'int8', 'qat']"),
    ([{"method": "quantize"}, {"method": "prune", "sparsity": 0.5}], "step 1 (quantize) must be the last step"),
    ([{"method": "distill", "temperature": -1}], "Expected 0 < temperature <= 100"),
    ([{"method": "factorize", "energy": 0.9, "rank": 4}], "give energy or rank, not both"),
    ([{"method": "factorize", "rank": 2.5}], "Expected rank a whole number"),
    ([], 'expected {"steps": [...]} with at least one step'),
])
def test_bad_plans_are_one_line(steps, message):
    with pytest.raises(CompressionError) as info:
        parse_plan({"steps": steps})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_plan_is_saved_in_the_project_and_reads_back(example_path):
    from blocks.registry import default_registry
    from engine.compress.plan import project_plan, save_to_project
    from engine.model.project import dumps, parse_project

    project = open_project(example_path("digits_cnn"))
    assert project_plan(project) is None
    plan = parse_plan(PLAN)
    save_to_project(project, plan)
    text = dumps(project)
    assert json.loads(text)["compression"]["version"] == 1
    assert project_plan(parse_project(text, default_registry())) == plan
    broken = parse_project(text.replace('"sparsity": 0.8', '"sparsity": 8'), default_registry())
    with pytest.raises(CompressionError, match="compression section: step 3 \\(prune\\): Expected 0 < sparsity < 1"):
        project_plan(broken)


def test_a_plan_file_that_is_not_json():
    with pytest.raises(CompressionError, match="plan.json: not valid JSON"):
        load_plan("{steps: [", "plan.json")


def _source(project):
    from engine.export.source import ExportSource
    from engine.model.project import dumps

    return ExportSource("run", project.path, project.path, dumps(project), project.path.parent, {}, {})


def test_checks_against_the_model_come_before_any_work(example_path):
    from engine.compress.job import check_plan

    project = open_project(example_path("digits_cnn"))
    with pytest.raises(CompressionError, match=r"step 1 \(factorize\): node n8 \(Dense\): rank 300 is larger"):
        check_plan(parse_plan({"steps": [{"method": "factorize", "rank": 300, "layers": ["n8"]}]}),
                   project, None, _source(project))
    regression = open_project(example_path("digits_mlp"))
    out = next(u for u, n in regression.document.nodes.items() if n.block == "core.output")
    regression.document.set_params(out, {"loss": "mse"})
    with pytest.raises(CompressionError, match=r"step 1 \(distill\): distillation needs a classifier output"):
        check_plan(parse_plan({"steps": [{"method": "distill"}]}), regression, None, _source(regression))
    with pytest.raises(CompressionError, match="needs the model's graph"):
        check_plan(parse_plan({"steps": [{"method": "prune", "sparsity": 0.5, "structured": True}]}),
                   None, None, None)


def test_a_model_tflite_cannot_carry_is_refused_before_quantizing(example_path):
    """A block that refuses TFLite (a test block: every shipped block converts) stops a quantize step."""
    from blocks.registry import Registry, default_registry
    from engine.compress.job import check_plan
    from engine.model.project import dumps, parse_project

    shipped = default_registry()
    refusing = dataclasses.replace(shipped.get("core.dense"), export_notes=lambda p, s, fmt: ExportNote(
        "refuse", "this test layer has no TFLite kernel") if fmt == "tflite" else None)
    specs = [refusing if spec.id == "core.dense" else spec
             for spec in (shipped.get(i) for i in _ids(shipped))]
    registry = Registry(specs)
    project = parse_project(dumps(open_project(example_path("digits_cnn"))), registry)
    project.path = example_path("digits_cnn")
    with pytest.raises(CompressionError, match=r"step 1 \(quantize\): TFLite cannot carry this model: "
                                               r".*this test layer has no TFLite kernel"):
        check_plan(parse_plan({"steps": [{"method": "quantize", "mode": "int8"}]}), project, None, _source(project))
    check_plan(parse_plan({"steps": [{"method": "prune", "sparsity": 0.5}]}), project, None, _source(project))


def _ids(registry):
    data = json.loads((__import__("pathlib").Path(__file__).parents[3] / "resources/examples/digits_cnn.sprout")
                      .read_text())
    return sorted({n["block"] for n in data["nodes"]})
