"""Typed errors of the engine. Each message names the file, node or parameter at fault."""
from __future__ import annotations


class SproutError(Exception):
    """Base of every error a user can cause; the CLI prints its message, no traceback."""


class LinkError(SproutError):
    """A link cannot be made."""


class CycleError(LinkError):
    """The link would close a cycle."""


class OccupiedInputError(LinkError):
    """The input port already has a link."""


class DuplicateLinkError(LinkError):
    """The same link exists already."""


class PortError(LinkError):
    """No such port, or ports of different kinds."""


class NodeError(SproutError):
    """An error that belongs to one node; ``uid`` lets the canvas mark it."""

    def __init__(self, uid: str | None, message: str, param: str | None = None):
        super().__init__(f"node {uid}: {message}" if uid else message)
        self.uid = uid
        self.param = param
        self.detail = message


class ProjectFileError(SproutError):
    """A project file cannot be read or written."""


class DataError(SproutError):
    """A dataset cannot be loaded or does not fit the model."""


class CompileError(NodeError):
    """The graph cannot be turned into a Keras model."""


class TrainingError(SproutError):
    """Training cannot start or continue."""


class RunFolderError(SproutError):
    """A run or output folder cannot be created or written."""


class CompressionError(SproutError):
    """A compression plan or step cannot run (bad plan, unsuitable model)."""
