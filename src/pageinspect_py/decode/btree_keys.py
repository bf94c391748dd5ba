"""Moved to :mod:`pageinspect_py.decode.btree.keys`; kept for imports written before."""

from pageinspect_py.decode.btree.keys import *  # noqa: F403
