"""The server, its extensions, and :func:`choose_variants`: the one function that looks at
version numbers (of the server, or of the pageinspect extension installed in the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from psycopg import Connection

from pageinspect_py.sources.queries.run import one

#: ``MaxBlockNumber`` (src/include/storage/block.h): 0xFFFFFFFE, the last addressable block.
MAX_BLOCK_NUMBER = 0xFFFF_FFFE
#: Largest value of an ``int4`` argument: the highest block pageinspect before 1.9 can read.
MAX_INT4 = 0x7FFF_FFFF


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What the connected server and session are."""

    version_num: int  #: ``server_version_num``, e.g. 150018
    version: str  #: ``server_version``, e.g. "15.18 (Debian 15.18-0+deb12u1)"
    block_size: int  #: ``block_size`` (BLCKSZ, fixed at compile time)
    database: str  #: ``current_database()``
    user: str  #: ``current_user``
    is_superuser: bool  #: ``pg_roles.rolsuper`` of ``current_user``

    @property
    def major(self) -> int:
        """The major version (12, ..., 18): ``server_version_num / 10000`` since PostgreSQL 10."""
        return self.version_num // 10000


def server_info(conn: Connection[Any]) -> ServerInfo:
    """Version, block size, database and role of the session.

    ``server_version_num`` and ``block_size`` are read-only preset GUCs (``current_setting``
    works for any role). ``is_superuser`` reads ``rolsuper`` of ``current_user``: the same
    catalog flag ``superuser()`` consults, which is what pageinspect's raw-page functions check.
    """
    return one(
        conn,
        """
        SELECT pg_catalog.current_setting('server_version_num')::int AS version_num,
               pg_catalog.current_setting('server_version') AS version,
               pg_catalog.current_setting('block_size')::int AS block_size,
               pg_catalog.current_database()::text AS database,
               current_user::text AS user,
               coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r
                         WHERE r.rolname = current_user), false) AS is_superuser
        """,
        (),
        ServerInfo,
    )


# --------------------------------------------------------------------------------------------
# Extensions


@dataclass(frozen=True, slots=True)
class ExtensionInfo:
    """Whether an extension is installed in this database and can be installed on the server."""

    name: str
    installed_version: str | None  #: ``pg_extension.extversion``; None when not installed
    schema: str | None  #: schema holding its objects; None when not installed
    default_version: str | None  #: from its control file; None when the server lacks it


def extension(conn: Connection[Any], name: str) -> ExtensionInfo:
    """State of extension ``name``.

    ``pg_extension`` is per database; ``pg_available_extensions`` lists the control files in
    the server's ``SHAREDIR/extension``, so a None ``default_version`` means the package that
    ships the extension (Debian: postgresql-contrib) is missing on the server.
    """
    return one(
        conn,
        """
        SELECT %(name)s::text AS name,
               e.extversion::text AS installed_version,
               n.nspname::text AS schema,
               (SELECT a.default_version::text FROM pg_catalog.pg_available_extensions a
                WHERE a.name = %(name)s) AS default_version
        FROM (SELECT 1) AS one
        LEFT JOIN pg_catalog.pg_extension e ON e.extname = %(name)s
        LEFT JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
        """,
        {"name": name},
        ExtensionInfo,
    )


# --------------------------------------------------------------------------------------------
# Version variants


@dataclass(frozen=True, slots=True)
class Variants:
    """Every version-dependent choice the queries make, decided once by :func:`choose_variants`.

    Functions that differ between versions take a ``Variants`` instead of comparing version
    numbers themselves.
    """

    server_version_num: int
    #: the installed pageinspect's version; ``()`` when it is not installed in the database
    pageinspect_version: tuple[int, ...]
    #: schema that holds pageinspect's functions (None: not installed); calls are qualified
    #: with it, so the extension works wherever it was created, whatever the search_path
    pageinspect_schema: str | None
    #: SQL type of get_raw_page's block number: ``int4`` up to pageinspect 1.8 (PostgreSQL
    #: 12-13, or an older extension version kept on a newer server), ``int8`` from 1.9
    raw_page_blkno_type: Literal["int4", "int8"]
    #: ``pg_column_compression()`` (14+): whether an inline value is compressed
    column_compression: bool
    #: ``pg_column_toast_chunk_id()`` (17+): whether a value is a TOAST pointer
    toast_chunk_id: bool
    #: ``pg_attribute.attcompression`` (14+)
    attcompression: bool
    #: NOT NULL constraints are named ``pg_constraint`` rows (contype ``n``, 18+)
    notnull_constraints: bool
    #: ``pg_trigger.tgparentid`` (13+): triggers cloned from a partitioned parent
    tgparentid: bool
    #: ``pg_publication_rel.prqual``/``prattrs`` (15+): row filters and column lists
    publication_filters: bool
    #: ``pg_attribute.attstattarget`` is NULL for "default" (17+) instead of -1
    stattarget_nullable: bool

    @property
    def raw_page_max_blkno(self) -> int:
        """The highest block number ``get_raw_page`` can be asked for."""
        return MAX_INT4 if self.raw_page_blkno_type == "int4" else MAX_BLOCK_NUMBER


def parse_version(text: str) -> tuple[int, ...]:
    """``"1.12"`` -> ``(1, 12)``; stops at the first part that is not a number."""
    parts: list[int] = []
    for part in text.split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


def choose_variants(server: ServerInfo, pageinspect: ExtensionInfo | None = None) -> Variants:
    """The one function that looks at versions.

    ``get_raw_page``'s signature follows the *installed extension* version, not the server:
    pageinspect 1.9 (PostgreSQL 14) replaced ``get_raw_page(text, text, int4)`` with
    ``(text, text, int8)``, and a database whose extension was never updated keeps the old
    SQL signature (the C library serves both). Without pageinspect (``None``, or not
    installed) the raw-page queries refuse to run; the catalog queries need none.
    """
    installed = pageinspect is not None and pageinspect.installed_version is not None
    version = (
        parse_version(pageinspect.installed_version)
        if pageinspect is not None and pageinspect.installed_version is not None
        else ()
    )
    v = server.version_num
    return Variants(
        server_version_num=v,
        pageinspect_version=version,
        pageinspect_schema=pageinspect.schema if pageinspect is not None and installed else None,
        raw_page_blkno_type="int8" if version >= (1, 9) else "int4",
        column_compression=v >= 140000,
        toast_chunk_id=v >= 170000,
        attcompression=v >= 140000,
        notnull_constraints=v >= 180000,
        tgparentid=v >= 130000,
        publication_filters=v >= 150000,
        stattarget_nullable=v >= 170000,
    )


@dataclass(frozen=True, slots=True)
class OutputGucs:
    """The session settings output functions follow."""

    timezone: str
    datestyle: str
    intervalstyle: str
    extra_float_digits: str


def output_gucs(conn: Connection[Any]) -> OutputGucs:
    """This session's TimeZone, DateStyle, IntervalStyle and extra_float_digits."""
    return one(
        conn,
        "SELECT current_setting('TimeZone') AS timezone,"
        " current_setting('DateStyle') AS datestyle,"
        " current_setting('IntervalStyle') AS intervalstyle,"
        " current_setting('extra_float_digits') AS extra_float_digits",
        (),
        OutputGucs,
    )
