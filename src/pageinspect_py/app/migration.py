"""``layout-advice --sql``: the migration script that rebuilds a table in a new column order.

:func:`migration_sql` writes, from the :class:`~pageinspect_py.sources.live_definitions.
MigrationFacts` of a table, one transaction that creates the table in the new order, copies
the rows, moves everything attached to the old table over, drops it and takes its name.
Names are quoted with PostgreSQL's own ``quote_ident`` rule (lower-case letters, digits and
``_``, not starting with a digit, and not a reserved keyword of this server: else double
quotes).

A pure writer: the script is text for a person to read and run; nothing here connects or
executes it (the facts are read by :mod:`pageinspect_py.sources.live_definitions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pageinspect_py.sources.live_definitions import MigrationFacts

#: the longest identifier (NAMEDATALEN - 1 bytes)
MAX_IDENTIFIER = 63
_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
_COMPRESSION = {"p": "pglz", "l": "lz4"}
_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}
_REPLICA = {"f": "FULL", "n": "NOTHING"}
_TRIGGER_STATE = {
    "D": "DISABLE TRIGGER",
    "R": "ENABLE REPLICA TRIGGER",
    "A": "ENABLE ALWAYS TRIGGER",
}


class Quoter:
    """``quote_ident`` as the server does it (ruleutils.c quote_identifier)."""

    def __init__(self, reserved: frozenset[str]) -> None:
        self.reserved = reserved

    def ident(self, name: str) -> str:
        safe = (
            bool(name)
            and (name[0] == "_" or "a" <= name[0] <= "z")
            and all(ch == "_" or "a" <= ch <= "z" or "0" <= ch <= "9" for ch in name)
        )
        if safe and name not in self.reserved:
            return name
        return '"' + name.replace('"', '""') + '"'

    def qualified(self, schema: str, name: str) -> str:
        return f"{self.ident(schema)}.{self.ident(name)}"


def literal(text: str) -> str:
    """A string constant (standard_conforming_strings is on from 9.1; E'' for backslashes)."""
    quoted = "'" + text.replace("'", "''") + "'"
    return "E" + quoted.replace("\\", "\\\\") if "\\" in text else quoted


def _truncate(name: str, suffix: str) -> str:
    """``name`` + ``suffix`` within NAMEDATALEN - 1 bytes, cutting ``name`` (UTF-8 safe)."""
    room = MAX_IDENTIFIER - len(suffix.encode())
    raw = name.encode()[:room]
    return raw.decode(errors="ignore") + suffix


@dataclass(frozen=True, slots=True)
class Migration:
    sql: str
    warnings: tuple[str, ...]


def _options(options: Sequence[str], prefix: str = "") -> list[str]:
    out = []
    for option in options:
        key, _, value = option.partition("=")
        out.append(
            f"{prefix}{key}={literal(value)}"
            if not value.replace(".", "").isdigit()
            else f"{prefix}{key}={value}"
        )
    return out


def migration_sql(
    facts: MigrationFacts, order: Sequence[str], server_version: str = ""
) -> Migration:
    """The migration script for rebuilding the table with its columns in ``order``."""
    q = Quoter(facts.keywords)
    old = q.qualified(facts.nspname, facts.relname)
    new_name = _truncate(facts.relname, "__pgpage_new")
    new = q.qualified(facts.nspname, new_name)
    final = old  # the name the new table takes
    columns = {c.attname: c for c in facts.columns}
    if sorted(order) != sorted(columns):
        raise ValueError("the order must name every live column once")
    t = facts.table
    warnings: list[str] = [
        "SELECT * and INSERT or COPY without a column list see the columns in the new order",
        "indexes are rebuilt from their definitions: their size and key order do not change",
    ]
    if t.rowtype_users:
        warnings.append(
            f"the row type {old} changes its attribute order; it is used by "
            f"{', '.join(t.rowtype_users)} (a column of that type stops the DROP "
            "TABLE below: migrate those first)"
        )
    if facts.views:
        warnings.append(
            "dependent views are dropped and created again from their current "
            "definitions: " + ", ".join(v.view.name for v in facts.views)
        )
    if any(v.view.relkind == "m" for v in facts.views):
        warnings.append("materialized views are created again WITH DATA (recomputed)")
    if t.children:
        warnings.append(
            f"inheritance children {', '.join(t.children)} are detached and attached again"
        )
    if facts.incoming:
        warnings.append(
            "foreign keys of other tables that reference this one are dropped and "
            "added again NOT VALID, then validated: "
            + ", ".join(f"{c.table}.{c.conname}" for c in facts.incoming)
        )
    if any(g.grantor != t.owner for g in facts.grants):
        warnings.append(
            "privileges are granted again by the role running the script (the "
            "original grantors are not kept)"
        )

    out: list[str] = []
    emit = out.append
    emit(f"-- pgpage layout-advice: rebuild {old} with its columns in a new order")
    if server_version:
        emit(f"-- generated from PostgreSQL {server_version}")
    emit("--")
    for w in warnings:
        emit(f"-- NOTE: {w}")
    emit("")
    emit("BEGIN;")
    emit("SET LOCAL synchronize_seqscans = off;  -- copy the rows in their physical order")
    emit(f"LOCK TABLE {old} IN ACCESS EXCLUSIVE MODE;")
    emit("")

    # -- the new table ------------------------------------------------------------------
    unlogged = "UNLOGGED " if t.relpersistence == "u" else ""
    defs = []
    for name in order:
        c = columns[name]
        parts = [q.ident(name), c.type]
        if c.collation:
            parts.append(f"COLLATE {c.collation}")
        if c.attgenerated:
            kind = "VIRTUAL" if c.attgenerated == "v" else "STORED"
            parts.append(f"GENERATED ALWAYS AS ({c.generation}) {kind}")
        elif c.attidentity:
            how = "ALWAYS" if c.attidentity == "a" else "BY DEFAULT"
            options = [c.seq_options] if c.seq_options else []
            if c.seq_schema and c.seq_name:
                # named, so that it can take the old sequence's name once that is dropped
                temporary = q.qualified(c.seq_schema, _truncate(c.seq_name, "__pgpage_new"))
                options.insert(0, f"SEQUENCE NAME {temporary}")
            parts.append(
                f"GENERATED {how} AS IDENTITY" + (f" ({' '.join(options)})" if options else "")
            )
        elif c.default is not None:
            parts.append(f"DEFAULT {c.default}")
        if c.attnotnull:
            parts.append(
                f"CONSTRAINT {q.ident(c.notnull_name)} NOT NULL" if c.notnull_name else "NOT NULL"
            )
        defs.append("    " + " ".join(parts))
    with_options = _options(facts.reloptions) + _options(facts.toast_reloptions, "toast.")
    tail = ""
    if t.amname:
        tail += f" USING {q.ident(t.amname)}"
    if with_options:
        tail += f" WITH ({', '.join(with_options)})"
    if t.tablespace:
        tail += f" TABLESPACE {q.ident(t.tablespace)}"
    emit(f"CREATE {unlogged}TABLE {new} (")
    emit(",\n".join(defs))
    emit(f"){tail};")
    for name in order:
        c = columns[name]
        col = f"ALTER TABLE {new} ALTER COLUMN {q.ident(name)}"
        if c.storage_changed in _STORAGE:
            emit(f"{col} SET STORAGE {_STORAGE[c.storage_changed]};")
        if c.compression in _COMPRESSION:
            emit(f"{col} SET COMPRESSION {_COMPRESSION[c.compression]};")
        if c.stattarget is not None:
            emit(f"{col} SET STATISTICS {c.stattarget};")
        if c.options:
            emit(f"{col} SET ({', '.join(_options(c.options))});")
    emit("")

    # -- the rows -------------------------------------------------------------------------
    copied = [n for n in order if not columns[n].attgenerated]
    names = ", ".join(q.ident(n) for n in copied)
    overriding = (
        " OVERRIDING SYSTEM VALUE" if any(columns[n].attidentity == "a" for n in copied) else ""
    )
    emit(f"INSERT INTO {new} ({names}){overriding}")
    emit(f"    SELECT {names} FROM ONLY {old};")
    emit("")

    # -- sequences: identity ones continue where the old ones stopped, serial ones move ----
    renames = []
    for name in order:
        c = columns[name]
        if c.seq_schema is None or c.seq_name is None:
            continue
        sequence = q.qualified(c.seq_schema, c.seq_name)
        if c.attidentity:
            temporary = q.qualified(c.seq_schema, _truncate(c.seq_name, "__pgpage_new"))
            emit(
                f"SELECT pg_catalog.setval({literal(temporary)}, s.last_value, s.is_called) "
                f"FROM {sequence} s;"
            )
            renames.append((temporary, c.seq_name))
        else:
            emit(f"ALTER SEQUENCE {sequence} OWNED BY {new}.{q.ident(name)};")
    emit("")

    # -- detach what depends on the old table, then drop it -----------------------------
    for vf in reversed(facts.views):
        kind = "MATERIALIZED VIEW" if vf.view.relkind == "m" else "VIEW"
        emit(f"DROP {kind} {vf.view.name};")
    for fk in facts.incoming:
        emit(f"ALTER TABLE {fk.table} DROP CONSTRAINT {q.ident(fk.conname)};")
    if t.parent:
        emit(f"ALTER TABLE {t.parent} DETACH PARTITION {old};")
    for child in t.children if not t.parent else []:
        emit(f"ALTER TABLE {child} NO INHERIT {old};")
    emit(f"DROP TABLE {old};  -- no CASCADE: anything not carried over stops the migration")
    emit(f"ALTER TABLE {new} RENAME TO {q.ident(facts.relname)};")
    for temporary, original in renames:
        emit(f"ALTER SEQUENCE {temporary} RENAME TO {q.ident(original)};")
    emit("")

    # -- constraints and indexes ----------------------------------------------------------
    for con in facts.constraints:
        if con.contype in ("n", "t"):
            continue  # NOT NULL is in the column definitions; constraint triggers below
        if con.inherited and con.contype != "c" and t.parent:
            continue  # ATTACH PARTITION creates it again
        if con.contype == "f" and con.convalidated:
            emit(
                f"ALTER TABLE {final} ADD CONSTRAINT {q.ident(con.conname)} "
                f"{con.definition} NOT VALID;"
            )
            emit(f"ALTER TABLE {final} VALIDATE CONSTRAINT {q.ident(con.conname)};")
        else:
            using = (
                f" USING INDEX TABLESPACE {q.ident(con.index_tablespace)}"
                if con.index_tablespace and con.contype in ("p", "u", "x")
                else ""
            )
            emit(
                f"ALTER TABLE {final} ADD CONSTRAINT {q.ident(con.conname)} "
                f"{con.definition}{using};"
            )
        if con.comment is not None:
            emit(
                f"COMMENT ON CONSTRAINT {q.ident(con.conname)} ON {final} IS "
                f"{literal(con.comment)};"
            )
    for index in facts.indexes:
        if index.constraint is None and not (index.inherited and t.parent):
            emit(f"{index.definition};")
        target = q.qualified(facts.nspname, index.name)
        if index.comment is not None and index.constraint is None:
            emit(f"COMMENT ON INDEX {target} IS {literal(index.comment)};")
        if index.clustered:
            emit(f"ALTER TABLE {final} CLUSTER ON {q.ident(index.name)};")
        if index.replica_identity:
            emit(f"ALTER TABLE {final} REPLICA IDENTITY USING INDEX {q.ident(index.name)};")
    if t.relreplident in _REPLICA:
        emit(f"ALTER TABLE {final} REPLICA IDENTITY {_REPLICA[t.relreplident]};")
    if t.parent and t.partition_bound:
        emit(f"ALTER TABLE {t.parent} ATTACH PARTITION {final} {t.partition_bound};")
    for parent in t.inherits:
        emit(f"ALTER TABLE {final} INHERIT {parent};")
    for child in t.children if not t.parent else []:
        emit(f"ALTER TABLE {child} INHERIT {final};")
    for fk in facts.incoming:
        emit(
            f"ALTER TABLE {fk.table} ADD CONSTRAINT {q.ident(fk.conname)} {fk.definition}"
            f"{'' if fk.definition.endswith('NOT VALID') else ' NOT VALID'};"
        )
        if fk.convalidated:
            emit(f"ALTER TABLE {fk.table} VALIDATE CONSTRAINT {q.ident(fk.conname)};")
        if fk.comment is not None:
            emit(
                f"COMMENT ON CONSTRAINT {q.ident(fk.conname)} ON {fk.table} IS "
                f"{literal(fk.comment)};"
            )
    emit("")

    # -- triggers, rules, statistics, row-level security -----------------------------------
    for trigger in facts.triggers:
        emit(f"{trigger.definition};")
        if trigger.enabled in _TRIGGER_STATE:
            emit(f"ALTER TABLE {final} {_TRIGGER_STATE[trigger.enabled]} {q.ident(trigger.name)};")
        if trigger.comment is not None:
            emit(
                f"COMMENT ON TRIGGER {q.ident(trigger.name)} ON {final} IS "
                f"{literal(trigger.comment)};"
            )
    for rule in facts.rules:
        emit(rule.definition)
        if rule.comment is not None:
            emit(f"COMMENT ON RULE {q.ident(rule.name)} ON {final} IS {literal(rule.comment)};")
    for stat in facts.statistics:
        emit(f"{stat.definition};")
        if stat.comment is not None:
            emit(
                f"COMMENT ON STATISTICS {q.qualified(facts.nspname, stat.name)} IS "
                f"{literal(stat.comment)};"
            )
    if t.relrowsecurity:
        emit(f"ALTER TABLE {final} ENABLE ROW LEVEL SECURITY;")
    if t.relforcerowsecurity:
        emit(f"ALTER TABLE {final} FORCE ROW LEVEL SECURITY;")
    for policy in facts.policies:
        roles = ", ".join(q.ident(r) for r in policy.roles) or "PUBLIC"
        text = (
            f"CREATE POLICY {q.ident(policy.name)} ON {final} AS "
            f"{'PERMISSIVE' if policy.permissive else 'RESTRICTIVE'} "
            f"FOR {_COMMANDS.get(policy.command, 'ALL')} TO {roles}"
        )
        if policy.using is not None:
            text += f" USING ({policy.using})"
        if policy.with_check is not None:
            text += f" WITH CHECK ({policy.with_check})"
        emit(text + ";")
        if policy.comment is not None:
            emit(
                f"COMMENT ON POLICY {q.ident(policy.name)} ON {final} IS {literal(policy.comment)};"
            )
    emit("")

    # -- owner, privileges, comments ----------------------------------------------------
    emit(f"ALTER TABLE {final} OWNER TO {q.ident(t.owner)};")
    for grant in facts.grants:
        grantee = "PUBLIC" if grant.grantee == "PUBLIC" else q.ident(grant.grantee)
        option = " WITH GRANT OPTION" if grant.grantable else ""
        emit(f"GRANT {grant.privilege} ON {final} TO {grantee}{option};")
    for cg in facts.column_grants:
        grantee = "PUBLIC" if cg.grantee == "PUBLIC" else q.ident(cg.grantee)
        option = " WITH GRANT OPTION" if cg.grantable else ""
        emit(f"GRANT {cg.privilege} ({q.ident(cg.attname)}) ON {final} TO {grantee}{option};")
    if t.comment is not None:
        emit(f"COMMENT ON TABLE {final} IS {literal(t.comment)};")
    for name in order:
        comment = columns[name].comment
        if comment is not None:
            emit(f"COMMENT ON COLUMN {final}.{q.ident(name)} IS {literal(comment)};")
    emit("")

    # -- dependent views, publications ------------------------------------------------------
    for vf in facts.views:
        view = vf.view
        with_view = f" WITH ({', '.join(_options(view.options))})" if view.options else ""
        if view.relkind == "m":
            emit(
                f"CREATE MATERIALIZED VIEW {view.name}{with_view} AS\n"
                f"{view.definition.rstrip().rstrip(';')}\nWITH DATA;"
            )
            for index in vf.indexes:
                emit(f"{index.definition};")
        else:
            emit(f"CREATE VIEW {view.name}{with_view} AS\n{view.definition.rstrip()}")
        kind = "MATERIALIZED VIEW" if view.relkind == "m" else "VIEW"
        emit(f"ALTER {kind} {view.name} OWNER TO {q.ident(view.owner)};")
        for grant in vf.grants:
            grantee = "PUBLIC" if grant.grantee == "PUBLIC" else q.ident(grant.grantee)
            option = " WITH GRANT OPTION" if grant.grantable else ""
            emit(f"GRANT {grant.privilege} ON {view.name} TO {grantee}{option};")
        if view.comment is not None:
            emit(f"COMMENT ON {kind} {view.name} IS {literal(view.comment)};")
    for pub in facts.publications:
        cols = f" ({', '.join(q.ident(c) for c in pub.columns)})" if pub.columns else ""
        where = f" WHERE ({pub.row_filter})" if pub.row_filter else ""
        emit(f"ALTER PUBLICATION {q.ident(pub.pubname)} ADD TABLE {final}{cols}{where};")
    emit("")
    emit("COMMIT;")
    emit(f"ANALYZE {final};")
    return Migration("\n".join(out) + "\n", tuple(warnings))
