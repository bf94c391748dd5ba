"""The one exception hierarchy of pageinspect_py.

Every error the package raises on purpose derives from :class:`PageInspectError`; the CLI maps
them to one-line messages and exit codes, and the property tests prove that random or mutated
pages raise nothing else.
"""

from __future__ import annotations


class PageInspectError(Exception):
    """Base of every error raised on purpose by pageinspect_py."""


class SourceError(PageInspectError):
    """Pages could not be obtained: missing file, bad path, server error, block out of range."""


class BlockOutOfRangeError(SourceError):
    """The requested block is past the end of the relation fork."""


class CorruptPageError(PageInspectError):
    """A page cannot be decoded at all (strict mode raises this for any diagnostic)."""


class SchemaError(PageInspectError):
    """A relation description (schema file, column list) is invalid."""
