"""What an index access method's decoder returns to ``decode_page``: the ``*_contents``
functions of btree, hash, GIN, GiST, SP-GiST and BRIN all answer with :data:`Contents`."""

from __future__ import annotations

from typing import Any

from pageinspect_py.decode.common import Region
from pageinspect_py.decode.page import ItemId, Page

#: the model class, the line pointers, the regions claimed (``decode_page`` tiles them) and
#: the model's own fields
Contents = tuple[type[Page], tuple[ItemId, ...], list[Region], dict[str, Any]]
