"""The deployment files (deploy/) and the README's Deploy section say only what is true of
infochat: the settings they name exist, the commands they run parse, the ports and the health
path are the server's, and the files refer to each other by names that exist. The image can't
be built where the tests run (no base image can be pulled), so this is what keeps it honest."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import tomllib
from pathlib import Path

import pytest

from adapters.cli import build_parser
from bot.config import Settings
from tests.deploy import files
from tests.deploy.files import (
    COMPOSE_ONLY,
    DEPLOY,
    HEALTH_PATH,
    ROOT,
    SETTING_NAME,
    UNITS,
    compose,
    dockerfile,
    dockerfile_env,
    env_lines,
    exec_form,
    final_stage,
    healthcheck_command,
    leaf_settings,
    readme_deploy_section,
    secret_settings,
    unit,
    unquote,
    valid_names,
)

DEPLOY_TEXT_FILES = sorted(
    path
    for path in DEPLOY.rglob("*")
    if path.is_file() and path.name not in {"infochat.env", ".env"}
)
IMAGE_SERVICES = ("migrate", "infochat")
DATABASE_URL = "postgresql+asyncpg://infochat:${POSTGRES_PASSWORD}@db:5432/infochat"


def _subcommands() -> set[str]:
    (commands,) = [
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    ]
    return set(commands.choices)


def _parses(argv: list[str]) -> bool:
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return False
    return True


DEFAULTS = Settings.model_construct()  # the defaults, whatever the environment says


def _ops_port() -> int:
    address = DEFAULTS.ops_host_port()
    assert address is not None, "the operations server is on by default"
    return address[1]


# --- INFOCHAT_ names --------------------------------------------------------------------


def _names_in(text: str) -> set[str]:
    return set(SETTING_NAME.findall(text))


@pytest.mark.parametrize("path", DEPLOY_TEXT_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_infochat_name_in_a_deployment_file_is_a_setting(path: Path) -> None:
    unknown = _names_in(path.read_text(encoding="utf-8")) - valid_names()
    assert not unknown, f"{path.name} names settings that don't exist: {sorted(unknown)}"


def test_every_infochat_name_in_the_readme_deploy_section_is_a_setting() -> None:
    section = readme_deploy_section()
    assert _names_in(section), "the Deploy section names the settings it relies on"
    assert not _names_in(section) - valid_names()


def test_the_name_reader_finds_a_misspelt_setting() -> None:
    text = "INFOCHAT_SLACK_PORT=3000 INFOCHAT_SLACK_TOKEN= INFOCHAT_COMMUNITY__… $INFOCHAT_CONFIG"
    assert _names_in(text) - valid_names() == {"INFOCHAT_SLACK_TOKEN"}


# --- the env file ------------------------------------------------------------------------


def test_the_env_example_lists_every_setting_once_and_nothing_else() -> None:
    names = [line.name for line in env_lines()]
    duplicates = {name for name in names if names.count(name) > 1}
    assert not duplicates
    listed = {name for name in names if name not in COMPOSE_ONLY}
    assert sorted(leaf_settings() - listed) == [], "settings missing from the example"
    assert sorted(listed - valid_names()) == [], "names in the example that aren't settings"
    assert set(COMPOSE_ONLY) <= set(names)


def test_the_env_example_leaves_every_secret_empty_and_in_effect() -> None:
    lines = {line.name: line for line in env_lines()}
    for name in secret_settings() | set(COMPOSE_ONLY):
        assert lines[name].active, f"{name} is there to be filled in, not commented out"
        assert lines[name].value == "", f"{name} must be empty in the example"
    # Nothing that looks like a token anywhere, commented or not.
    text = files.ENV_EXAMPLE.read_text(encoding="utf-8")
    assert not re.search(r"xox[abp]-|xapp-|[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{6}\.", text)


def test_the_env_example_values_are_plain_lines_both_compose_and_systemd_read_alike() -> None:
    for line in env_lines():
        value = line.value
        assert value == value.strip(), f"line {line.number}: spaces around the value"
        if value and value[0] in "'\"":
            assert value[-1] == value[0] and len(value) > 1, f"line {line.number}: quotes"
        else:
            assert not re.search(r"\s|['\"#$\\]", value), (
                f"line {line.number}: {line.name}'s value needs single quotes"
            )


def _settings_from(lines: list[files.EnvLine], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in [n for n in os.environ if n.startswith(files.PREFIX)]:
        monkeypatch.delenv(name)
    for line in lines:
        if line.name.startswith(files.PREFIX) and line.name != "INFOCHAT_CONFIG":
            monkeypatch.setenv(line.name, unquote(line.value))
    return Settings()


def test_the_env_example_as_shipped_is_a_valid_configuration(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no infochat.toml
    settings = _settings_from([line for line in env_lines() if line.active], monkeypatch)
    assert settings.slack_bot_token is None and settings.discord_token is None  # none yet
    assert settings.log_level == "INFO"


def test_the_commented_settings_are_valid_together_when_put_in_effect(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """All of them at once: the examples agree with each other (shard ids with a count)."""
    monkeypatch.chdir(tmp_path)
    lines = env_lines()
    settings = _settings_from(lines, monkeypatch)
    assert len([line for line in lines if not line.active]) >= 30
    assert settings.discord_shard_ids == (0, 1)
    assert settings.slack_channels == {"moderators": "C0123ABCD"}


# Commented lines that show an example rather than the default.
EXAMPLES = {
    "INFOCHAT_CONFIG",
    "INFOCHAT_DATABASE_URL",
    "INFOCHAT_SLACK_MODERATOR_GROUP",
    "INFOCHAT_SLACK_CHANNELS",
    "INFOCHAT_DISCORD_GUILD_ID",
    "INFOCHAT_DISCORD_GATEWAY_URL",
    "INFOCHAT_DISCORD_SHARD_COUNT",
    "INFOCHAT_DISCORD_SHARD_IDS",
}


def test_every_other_commented_setting_shows_its_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Put in effect alone, it changes nothing: a changed default must change the example."""
    monkeypatch.chdir(tmp_path)
    active = [line for line in env_lines() if line.active]
    base = _settings_from(active, monkeypatch).model_dump()
    shown = [line for line in env_lines() if not line.active and line.name not in EXAMPLES]
    assert len(shown) >= 25
    for line in shown:
        changed = {
            key: value
            for key, value in _settings_from([*active, line], monkeypatch).model_dump().items()
            if base[key] != value
        }
        assert not changed, f"{line.name}={line.value} is not the default: {changed}"


# --- commands ----------------------------------------------------------------------------


def _readme_subcommand_cases() -> list[str]:
    return sorted(files.readme_subcommands())


def test_the_readme_deploy_section_runs_infochat_commands() -> None:
    assert {"run", "migrate", "doctor", "backup", "restore"} <= files.readme_subcommands()


@pytest.mark.parametrize("subcommand", _readme_subcommand_cases())
def test_every_infochat_command_in_the_readme_deploy_section_exists(subcommand: str) -> None:
    assert subcommand in _subcommands(), f"README Deploy runs `infochat {subcommand}`"


def _unit_commands() -> list[tuple[str, list[str]]]:
    found = []
    for name in UNITS:
        for key in ("ExecStartPre", "ExecStart", "ExecStartPost", "ExecStop"):
            for line in unit(name).get("Service", {}).get(key, []):
                argv = shlex.split(line.lstrip("-+!@:"))
                if argv[0].endswith("/infochat"):
                    found.append((f"{name}:{key}", argv[1:]))
    return found


def _image_commands() -> list[tuple[str, list[str]]]:
    final = final_stage(dockerfile())
    (entrypoint,) = [exec_form(i.args) for i in final if i.keyword == "ENTRYPOINT"]
    (cmd,) = [exec_form(i.args) for i in final if i.keyword == "CMD"]
    found = [("Dockerfile:CMD", cmd)]
    assert entrypoint == ["infochat"]
    for service in IMAGE_SERVICES:
        found.append((f"compose:{service}", compose()["services"][service]["command"]))
    return found


@pytest.mark.parametrize(
    ("where", "argv"),
    _unit_commands() + _image_commands(),
    ids=lambda v: v if isinstance(v, str) else " ".join(v),
)
def test_every_infochat_command_a_unit_or_the_image_runs_parses(
    where: str, argv: list[str]
) -> None:
    assert argv[0] in _subcommands(), f"{where} runs `infochat {argv[0]}`"
    assert _parses(argv), f"{where}: `infochat {' '.join(argv)}` doesn't parse"


def test_the_units_and_the_image_run_migrate_and_run() -> None:
    commands = {(where, argv[0]) for where, argv in _unit_commands() + _image_commands()}
    assert ("infochat.service:ExecStartPre", "migrate") in commands
    assert ("infochat.service:ExecStart", "run") in commands
    assert ("infochat-backup.service:ExecStart", "backup") in commands
    assert ("compose:migrate", "migrate") in commands
    assert ("compose:infochat", "run") in commands
    assert ("Dockerfile:CMD", "run") in commands


# --- the image -----------------------------------------------------------------------------


def test_the_image_exposes_the_slack_port_and_the_ops_port() -> None:
    final = final_stage(dockerfile())
    exposed = {int(p.split("/")[0]) for i in final if i.keyword == "EXPOSE" for p in i.args.split()}
    assert exposed == {DEFAULTS.slack_port, _ops_port()}
    env = dockerfile_env(final)
    assert env["INFOCHAT_OPS_ADDRESS"] == f"0.0.0.0:{_ops_port()}"


def test_the_healthcheck_asks_the_health_path_on_the_ops_port_with_python() -> None:
    command = healthcheck_command(dockerfile())
    assert command[:2] == ["python", "-c"], "slim images have no curl"
    urls = re.findall(r"http://[^'\"]+", command[2])
    assert urls == [f"http://127.0.0.1:{_ops_port()}{HEALTH_PATH}"]


def test_the_image_runs_as_a_fixed_non_root_user_with_data_in_a_volume() -> None:
    final = final_stage(dockerfile())
    args = {i.args.split("=")[0]: i.args.split("=", 1)[1] for i in final if i.keyword == "ARG"}
    (user,) = [i.args for i in final if i.keyword == "USER"]
    uid = re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], user).split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000
    env = dockerfile_env(final)
    volumes = [v for i in final if i.keyword == "VOLUME" for v in exec_form(i.args)]
    assert volumes == [env["INFOCHAT_DATA_DIR"]] == ["/data"]
    assert env["PATH"].startswith("/opt/infochat/bin:")


def test_the_image_is_a_pinned_slim_python_in_two_stages_copying_the_venv_only() -> None:
    instructions = dockerfile()
    arg = next(i.args for i in instructions if i.args.startswith("PYTHON_IMAGE="))
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.1[1-9]-slim-\w+", arg)
    stages = [i for i in instructions if i.keyword == "FROM"]
    assert len(stages) == 2
    copies = [i.args for i in final_stage(instructions) if i.keyword == "COPY"]
    assert copies == ["--from=builder /opt/infochat /opt/infochat"]


def test_the_builder_copies_what_the_package_build_needs_and_installs_the_extras() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    builder = [i for i in dockerfile() if i.stage == 0]
    copied = {
        source
        for i in builder
        if i.keyword == "COPY"
        for source in shlex.split(i.args)[:-1]
        if not source.startswith("--")
    }
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages | {"pyproject.toml", project["project"]["readme"]} <= copied
    assert all((ROOT / source).exists() for source in copied)
    (install,) = [i.args for i in builder if i.keyword == "RUN" and "pip install" in i.args]
    extras = set(re.search(r"\.\[([\w,]+)\]", install)[1].split(","))  # type: ignore[index]
    assert extras == {"slack", "discord", "postgres", "charts"}
    assert extras <= set(project["project"]["optional-dependencies"])


def test_the_dockerignore_keeps_local_state_and_secrets_out_of_the_build() -> None:
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".venv", "data", "deploy/infochat.env", "deploy/.env"} <= ignored
    copied = {"pyproject.toml", "README.md", "bot", "adapters", "migrations"}
    assert not copied & ignored


# --- compose -------------------------------------------------------------------------------


def test_compose_depends_only_on_services_it_defines_in_order() -> None:
    services = compose()["services"]
    assert set(services) == {"db", *IMAGE_SERVICES}
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on {dependency}"
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    depends = services["infochat"]["depends_on"]
    assert depends["migrate"] == {"condition": "service_completed_successfully"}
    assert depends["db"] == {"condition": "service_healthy"}


def test_compose_runs_postgres_with_its_own_healthcheck_and_volume() -> None:
    data = compose()
    db = data["services"]["db"]
    assert db["image"] == "postgres:17"
    assert db["healthcheck"]["test"][1] == "pg_isready"
    volume = db["volumes"][0].split(":")[0]
    assert volume in data["volumes"]
    env = db["environment"]
    assert (env["POSTGRES_USER"], env["POSTGRES_DB"]) == ("infochat", "infochat")
    assert env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_compose_image_services_share_the_image_settings_and_database() -> None:
    data = compose()
    for name in IMAGE_SERVICES:
        service = data["services"][name]
        assert service["image"] == "infochat:local"
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
        assert service["env_file"] == "infochat.env"
        assert service["environment"] == {"INFOCHAT_DATABASE_URL": DATABASE_URL}
    assert data["services"]["migrate"]["restart"] == "no"


def test_compose_publishes_the_image_ports_on_localhost_and_keeps_data() -> None:
    data = compose()
    infochat = data["services"]["infochat"]
    published = {}
    for spec in infochat["ports"]:
        host, host_port, container_port = spec.split(":")
        published[int(container_port)] = (host, int(host_port))
    assert published == {
        DEFAULTS.slack_port: ("127.0.0.1", DEFAULTS.slack_port),
        _ops_port(): ("127.0.0.1", _ops_port()),
    }
    volume, target = infochat["volumes"][0].split(":")
    assert volume in data["volumes"]
    assert target == dockerfile_env(final_stage(dockerfile()))["INFOCHAT_DATA_DIR"]
    assert infochat["restart"] == "unless-stopped"


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s|min)?", value)
    assert match, value
    return int(match[1]) * (60 if match[2] == "min" else 1)


def test_docker_and_systemd_wait_longer_than_the_shutdown_grace_before_killing() -> None:
    grace = DEFAULTS.shutdown_grace
    infochat = compose()["services"]["infochat"]
    assert infochat["init"] is True  # tini passes SIGTERM on
    assert _seconds(infochat["stop_grace_period"]) > grace + 5
    service = unit("infochat.service")["Service"]
    assert service["KillSignal"] == ["SIGTERM"]
    assert _seconds(service["TimeoutStopSec"][0]) > grace + 5


# --- systemd -------------------------------------------------------------------------------


def test_the_service_runs_sandboxed_as_its_user_with_the_env_file() -> None:
    service = unit("infochat.service")["Service"]
    expected = {
        "User": ["infochat"],
        "EnvironmentFile": ["/etc/infochat/infochat.env"],
        "Restart": ["on-failure"],
        "NoNewPrivileges": ["yes"],
        "ProtectSystem": ["strict"],
        "ProtectHome": ["yes"],
        "PrivateTmp": ["yes"],
        "ReadWritePaths": ["/var/lib/infochat"],
        "WorkingDirectory": ["/var/lib/infochat"],
        "Environment": ["INFOCHAT_DATA_DIR=/var/lib/infochat"],
    }
    assert {key: service.get(key) for key in expected} == expected
    assert "infochat" in service["StateDirectory"][0].split()


def test_the_backup_writes_inside_the_state_directory_nightly() -> None:
    service = unit("infochat-backup.service")["Service"]
    assert service["Type"] == ["oneshot"]
    argv = shlex.split(service["ExecStart"][0])
    target = argv[2]
    state = [f"/var/lib/{d}" for d in service["StateDirectory"][0].split()]
    assert target in state, "backup needs an existing directory: the unit creates it"
    assert service["EnvironmentFile"] == unit("infochat.service")["Service"]["EnvironmentFile"]
    timer = unit("infochat-backup.timer")
    assert timer["Timer"]["Persistent"] == ["true"]
    assert timer["Timer"]["RandomizedDelaySec"]
    assert timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]


# --- the README ------------------------------------------------------------------------------


def test_every_deploy_path_the_readme_names_exists_or_is_the_operators_own() -> None:
    operators_own = {
        f"deploy/{name}"
        for name in (DEPLOY / ".gitignore").read_text(encoding="utf-8").split()
        if not name.startswith("#")
    }
    paths = files.readme_paths()
    assert "deploy/compose.yaml" in paths
    for path in paths:
        assert (ROOT / path).exists() or path in operators_own, path


def test_the_readme_uses_the_compose_file_and_units_by_their_names() -> None:
    section = readme_deploy_section()
    for service in re.findall(
        r"docker compose -f deploy/compose\.yaml (?:run --rm|exec -T|logs -f|stop|start) (\w+)",
        section,
    ):
        assert service in compose()["services"], service
    for name in re.findall(r"\binfochat[\w-]*\.(?:service|timer)\b", section):
        assert (files.SYSTEMD / name).is_file(), name
    assert f"127.0.0.1:{_ops_port()}/readyz" in section
