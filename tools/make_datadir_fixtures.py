#!/usr/bin/env python3
"""Generate the data-directory fixtures in ``fixtures/datadir/`` from real PostgreSQL servers.

For every major (12 to 18) this script starts a throwaway cluster with data checksums on,
builds database ``shop`` with a fixed set of scenarios (committed, aborted and never-hinted
inserts, HOT and non-HOT updates (pruned away when a later query reads the page, except in
``sales.gone``), deletes, a rolled-back savepoint, row locks, lock-only multixacts and
multixacts with a committed and an aborted updater, frozen rows, a prepared transaction,
dropped columns and columns added with a default, a ``VACUUM FULL``'d table with TOAST,
partitions, an unlogged table, a table and index in an in-place tablespace, mixed-case
names, enums, domains, composites, ranges and multiranges and arrays of them, text that COPY
must escape, a sequence, a view, a materialized view), shuts it down
cleanly and copies the data directory *without* ``pg_wal`` and without the databases other
than ``shop`` (their ``base/<oid>`` folders: the catalogs still list them) into
``fixtures/datadir/pg<M>/cluster.tar.xz``.

Then it starts the server again on the original directory and asks it about what the copy
holds, into ``golden.json`` (the copy is never touched again, so no query can set a hint bit
in it):

``control``        the rows of ``pg_control_system()``, ``pg_control_checkpoint()``,
                   ``pg_control_init()``, ``pg_control_recovery()``
``controldata``    ``pg_controldata -D copy`` where the binary exists (Debian's 15), else null
``checksums``      ``pg_checksums --check -D copy`` output and exit code where it exists
``databases``      ``pg_database`` rows; ``database`` / ``database_oid``: ``shop``'s
``relations``      every ``pg_class`` row of ``shop`` with its schema, access method, file path
                   (``pg_relation_filepath``) and blocks per fork
``schemas``        ``pgpage schema``'s description (live catalog) of every user table
``tuples``         per user table every line pointer with a tuple: ctid, xmin, xmax and infomask
                   from the copied bytes, ``visible`` = ``SELECT ctid FROM ONLY t`` returns it
``xid_status``     ``txid_status()`` of every xmin and xmax seen; ``multixact_members`` the
                   members (``pg_get_multixact_members``) of every multixact xmax
``prepared_xids``  transactions left prepared
``sequences``      ``SELECT last_value, log_cnt, is_called`` of the sequence
``copy``           ``COPY t TO STDOUT`` text of every user table (physical order), and
``copy_csv``       ``COPY t TO STDOUT (FORMAT csv, HEADER)``
``copy_timezones`` ``COPY sales.orders TO STDOUT`` in sessions with other TimeZone settings

Everything is deterministic except server-assigned xids, OIDs, LSNs and times.

Usage
    python tools/make_datadir_fixtures.py [--majors 12,13,...] [--out fixtures/datadir]
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pgcluster

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from pageinspect_py.catalog.schema import description_json
from pageinspect_py.sources.live_catalog import describe_relation

MAJORS = (12, 13, 14, 15, 16, 17, 18)
DATABASE = "shop"
Json = Any

#: Tables whose tuples, schemas and COPY output are captured (schema-qualified, as written).
TABLES = (
    "sales.orders",
    "sales.frozen",
    "sales.fresh",
    "sales.gone",
    "sales.locked",
    "sales.altered",
    "sales.docs",
    "sales.events_2024",
    "sales.events_2025",
    "sales.scratch",
    "sales.spaced",
    '"Mixed Case"."Orders"',
    "sales.typed",
    "sales.escapes",
    "sales.dot",
    "sales.altered_types",
)


#: zones ``copy_timezones`` prints sales.orders in: whole hours with DST, a half hour, a
#: zone whose offset has minutes and changed in 2024's range
TIMEZONES = ("Europe/Paris", "Asia/Kolkata", "America/St_Johns", "Asia/Kathmandu")


def bindir_for(major: int) -> Path:
    if major == 15:
        found = pgcluster.debian_bindir()
        if found is not None and found.parent.name == "15":
            return found
    found = pgcluster.bindir_for_major(major)
    if found is None:
        raise SystemExit(f"no PostgreSQL {major}: run shared/pg/get-postgres.sh {major} DEST")
    return found


def scenarios(conn: psycopg.Connection[Any], dsn: str, major: int) -> None:
    x = conn.execute
    x("CREATE SCHEMA sales")
    x('CREATE SCHEMA "Mixed Case"')
    x("CREATE TYPE sales.mood AS ENUM ('sad', 'ok', 'happy')")
    x("ALTER TYPE sales.mood ADD VALUE 'meh' BEFORE 'ok'")
    x("CREATE DOMAIN sales.posint AS int4 CHECK (VALUE > 0)")
    x("CREATE TYPE sales.pair AS (a int4, b text)")
    x("CREATE TYPE sales.floatrange AS RANGE (subtype = float8)")
    x("CREATE SEQUENCE sales.order_seq")
    x("SELECT nextval('sales.order_seq') FROM generate_series(1, 5)")

    # orders: committed inserts, HOT and non-HOT updates, deletes, aborts, savepoints, locks
    x(
        "CREATE TABLE sales.orders (id int8 PRIMARY KEY, customer text, amount numeric(10,2),"
        " placed timestamptz, note text) WITH (fillfactor = 70)"
    )
    x(
        "INSERT INTO sales.orders SELECT g, 'customer ' || g, g * 1.25,"
        " timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour', NULL"
        " FROM generate_series(1, 200) g"
    )
    x("UPDATE sales.orders SET note = 'hot' WHERE id <= 5")
    x("UPDATE sales.orders SET id = id + 1000 WHERE id BETWEEN 6 AND 8")
    x("DELETE FROM sales.orders WHERE id BETWEEN 10 AND 12")
    with conn.transaction(force_rollback=True):
        x("INSERT INTO sales.orders VALUES (500, 'aborted', 0, NULL, 'rolled back')")
    with conn.transaction():
        x("INSERT INTO sales.orders VALUES (300, 'kept', 1, NULL, 'before savepoint')")
        try:
            with conn.transaction():
                x("INSERT INTO sales.orders VALUES (301, 'lost', 1, NULL, 'in savepoint')")
                raise _Rollback
        except _Rollback:
            pass
        x("INSERT INTO sales.orders VALUES (302, 'kept', 1, NULL, 'after savepoint')")
    with conn.transaction():
        x("SELECT * FROM sales.orders WHERE id = 20 FOR UPDATE")
    with conn.transaction(force_rollback=True):
        x("UPDATE sales.orders SET note = 'aborted update' WHERE id = 25")
    with conn.transaction(force_rollback=True):
        x("DELETE FROM sales.orders WHERE id = 26")
    with psycopg.connect(dsn, dbname=DATABASE) as other:
        o = other.execute
        # lock-only multixact: two sharers
        x("BEGIN")
        x("SELECT * FROM sales.orders WHERE id = 21 FOR SHARE")
        o("SELECT * FROM sales.orders WHERE id = 21 FOR SHARE")
        x("COMMIT")
        other.commit()
        # multixact with a committed updater
        x("BEGIN")
        x("SELECT * FROM sales.orders WHERE id = 22 FOR KEY SHARE")
        o("UPDATE sales.orders SET note = 'multi updater' WHERE id = 22")
        x("COMMIT")
        other.commit()
        # multixact with an aborted updater
        x("BEGIN")
        x("SELECT * FROM sales.orders WHERE id = 23 FOR KEY SHARE")
        o("UPDATE sales.orders SET note = 'multi aborted updater' WHERE id = 23")
        x("COMMIT")
        other.rollback()
    # frozen rows (before the prepared transaction holds the xmin horizon back)
    x("CREATE TABLE sales.frozen (id int4, label text)")
    x("INSERT INTO sales.frozen SELECT g, 'frozen ' || g FROM generate_series(1, 50) g")
    x("VACUUM (FREEZE) sales.frozen")

    # a prepared transaction: its insert and its delete stay in progress
    with psycopg.connect(dsn, dbname=DATABASE, autocommit=True) as prep:
        prep.execute("BEGIN")
        prep.execute("INSERT INTO sales.orders VALUES (400, 'prepared', 4, NULL, 'in progress')")
        prep.execute("DELETE FROM sales.orders WHERE id = 30")
        prep.execute("PREPARE TRANSACTION 'pgpage_fixture'")

    # dropped columns, columns added with a default (attmissingval)
    x("CREATE TABLE sales.altered (a int4, b text, c int8)")
    x("INSERT INTO sales.altered SELECT g, 'b' || g, g * 10 FROM generate_series(1, 20) g")
    x("ALTER TABLE sales.altered DROP COLUMN b")
    x("ALTER TABLE sales.altered ADD COLUMN d int4 DEFAULT 42")
    x("ALTER TABLE sales.altered ADD COLUMN e text DEFAULT 'missing e'")
    x("INSERT INTO sales.altered (a, c, d, e) VALUES (100, 1000, 7, 'stored e')")

    # TOAST, then VACUUM FULL: new relfilenodes for the table and its TOAST table
    x("CREATE TABLE sales.docs (id int4, title text, body text)")
    x(
        "INSERT INTO sales.docs SELECT g, 'doc ' || g,"
        " (SELECT string_agg(md5((g * 1000 + s)::text), '') FROM generate_series(1, 100) s)"
        " FROM generate_series(1, 12) g"
    )
    x("INSERT INTO sales.docs VALUES (13, 'short', repeat('ab', 50))")
    x("DELETE FROM sales.docs WHERE id = 2")
    x("VACUUM FULL sales.docs")
    x("CREATE INDEX docs_id_hash ON sales.docs USING hash (id)")

    # partitions
    x("CREATE TABLE sales.events (day date, what text) PARTITION BY RANGE (day)")
    x(
        "CREATE TABLE sales.events_2024 PARTITION OF sales.events"
        " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"
    )
    x(
        "CREATE TABLE sales.events_2025 PARTITION OF sales.events"
        " FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')"
    )
    x(
        "INSERT INTO sales.events SELECT date '2024-12-25' + g, 'event ' || g"
        " FROM generate_series(0, 14) g"
    )

    # unlogged
    x("CREATE UNLOGGED TABLE sales.scratch (k int4 PRIMARY KEY, v text)")
    x("INSERT INTO sales.scratch SELECT g, 'scratch ' || g FROM generate_series(1, 30) g")

    # a tablespace inside the directory (pg_tblspc/<oid> is a folder, not a link)
    x("SET allow_in_place_tablespaces = on")
    x("CREATE TABLESPACE inplace LOCATION ''")
    x("CREATE TABLE sales.spaced (id int4, v text) TABLESPACE inplace")
    x("INSERT INTO sales.spaced SELECT g, 'spaced ' || g FROM generate_series(1, 25) g")
    x("CREATE INDEX spaced_id ON sales.spaced (id) TABLESPACE inplace")

    # mixed case
    x('CREATE TABLE "Mixed Case"."Orders" ("Id" int4, "Value" text)')
    x("INSERT INTO \"Mixed Case\".\"Orders\" VALUES (1, 'one'), (2, 'two'), (3, NULL)")

    # user-defined types
    multirange = ", mr int4multirange" if major >= 14 else ""
    x(
        "CREATE TABLE sales.typed (id int4, m sales.mood, p sales.posint, c sales.pair,"
        " r sales.floatrange, ir int4range, ma sales.mood[], ca sales.pair[],"
        f" ra sales.floatrange[], pa sales.posint[]{multirange})"
    )
    mr = ", '{[1,3), [5,8)}'" if major >= 14 else ""
    mr_null = ", NULL" if major >= 14 else ""
    x(
        "INSERT INTO sales.typed VALUES (1, 'meh', 5, ROW(1, 'b\"x,'), '[1.5,2.5)', '[1,10)',"
        " '{sad,happy}', ARRAY[ROW(1, 'a'), ROW(2, NULL)]::sales.pair[],"
        f" ARRAY['[1,2]'::sales.floatrange, 'empty'], '{{1,2,3}}'{mr})"
    )
    x(
        "INSERT INTO sales.typed VALUES (2, NULL, NULL, ROW(NULL, ''), 'empty', '(,5]',"
        f" '{{}}', NULL, NULL, NULL{mr_null})"
    )

    # text COPY must escape or quote; an empty string beside NULL; a lone \. line
    x("CREATE TABLE sales.escapes (id int4, t text, c varchar(20))")
    x(
        "INSERT INTO sales.escapes VALUES"
        " (1, E'tab\\there', 'a,b'), (2, E'new\\nline', E'cr\\rhere'),"
        " (3, E'back\\\\slash', 'quote\"d'), (4, 'non-ASCII: é ß 東京 🐘', ''),"
        " (5, '', NULL), (6, E'\\\\.', E'\\\\N'), (7, E'\\x01\\x7f ctl', ' lead')"
    )
    x("CREATE TABLE sales.dot (v text)")
    x("INSERT INTO sales.dot VALUES (E'\\\\.'), ('.'), (NULL)")
    # user-defined types added with a default (their attmissingval), a compressed composite
    x("CREATE TABLE sales.altered_types (id int4)")
    x("INSERT INTO sales.altered_types SELECT g FROM generate_series(1, 3) g")
    x("ALTER TABLE sales.altered_types ADD COLUMN m sales.mood DEFAULT 'happy'")
    x("ALTER TABLE sales.altered_types ADD COLUMN p sales.pair DEFAULT ROW(9, 'nine')")
    x("ALTER TABLE sales.altered_types ADD COLUMN r sales.floatrange DEFAULT '[0,1)'")
    compression = ""
    if major >= 14:
        lz4 = conn.execute(
            "SELECT count(*) FROM pg_settings WHERE name = 'default_toast_compression'"
            " AND 'lz4' = ANY(enumvals)"
        ).fetchone()
        compression = " COMPRESSION lz4" if lz4 and lz4[0] else ""
    x(f"ALTER TABLE sales.altered_types ADD COLUMN big sales.pair{compression}")
    x(
        "INSERT INTO sales.altered_types (id, m, p, r, big) VALUES"
        " (4, 'sad', NULL, 'empty', ROW(1, repeat('compressible ', 400)))"
    )

    x("CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE amount > 100")
    x(
        "CREATE MATERIALIZED VIEW sales.order_totals AS"
        " SELECT customer, sum(amount) AS total FROM sales.orders GROUP BY customer"
    )
    x("CREATE TABLE sales.locked (id int4, v text)")
    x("INSERT INTO sales.locked SELECT g, 'locked ' || g FROM generate_series(1, 10) g")
    x("CREATE TABLE sales.gone (id int4, v text)")
    x("INSERT INTO sales.gone SELECT g, 'gone ' || g FROM generate_series(1, 10) g")
    x("CHECKPOINT")
    # dead versions left in place: one statement deletes and updates, nothing reads after it
    x(
        "WITH d AS (DELETE FROM sales.gone WHERE id IN (3, 5))"
        " UPDATE sales.gone SET v = 'updated' WHERE id = 4"
    )
    # row locks nothing reads afterwards (a later read would set HEAP_XMAX_INVALID): a
    # committed FOR UPDATE, a lock-only multixact of two sharers, an aborted FOR SHARE
    with conn.transaction():
        x("SELECT * FROM sales.locked WHERE id = 1 FOR UPDATE")
    with psycopg.connect(dsn, dbname=DATABASE) as other:
        x("BEGIN")
        x("SELECT * FROM sales.locked WHERE id = 2 FOR SHARE")
        other.execute("SELECT * FROM sales.locked WHERE id = 2 FOR SHARE")
        x("COMMIT")
        other.commit()
    with conn.transaction(force_rollback=True):
        x("SELECT * FROM sales.locked WHERE id = 3 FOR SHARE")
    # never hinted: inserted after the checkpoint, never read before the shutdown
    x("CREATE TABLE sales.fresh (id int4, v text)")
    x("INSERT INTO sales.fresh SELECT g, 'fresh ' || g FROM generate_series(1, 10) g")
    with conn.transaction(force_rollback=True):
        x("INSERT INTO sales.fresh VALUES (99, 'aborted, never hinted')")


class _Rollback(Exception):
    pass


def copy_datadir(datadir: Path, keep_db: int, dest: Path) -> None:
    """tar.xz of ``datadir`` without pg_wal, logs and the other databases' folders."""
    skip_top = {"pg_wal", "log", "postmaster.opts", "postmaster.pid", "pg_log"}

    def keep(rel: Path) -> bool:
        parts = rel.parts
        if not parts or parts[0] in skip_top:
            return False
        return not (len(parts) >= 2 and parts[0] == "base" and parts[1] != str(keep_db))

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz", preset=9) as tar:
        for path in sorted(datadir.rglob("*")):
            rel = path.relative_to(datadir)
            if not keep(rel):
                continue
            info = tar.gettarinfo(str(path), arcname=str(rel))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            if info.isfile():
                with path.open("rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    dest.write_bytes(buf.getvalue())


def extract(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    for d in [into, *[p for p in into.rglob("*") if p.is_dir()]]:
        d.chmod(0o700)
    return into


def rows(conn: psycopg.Connection[Any], statement: str, params: Sequence[Any] = ()) -> list[Json]:
    query = f"SELECT coalesce(json_agg(row_to_json(q)), '[]')::text FROM ({statement}) q"
    text = conn.execute(query.encode(), params).fetchone()[0]  # type: ignore[index]
    return list(json.loads(text))


def run_tool(binary: Path, args: Sequence[str]) -> dict[str, Json] | None:
    if not binary.exists():
        return None
    proc = subprocess.run(
        [str(binary), *args],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "TZ": "UTC", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    return {"stdout": proc.stdout, "stderr": proc.stderr, "returncode": proc.returncode}


def page_tuples(datadir: Path, path: str, block_size: int) -> list[dict[str, Json]]:
    """Every tuple header in the copied main fork (read from the copy's bytes)."""
    import struct

    out: list[dict[str, Json]] = []
    main = datadir / path
    segments = [main, *sorted(main.parent.glob(main.name + ".[0-9]*"))]
    blkno = 0
    for seg in segments:
        data = seg.read_bytes() if seg.exists() else b""
        for start in range(0, len(data) - block_size + 1, block_size):
            page = data[start : start + block_size]
            lower = struct.unpack_from("<H", page, 12)[0]
            for lp in range(1, (lower - 24) // 4 + 1 if lower >= 24 else 1):
                word = struct.unpack_from("<I", page, 24 + 4 * (lp - 1))[0]
                off, flags, length = word & 0x7FFF, (word >> 15) & 3, word >> 17
                if flags != 1 or length < 23:
                    continue
                xmin, xmax = struct.unpack_from("<II", page, off)
                im2, im = struct.unpack_from("<HH", page, off + 18)
                out.append(
                    {
                        "ctid": f"({blkno},{lp})",
                        "lp": lp,
                        "t_xmin": xmin,
                        "t_xmax": xmax,
                        "t_infomask": im,
                        "t_infomask2": im2,
                    }
                )
            blkno += 1
    return out


def generate(major: int, out: Path) -> None:
    def log(msg: str) -> None:
        print(f"[pg{major}] {msg}", file=sys.stderr, flush=True)

    bindir = bindir_for(major)
    cluster = pgcluster.Cluster(
        bindir,
        checksums=True,
        settings={"max_prepared_transactions": "2", "autovacuum": "off"},
    )
    cluster.start()
    work = Path(tempfile.mkdtemp(prefix="pgpage-datadir-"))
    try:
        if cluster.major != major:
            raise RuntimeError(f"asked for {major}, got a {cluster.major} server")
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}".encode())
        shop_dsn = cluster.dsn.replace("dbname=postgres", f"dbname={DATABASE}")
        with psycopg.connect(shop_dsn, autocommit=True) as conn:
            log("scenarios")
            scenarios(conn, shop_dsn, major)
            db_oid = conn.execute(
                "SELECT oid::int8 FROM pg_database WHERE datname = current_database()"
            ).fetchone()[0]  # type: ignore[index]
            block_size = int(conn.execute("SHOW block_size").fetchone()[0])  # type: ignore[index]
        log("clean shutdown, copy")
        cluster.stop_server()
        target = out / f"pg{major}"
        target.mkdir(parents=True, exist_ok=True)
        archive = target / "cluster.tar.xz"
        copy_datadir(cluster.datadir, db_oid, archive)
        copy = extract(archive, work / "copy")
        controldata = run_tool(bindir / "pg_controldata", ["-D", str(copy)])
        checksums = run_tool(bindir / "pg_checksums", ["--check", "-D", str(copy)])
        cluster._pg_ctl_start()
        golden: dict[str, Json] = {
            "major": major,
            "database": DATABASE,
            "database_oid": db_oid,
            "block_size": block_size,
        }
        with psycopg.connect(shop_dsn, autocommit=True) as conn:
            golden["server_version_num"] = int(
                conn.execute("SHOW server_version_num").fetchone()[0]  # type: ignore[index]
            )
            golden["control"] = {
                fn: rows(conn, f"SELECT * FROM {fn}()")[0]
                for fn in (
                    "pg_control_system",
                    "pg_control_checkpoint",
                    "pg_control_init",
                    "pg_control_recovery",
                )
            }
            golden["controldata"] = controldata["stdout"] if controldata else None
            golden["checksums"] = checksums
            golden["databases"] = rows(
                conn,
                "SELECT oid::int8 AS oid, datname, dattablespace::int8 AS dattablespace,"
                " datallowconn, datistemplate FROM pg_database ORDER BY oid",
            )
            golden["relations"] = rows(
                conn,
                "SELECT c.oid::int8 AS oid, n.nspname, c.relname, c.relkind::text AS relkind,"
                " c.relpersistence::text AS relpersistence, a.amname,"
                " c.relfilenode::int8 AS relfilenode, c.reltablespace::int8 AS reltablespace,"
                " c.reltoastrelid::int8 AS reltoastrelid, c.relisshared,"
                " pg_relation_filepath(c.oid) AS path,"
                " CASE WHEN c.relkind IN ('r','i','t','m','S') THEN json_build_object("
                "  'main', pg_relation_size(c.oid, 'main') / %s,"
                "  'fsm', pg_relation_size(c.oid, 'fsm') / %s,"
                "  'vm', pg_relation_size(c.oid, 'vm') / %s,"
                "  'init', pg_relation_size(c.oid, 'init') / %s) END AS blocks"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " LEFT JOIN pg_am a ON a.oid = c.relam ORDER BY c.oid",
                (block_size,) * 4,
            )
            prepared = rows(conn, "SELECT transaction::text::int8 AS xid FROM pg_prepared_xacts")
            golden["prepared_xids"] = [p["xid"] for p in prepared]
            golden["schemas"] = {}
            golden["tuples"] = {}
            golden["copy"] = {}
            golden["copy_csv"] = {}
            xids: set[int] = set()
            multis: set[int] = set()
            for table in TABLES:
                desc = describe_relation(conn, table)
                golden["schemas"][table] = description_json(desc)
                path = conn.execute(
                    "SELECT pg_relation_filepath(%s::regclass)", (table,)
                ).fetchone()[0]  # type: ignore[index]
                tuples = page_tuples(copy, path, block_size)
                visible = {
                    r[0]
                    for r in conn.execute(
                        sql.SQL("SELECT ctid::text FROM ONLY {}").format(sql.SQL(table))
                    )
                }
                for t in tuples:
                    t["visible"] = t["ctid"] in visible
                    t["relfilenode_path"] = path
                    xids.add(t["t_xmin"])
                    if t["t_infomask"] & 0x1000:  # HEAP_XMAX_IS_MULTI
                        multis.add(t["t_xmax"])
                    else:
                        xids.add(t["t_xmax"])
                golden["tuples"][table] = tuples
                for key, options in (("copy", ""), ("copy_csv", " (FORMAT csv, HEADER)")):
                    buf = bytearray()
                    with conn.cursor().copy(
                        sql.SQL("COPY {} TO STDOUT" + options).format(sql.SQL(table))
                    ) as cp:
                        for chunk in cp:
                            buf += chunk
                    golden[key][table] = buf.decode("utf-8")
            # the same rows as sessions in other time zones print them (export reads TimeZone
            # from the directory's postgresql.conf / postgresql.auto.conf, or --timezone)
            golden["copy_timezones"] = {}
            for zone in TIMEZONES:
                conn.execute(sql.SQL("SET TimeZone = {}").format(sql.Literal(zone)))
                buf = bytearray()
                with conn.cursor().copy("COPY sales.orders TO STDOUT") as cp:
                    for chunk in cp:
                        buf += chunk
                golden["copy_timezones"][zone] = buf.decode("utf-8")
            conn.execute("RESET TimeZone")
            golden["sequences"] = {
                "sales.order_seq": list(
                    conn.execute(
                        "SELECT last_value::text, log_cnt::text, is_called::text"
                        " FROM sales.order_seq"
                    ).fetchone()  # type: ignore[arg-type]
                )
            }
            golden["xid_status"] = {}
            for xid in sorted(xids):
                try:
                    status = conn.execute("SELECT txid_status(%s::int8)", (xid,)).fetchone()[0]  # type: ignore[index]
                except psycopg.Error as exc:
                    status = f"error: {str(exc).splitlines()[0]}"
                golden["xid_status"][str(xid)] = status
            golden["multixact_members"] = {}
            for multi in sorted(multis):
                golden["multixact_members"][str(multi)] = [
                    [r["xid"], r["mode"]]
                    for r in rows(
                        conn,
                        "SELECT xid::text::int8 AS xid, mode"
                        " FROM pg_get_multixact_members(%s::text::xid)",
                        (multi,),
                    )
                ]
        (target / "golden.json").write_text(
            json.dumps(golden, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        log(f"wrote {archive} ({archive.stat().st_size // 1024} kB)")
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--majors", default=",".join(map(str, MAJORS)))
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "fixtures" / "datadir"
    )
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    majors = [int(m) for m in args.majors.split(",") if m.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for future in [pool.submit(generate, m, args.out) for m in majors]:
            future.result()
    return 0


if __name__ == "__main__":
    sys.exit(main())
