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


class DatumError(PageInspectError):
    """A datum's bytes cannot be turned into its value: truncated or malformed varlena,
    corrupt compressed data, missing TOAST chunks, bytes its type's output function rejects."""


class DecompressionError(DatumError):
    """pglz or lz4 data is corrupt, truncated, or would decompress past its declared size."""


class ToastError(DatumError):
    """An out-of-line value cannot be reassembled: no TOAST relation, missing, duplicate or
    wrong-sized chunks."""


class ConnectionFailedError(SourceError):
    """The server could not be reached, refused the session, or the connection was lost."""


class RelationNotFoundError(SourceError):
    """The named relation does not exist (or the name cannot be parsed as one)."""


class NoStorageError(SourceError):
    """The relation has no pages: a view, composite type, foreign or partitioned relation."""


class ForkNotFoundError(SourceError):
    """The relation exists but the requested fork has no file (e.g. no VACUUM yet for vm)."""


class DataDirectoryError(SourceError):
    """A data directory (PGDATA) or one of its files cannot be read: not a data directory,
    missing or damaged pg_control, filenode map, pg_xact or catalog, unknown database."""


class ExtensionMissingError(SourceError):
    """A server extension the source needs (pageinspect) is not installed or not available."""


class PrivilegeError(SourceError):
    """The connected role lacks a privilege the source needs (pageinspect needs a superuser)."""


class AdviceError(PageInspectError):
    """The layout advisor has nothing to work on: no rows, no columns, nothing readable."""
