"""A throwaway PostgreSQL server for the test session, so the storage-backed tests run against
both engines (SQLite files and PostgreSQL) with the same code.

The server lives in a temporary folder, listens on 127.0.0.1 only, trusts local logins and
skips fsync (a test database need not survive a power cut). Each test gets a fresh database
cloned from a migrated template, which takes milliseconds. Without PostgreSQL's server
programs on the machine (`initdb`, `pg_ctl`), the PostgreSQL variants are skipped.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import asyncpg

from bot.storage.database import Database

USER = "infochat"
TEMPLATE = "infochat_template"
_names = itertools.count(1)


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        bin_dir = _binaries()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.bin = bin_dir
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="infochat-pg-"))
        self.run_as: list[str] = []
        self._template_ready = False
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self._run(
            "initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", USER, "-E", "UTF8",
            "--no-sync", "--locale=C",
        )  # fmt: skip
        options = (
            f"-k {self.dir} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l", str(self.dir / "log"),
            "-w", "start",
        )  # fmt: skip

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin / program), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/{database}"

    async def _admin(self, sql: str) -> None:
        conn = await asyncpg.connect(
            user=USER, host="127.0.0.1", port=self.port, database="postgres"
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def _prepare_template(self) -> None:
        """A migrated database that each test's database is cloned from (made once)."""
        if self._template_ready:
            return
        await self._admin(f"CREATE DATABASE {TEMPLATE}")
        db = Database(self.url(TEMPLATE))
        try:
            await db.migrate()
        finally:
            await db.dispose()
        self._template_ready = True

    async def fresh_database(self) -> str:
        await self._prepare_template()
        name = f"test_{os.getpid()}_{next(_names)}"
        await self._admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
