"""The SQL the core runs, and how each engine would run it: statements are captured as they go
to the driver (with their parameters), then each distinct one is EXPLAINed on the same
database, and every full scan of a large table is named.

SQLite: `EXPLAIN QUERY PLAN`; a `SCAN <table>` without `USING ... INDEX` reads the whole table.
PostgreSQL: `EXPLAIN (FORMAT JSON)`; a `Seq Scan` node reads the whole relation. For each such
scan PostgreSQL is asked once more with sequential scans discouraged, to tell "no index can
serve this" from "the planner preferred reading the table".
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.database import Database
from bot.storage.schema import metadata

EXPLAINED = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
_SQLITE_SCAN = re.compile(r"^SCAN (\w+)(?: AS (\w+))?(.*)$")
_ALIAS = re.compile(r"\b(\w+) AS (\w+)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: Any  # as the driver got them: a tuple, a list, or a mapping


@dataclass
class Captured:
    statements: dict[str, Statement] = field(default_factory=dict)  # sql → first seen
    executions: int = 0


@contextlib.contextmanager
def capture(db: Database) -> Iterator[Captured]:
    """Every statement the engine sends while inside, distinct by text, with the parameters
    of its first execution (the first row of an executemany)."""
    found = Captured()

    def before(
        _conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, executemany: bool
    ) -> None:
        found.executions += 1
        if not sql.lstrip().upper().startswith(EXPLAINED):
            return
        if executemany:
            parameters = parameters[0] if parameters else ()
        found.statements.setdefault(sql, Statement(sql, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield found
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", before)


@dataclass(frozen=True)
class FullScan:
    table: str
    statement: Statement
    plan: str
    index_possible: bool | None = None  # PostgreSQL: would an index serve it if preferred?

    def describe(self) -> str:
        why = {
            None: "",
            True: " (an index exists, the planner preferred the table)",
            False: " (no index can serve it)",
        }[self.index_possible]
        return (
            f"full scan of {self.table}{why}\n  statement: {_one_line(self.statement.sql)}\n"
            f"  parameters: {self.statement.parameters!r}\n  plan:\n{self.plan}"
        )


async def full_scans(
    db: Database, statements: Sequence[Statement], small: frozenset[str]
) -> list[FullScan]:
    """The full scans of any table of the schema not in `small`, statement by statement."""
    large = frozenset(metadata.tables) - small
    found: list[FullScan] = []
    async with db.read() as conn:  # EXPLAIN runs nothing, but never hold the writer
        if not db.is_sqlite:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement in statements:
            if db.is_sqlite:
                found += await _sqlite_scans(conn, statement, large)
            else:
                found += await _postgres_scans(conn, statement, large)
    return found


async def _sqlite_scans(
    conn: AsyncConnection, statement: Statement, large: frozenset[str]
) -> list[FullScan]:
    result = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement.sql}", statement.parameters)
    details = [str(row["detail"]) for row in result.mappings()]  # id, parent, notused, detail
    plan = "\n".join(f"    {detail}" for detail in details)
    aliases = {alias: table for table, alias in _ALIAS.findall(statement.sql) if table in large}
    found = []
    for detail in details:
        match = _SQLITE_SCAN.match(detail)
        if match is None or "INDEX" in match.group(3):
            continue
        table = aliases.get(match.group(1), match.group(1))
        if table in large:
            found.append(FullScan(table, statement, plan))
    return found


async def _postgres_scans(
    conn: AsyncConnection, statement: Statement, large: frozenset[str]
) -> list[FullScan]:
    plan = await _postgres_plan(conn, statement)
    tables = [t for t in _seq_scans(plan) if t in large]
    if not tables:
        return []
    await conn.exec_driver_sql("SET enable_seqscan = off")
    try:
        discouraged = await _postgres_plan(conn, statement)
    finally:
        await conn.exec_driver_sql("SET enable_seqscan = on")
    shown = "\n".join(f"    {line}" for line in _outline(plan))
    return [FullScan(t, statement, shown, index_possible=_searched(discouraged, t)) for t in tables]


def _searched(plan: dict[str, Any], table: str) -> bool:
    """Whether every read of `table` in the plan looks rows up by an index condition."""
    reads = [n for n in _nodes(plan) if n.get("Relation Name") == table]
    for node in reads:
        if node.get("Node Type") == "Bitmap Heap Scan":
            inner = [n for n in _nodes(node) if n.get("Node Type") == "Bitmap Index Scan"]
            if not inner or not all("Index Cond" in n for n in inner):
                return False
        elif "Index Cond" not in node:
            return False
    return bool(reads)


async def _postgres_plan(conn: AsyncConnection, statement: Statement) -> dict[str, Any]:
    result = await conn.exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {statement.sql}", statement.parameters
    )
    value = result.scalar_one()
    document = json.loads(value) if isinstance(value, str) else value
    return dict(document[0]["Plan"])


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _seq_scans(plan: dict[str, Any]) -> list[str]:
    return [
        str(node["Relation Name"])
        for node in _nodes(plan)
        if node.get("Node Type") == "Seq Scan" and "Relation Name" in node
    ]


def _outline(plan: dict[str, Any], depth: int = 0) -> Iterator[str]:
    """The plan as EXPLAIN's text shows it, roughly: node, relation, index, condition."""
    parts = [plan.get("Node Type", "?")]
    if "Relation Name" in plan:
        parts.append(f"on {plan['Relation Name']}")
    if "Index Name" in plan:
        parts.append(f"using {plan['Index Name']}")
    for key in ("Index Cond", "Filter", "Hash Cond", "Join Filter"):
        if key in plan:
            parts.append(f"{key}: {plan[key]}")
    parts.append(f"(rows={plan.get('Plan Rows')})")
    yield "  " * depth + " ".join(str(p) for p in parts)
    for child in plan.get("Plans", ()):
        yield from _outline(child, depth + 1)


def _one_line(sql: str) -> str:
    return " ".join(sql.split())
