"""pageinspect_py: PostgreSQL's storage, byte by byte."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pageinspect_py")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
