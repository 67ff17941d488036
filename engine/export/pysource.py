"""The source of Sprout's custom layers as one self-contained module (``sprout_layers.py``).

The Python export writes it beside the generated script so the script runs where Sprout
is not installed. Nothing is hand-copied: each class is read from its real module with
``inspect``/``ast`` and every name it uses is resolved in that module. A name defined
there (a helper, a constant, a base class) is copied too, a name imported from Sprout
(``from blocks.rules.octave import split_channels``) is copied from the module that
defines it, and any other import (``keras``, ``math``) is kept as an import statement.
The classes keep their ``register_keras_serializable(package="sprout")`` decorators, so
the names a ``.keras`` file refers to (``sprout>Swish``) resolve to them as well.

Pure Python: reading source imports only the layers' modules (which import Keras).
"""
from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
from dataclasses import dataclass, field

SPROUT_PACKAGES = ("blocks", "engine", "cli", "gui")  # never imported by the generated module


@dataclass
class _Module:
    """One parsed source module: its top-level definitions and imports."""

    name: str
    lines: list[str]
    defs: dict[str, ast.stmt] = field(default_factory=dict)
    imports: dict[str, tuple[str, str | None, str]] = field(default_factory=dict)  # local -> (module, attr, text)


class _Collector:
    """The definitions the classes need, per module, and the external imports they use."""

    def __init__(self):
        self.modules: dict[str, _Module] = {}
        self.needed: set[tuple[str, str]] = set()  # (module, name)
        self.after: dict[str, set[str]] = {}  # module -> the Sprout modules it takes names from
        self.origin: dict[str, str] = {}  # copied name -> its module (to refuse clashes)
        self.imports: dict[str, str] = {}  # local name -> its import statement

    def module(self, name: str) -> _Module:
        if name not in self.modules:
            self.modules[name] = _parse(name)
            self.after[name] = set()
        return self.modules[name]

    def add(self, module_name: str, name: str) -> None:
        """Resolve ``name`` as seen from ``module_name``, with everything it uses."""
        module = self.module(module_name)
        if (module_name, name) in self.needed:
            return
        if name in module.defs:
            if self.origin.setdefault(name, module_name) != module_name or name in self.imports:
                raise ValueError(f"sprout_layers: {name!r} is defined in both {self.origin[name]} and "
                                 f"{module_name}; rename one of them")
            self.needed.add((module_name, name))
            for used in sorted(_names(module.defs[name])):
                if used in module.defs or used in module.imports:
                    self.add(module_name, used)
            return
        source, attr, text = module.imports[name]
        if source.split(".")[0] not in SPROUT_PACKAGES:
            if self.imports.setdefault(name, text) != text or name in self.origin:
                raise ValueError(f"sprout_layers: {name!r} means different things in two modules")
        elif attr is None or attr != name:
            raise ValueError(f"sprout_layers: {module_name} imports {source} as {name!r}; import the names "
                             "it needs from it, unrenamed, so they can be copied")
        else:
            self.after[module_name].add(source)
            self.add(source, attr)

    def sections(self) -> list[tuple[str, list[str]]]:
        """``(module, [definition text, ...])``: modules after those they take names from,
        definitions in their module's order (so each runs after what it uses, as in Sprout)."""
        order: list[str] = []

        def visit(name: str) -> None:
            if name not in order:
                for dep in sorted(self.after[name]):
                    visit(dep)
                order.append(name)

        for name in sorted(self.modules):
            visit(name)
        out = []
        for name in order:
            module = self.modules[name]
            nodes = sorted({id(module.defs[n]): module.defs[n] for m, n in self.needed if m == name}.values(),
                           key=lambda node: node.lineno)
            if nodes:
                out.append((name, [_text(module, node) for node in nodes]))
        return out

    def import_lines(self) -> list[str]:
        """The external imports, standard library first."""
        def key(text: str):
            top = text.split()[1].split(".")[0]
            return top not in sys.stdlib_module_names, text.startswith("from"), text
        return sorted(set(self.imports.values()), key=key)


def _text(module: _Module, node: ast.stmt) -> str:
    """A definition's full lines (decorators and trailing comments included)."""
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    return "\n".join(module.lines[start - 1:node.end_lineno])


def layers_module_source(classes, title: str = "Sprout's custom Keras layers") -> str:
    """The text of a module defining ``classes`` (Sprout layer classes) and all they need.

    Args:
        classes: the layer classes (e.g. ``KerasProgram.custom``); may be empty.
        title: the first line of the module's docstring.

    Raises:
        ValueError: a class that is not defined in a Sprout module, or two helpers of one name.
    """
    collector = _Collector()
    for cls in classes:
        module = cls.__module__
        if module.split(".")[0] not in SPROUT_PACKAGES or cls.__qualname__ != cls.__name__ \
                or not isinstance(collector.module(module).defs.get(cls.__name__), ast.ClassDef):
            raise ValueError(f"sprout_layers: {module}.{cls.__qualname__} is not a top-level class of Sprout's")
        collector.add(module, cls.__name__)
    names = [cls.__name__ for cls in classes]
    sections = collector.sections()
    doc = [f'"""{title}, copied from Sprout\'s source for a script that runs without Sprout.', ""]
    if names:
        doc += [*textwrap.wrap(f"Classes: {', '.join(names)}.", 96, subsequent_indent="    "),
                *textwrap.wrap("Sources: " + ", ".join(f"{m.replace('.', '/')}.py" for m, _ in sections) + ".", 96,
                               subsequent_indent="    "),
                'Each class is registered with Keras under ``sprout>ClassName`` (as in Sprout), so a',
                "``.keras`` file saved by Sprout loads once this module is imported.", '"""']
    else:
        doc += ["The model uses no custom layer: everything it needs is in Keras itself. This module is",
                'written anyway so every exported script has the same files."""']
    out = [*doc, "from __future__ import annotations", ""]
    if collector.imports:
        out += [*collector.import_lines(), ""]
    for module_name, texts in sections:
        out += ["", f"# ---- source: {module_name.replace('.', '/')}.py ----"]
        for text in texts:
            out += ["", text, ""]
    out.append("")
    out += ["#: The classes this module provides, by name (as ``blocks.register_keras_objects()`` in Sprout).",
            "CLASSES = {" + ", ".join(f"{n!r}: {n}" for n in names) + "}", ""]
    return "\n".join(out)


def _parse(module_name: str) -> _Module:
    """Read a module's source (importing it, which the layers' modules allow)."""
    module = importlib.import_module(module_name)
    text = inspect.getsource(module)
    tree = ast.parse(text)
    parsed = _Module(module_name, text.splitlines())
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            parsed.defs[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    parsed.defs[target.id] = node
        elif isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                text_line = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                parsed.imports[local] = (alias.name if alias.asname else local, None, text_line)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            if node.level:
                raise ValueError(f"sprout_layers: {module_name} uses a relative import")
            for alias in node.names:
                local = alias.asname or alias.name
                text_line = f"from {node.module} import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                parsed.imports[local] = (node.module, alias.name, text_line)
    return parsed


def _names(node: ast.AST) -> set[str]:
    """Every name ``node`` reads (a superset: locals that shadow module names are included)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
