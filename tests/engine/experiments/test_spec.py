"""Ablation specs and the graph rewrites behind them (no training)."""
from __future__ import annotations

import json

import pytest

from engine.analysis.graph import analyze
from engine.experiments.job import check_variants
from engine.experiments.plan import Experiment, build_variants, identity, saved_experiment, store_experiment, tasks
from engine.experiments.spec import SpecError, parse_factor, split_values
from engine.model.project import load_project, parse_project
from tests.conftest import EXAMPLES


def _project(registry, name="digits_cnn"):
    return load_project(EXAMPLES / f"{name}.sprout", registry)


def _doc(registry, variant):
    return parse_project(variant.text, registry).document


def test_values_split_outside_brackets_and_quotes():
    assert split_values('1,[3,3],"a,b", x') == ["1", "[3,3]", '"a,b"', "x"]
    f = parse_factor("param:n2.kernel_size=[3,3],[5,5]")
    assert [c.value for c in f.levels] == [[3, 3], [5, 5]]


@pytest.mark.parametrize("text, words", [
    ("param:n2.filters", "param:NODE.PARAM=V1,V2"),
    ("param:n2.filters=8", "at least two values"),
    ("swap:core.conv2d", "swap:BLOCK_ID=OTHER_ID"),
    ("shuffle:n2", "unknown kind 'shuffle'"),
    ("n2", "expected param:"),
])
def test_bad_specs_are_one_line(text, words):
    with pytest.raises(SpecError) as err:
        parse_factor(text)
    assert words in str(err.value) and "\n" not in str(err.value) and text in str(err.value)


def test_a_grid_of_a_parameter_and_a_swap(registry):
    project = _project(registry)
    found = build_variants(project, Experiment(("param:n7.rate=0.1,0.5", "swap:core.conv2d=paper.octconv")))
    assert [v.label for v in found] == ["n7.rate=0.1 · core.conv2d", "n7.rate=0.1 · paper.octconv",
                                        "n7.rate=0.5 · core.conv2d", "n7.rate=0.5 · paper.octconv"]
    octo = _doc(registry, found[1])
    assert octo.node("n2").block == "paper.octconv" and octo.node("n2").params["filters"] == 32
    assert octo.node("n7").params["rate"] == 0.1 and octo.node("n4").block == "paper.octconv"
    assert octo.node("n2").params["activation"] == "relu" and octo.node("n2").title == "Conv 3x3"  # carried
    assert [lk for lk in octo.links() if "n2" in (lk.source, lk.target)] == \
        [lk for lk in project.document.links() if "n2" in (lk.source, lk.target)]  # same wiring
    # conv -> pool -> conv: each OctConv is a section of its own, plain tensor in and out
    assert [(octo.node(u).params["alpha_in"], octo.node(u).params["alpha_out"]) for u in ("n2", "n4")] == \
        [(0.0, 0.0), (0.0, 0.0)]
    assert len(check_variants(project, Experiment(("param:n7.rate=0.1,0.5", "swap:core.conv2d=paper.octconv")))) == 4
    pooled = build_variants(project, Experiment(("swap:core.maxpool2d=core.avgpool2d",)))[1]
    assert analyze(_doc(registry, pooled)).ok and _doc(registry, pooled).node("n3").block == "core.avgpool2d"
    base = _doc(registry, found[0])
    assert base.node("n2").block == "core.conv2d" and len(base.nodes) == len(project.document.nodes)
    assert project.document.node("n2").block == "core.conv2d"  # the project itself is untouched
    ids = {t.identity for t in tasks(found, Experiment(("x",), seeds=2))}
    assert len(ids) == 8  # every (variant, seed) its own identity


def test_a_block_without_the_activation_gets_an_activation_node_after_it(registry):
    found = build_variants(_project(registry), Experiment(("swap:core.dense=core.batchnorm",)))
    doc = _doc(registry, found[1])
    assert doc.node("n8").block == "core.batchnorm"
    (after,) = [lk.target for lk in doc.links() if lk.source == "n8"]
    assert doc.node(after).block == "core.activation" and doc.node(after).params["activation"] == "relu"
    (nxt,) = [lk.target for lk in doc.links() if lk.source == after]
    assert nxt == "n9" and doc.node("n9").block == "core.batchnorm"  # the class layer too (softmax kept)


def test_every_relu_becomes_swish_inline_ones_split(registry):
    found = build_variants(_project(registry), Experiment(("swap:relu=paper.swish",)))
    doc = _doc(registry, found[1])
    for uid in ("n2", "n4", "n8"):
        assert doc.node(uid).params["activation"] == "linear"
        (after,) = [lk.target for lk in doc.links() if lk.source == uid]
        assert doc.node(after).block == "paper.swish"
    assert doc.node("n9").params["activation"] == "softmax" and analyze(doc).ok
    gelu = _doc(registry, build_variants(_project(registry), Experiment(("swap:relu=gelu",)))[1])
    assert [gelu.node(u).params["activation"] for u in ("n2", "n4", "n8")] == ["gelu"] * 3


def test_toggle_bypasses_a_node_and_names_what_cannot_be(registry):
    found = build_variants(_project(registry), Experiment(("toggle:Dropout",)))  # by title
    assert [v.label for v in found] == ["Dropout on", "Dropout off"]
    off = _doc(registry, found[1])
    assert "n7" not in off.nodes and any(lk.source == "n6" and lk.target == "n8" for lk in off.links())
    with pytest.raises(SpecError, match="no node 'Nope'"):
        build_variants(_project(registry), Experiment(("toggle:Nope",)))
    with pytest.raises(SpecError, match="has no parameter 'units'"):
        build_variants(_project(registry), Experiment(("param:n2.units=1,2",)))
    with pytest.raises(SpecError, match="the graph has no core.lstm block"):
        build_variants(_project(registry), Experiment(("swap:core.lstm=core.gru",)))
    with pytest.raises(SpecError) as err:
        build_variants(_project(registry), Experiment(("param:n2.filters=8,-1",)))
    assert "param:n2.filters=8,-1" in str(err.value) and "\n" not in str(err.value)


def test_the_experiment_is_saved_in_the_project_and_identity_ignores_layout(registry, tmp_path):
    project = _project(registry)
    store_experiment(project, Experiment(("toggle:n7",), seeds=2, epochs=3))
    from engine.model.project import save_project

    path = save_project(project, tmp_path / "p.sprout")
    again = load_project(path, registry)
    assert saved_experiment(again) == Experiment(("toggle:n7",), 2, 3)
    text = json.loads(build_variants(again, saved_experiment(again))[0].text)
    assert "experiments" not in text  # a run's snapshot carries no experiment
    moved = dict(text)
    moved["nodes"] = [{**n, "position": [1.0, 2.0]} for n in text["nodes"]]
    assert identity(json.dumps(text), 0, 3) == identity(json.dumps(moved), 0, 3) != identity(json.dumps(text), 1, 3)


def test_octconv_swaps_set_each_sections_alphas_and_several_others_are_levels(registry):
    project = _project(registry, "residual_cnn")  # n2 -> n3 -> n4 -> add(n4, n2)
    spec = "swap:core.conv2d=paper.octconv(alpha=0.25),paper.octconv(alpha=0.5)"
    found = check_variants(project, Experiment((spec,)))  # every variant analysed: no errors
    assert [v.label for v in found] == ["core.conv2d", "paper.octconv(alpha=0.25)", "paper.octconv(alpha=0.5)"]
    for variant, alpha in zip(found[1:], (0.25, 0.5), strict=True):
        doc = _doc(registry, variant)
        alphas = {u: (doc.node(u).params["alpha_in"], doc.node(u).params["alpha_out"]) for u in ("n2", "n3", "n4")}
        # n2 also feeds the Add: it must give a plain tensor; n3 -> n4 is the octave section.
        assert alphas == {"n2": (0.0, 0.0), "n3": (0.0, alpha), "n4": (alpha, 0.0)}
        assert analyze(doc).ok
    acts = build_variants(_project(registry), Experiment(("swap:relu=paper.swish,paper.hard_swish",)))
    assert [v.label for v in acts] == ["relu", "paper.swish", "paper.hard_swish"]
    hard = _doc(registry, acts[2])
    assert sum(n.block == "paper.hard_swish" for n in hard.nodes.values()) == 3  # two convs and a dense
    assert not any(n.params.get("activation") == "relu" for n in hard.nodes.values())
    with pytest.raises(SpecError, match="param=value"):
        parse_factor("swap:core.conv2d=paper.octconv(alpha)")
