"""Before any export: what each format does with each block, and which formats are refused.

Pure Python (no TensorFlow): the studio shows it as the user ticks formats, the CLI prints
it before converting. A format with a ``refuse`` row is not attempted, so it writes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.export.formats import formats
from engine.export.options import ExportOptions
from engine.export.source import ExportSource


@dataclass(frozen=True)
class PreflightRow:
    """One line of the table: a format, the block (or None for the whole model) and what happens."""

    format: str
    uid: str | None
    block: str
    level: str  # "note" or "refuse"
    message: str

    def line(self) -> str:
        """``tflite   LSTM (n2): unrolled for TFLite: 8 steps``."""
        where = f"{self.block} ({self.uid})" if self.uid else self.block
        tag = "REFUSED " if self.level == "refuse" else ""
        return f"{self.format:<10} {tag}{where}: {self.message}"


@dataclass(frozen=True)
class Preflight:
    """The table, and the formats it refuses."""

    rows: tuple[PreflightRow, ...]

    @property
    def refused(self) -> tuple[str, ...]:
        """Formats that will not be attempted."""
        return tuple(dict.fromkeys(r.format for r in self.rows if r.level == "refuse"))

    def lines(self) -> list[str]:
        """The table as text lines (empty when every format carries every block unchanged)."""
        return [r.line() for r in self.rows]


def preflight(source: ExportSource, options: ExportOptions, registry=None) -> Preflight:
    """The pre-flight table of ``options.formats`` for ``source``.

    Raises:
        SproutError: the source's project cannot be parsed.
    """
    rows: list[PreflightRow] = []
    project = source.project(registry)
    steps = _steps(project) if project is not None else []
    for name in options.formats:
        fmt = formats()[name]
        if fmt.needs_graph and project is None:
            rows.append(PreflightRow(name, None, "model", "refuse",
                                     f"{fmt.title} is written from a Sprout graph, and {source.path.name} is a bare "
                                     "model file; export it from its run or project"))
        if fmt.variants and "int8" in options.quantize and source.data is None:
            rows.append(PreflightRow(name, None, "model", "refuse",
                                     "full int8 needs representative samples from the training data, and a bare "
                                     "model file has none; export from its run or project, or name the data"))
        for step in steps:
            if step.role == "technique":
                rows.append(PreflightRow(name, step.uid, step.label, "note",
                                         "a training technique: it shaped the weights, it is not part of the model"))
                continue
            if step.spec.export_notes is None:
                continue
            note = step.spec.export_notes(step.node.params, step.in_shapes, name)
            if note is not None:
                rows.append(PreflightRow(name, step.uid, step.label, note.level, note.message))
    return Preflight(tuple(rows))


@dataclass(frozen=True)
class _Step:
    uid: str
    label: str
    role: str
    spec: object
    node: object
    in_shapes: tuple


def _steps(project) -> list[_Step]:
    """The graph's nodes with their input shapes, in the one walk's order."""
    from engine.analysis.graph import analyze
    from engine.build.walk import walk

    analysis = analyze(project.document)
    out = []
    for step in walk(project.document, analysis):
        shapes = tuple(analysis.nodes[src].out_shapes[_port_index(project, src, port)]
                       for src, port in step.sources)
        out.append(_Step(step.uid, step.label, step.role, step.spec, step.node, shapes))
    return out


def _port_index(project, uid: str, port: str) -> int:
    spec = project.document.registry.get(project.document.node(uid).block)
    return spec.output_names().index(port)
