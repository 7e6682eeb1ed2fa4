"""Readers for the deployment files, as the tools that use them read them: the Dockerfile's
instructions, the env file's lines (docker compose and systemd agree on the subset it uses),
the compose file, systemd units, the README's Deploy section, and the settings they may name."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, SecretStr

from bot.config import CONFIG_ENV, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "infochat.env.example"
SYSTEMD = DEPLOY / "systemd"
UNITS = ("infochat.service", "infochat-backup.service", "infochat-backup.timer")
README = ROOT / "README.md"
PREFIX = "INFOCHAT_"
# compose.yaml's own variable; not a setting of infochat.
COMPOSE_ONLY = ("POSTGRES_PASSWORD",)
# What the operations server answers on (the ops server's route for "the process is alive").
HEALTH_PATH = "/healthz"

# An INFOCHAT_ name as written in a file (a trailing `__` of `INFOCHAT_COMMUNITY__…` is not
# part of it).
SETTING_NAME = re.compile(r"\bINFOCHAT_[A-Z0-9_]*[A-Z0-9]")


# --- settings ----------------------------------------------------------------------------


def setting_names(model: type[BaseModel] = Settings, prefix: str = PREFIX) -> dict[str, bool]:
    """Every environment name a setting is read from → whether it is a leaf (a value, not a
    nested model that is better set field by field through `__`)."""
    names: dict[str, bool] = {}
    for field, info in model.model_fields.items():
        env = prefix + field.upper()
        nested = info.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            names[env] = False
            names.update(setting_names(nested, env + "__"))
        else:
            names[env] = True
    return names


def valid_names() -> set[str]:
    return set(setting_names()) | {CONFIG_ENV}


def leaf_settings() -> set[str]:
    return {name for name, leaf in setting_names().items() if leaf}


def secret_settings() -> set[str]:
    return {
        PREFIX + field.upper()
        for field, info in Settings.model_fields.items()
        if info.annotation is SecretStr or SecretStr in get_args(info.annotation)
    }


# --- the env file --------------------------------------------------------------------------

_ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


@dataclass(frozen=True)
class EnvLine:
    name: str
    value: str
    active: bool  # False: shown commented out (`# NAME=value`)
    number: int


def unquote(raw: str) -> str:
    """A value as compose and systemd read it: whole-value single or double quotes removed."""
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return raw


def env_lines(path: Path = ENV_EXAMPLE) -> list[EnvLine]:
    found: list[EnvLine] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        active = not line.startswith("#")
        text = line if active else line[1:].strip()
        match = _ASSIGNMENT.match(text)
        if match:
            found.append(EnvLine(match[1], match[2], active, number))
        elif active and line.strip():
            raise AssertionError(f"{path.name}:{number}: neither NAME=value nor a comment")
    return found


# --- the Dockerfile ------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    stage: int  # 0 for the first FROM's stage, 1 for the next …


def dockerfile(path: Path = DOCKERFILE) -> list[Instruction]:
    """The instructions, continuation lines joined, comments and blank lines dropped."""
    found: list[Instruction] = []
    stage, parts = -1, []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts.append(stripped.removesuffix("\\").strip())
        if stripped.endswith("\\"):
            continue
        keyword, _, args = " ".join(parts).partition(" ")
        parts = []
        if keyword.upper() == "FROM":
            stage += 1
        found.append(Instruction(keyword.upper(), " ".join(args.split()), stage))
    return found


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def exec_form(args: str) -> list[str]:
    """An instruction's JSON array (exec form), e.g. CMD ["run"]."""
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def dockerfile_env(instructions: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.args):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def healthcheck_command(instructions: list[Instruction]) -> list[str]:
    """HEALTHCHECK [OPTIONS] CMD ["…"]: the command, in exec form."""
    (check,) = [i for i in final_stage(instructions) if i.keyword == "HEALTHCHECK"]
    _, _, command = check.args.partition("CMD ")
    return exec_form(command)


# --- compose and systemd -------------------------------------------------------------------


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit's sections → key → values (a key may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in (SYSTEMD / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{name}: {line!r} is not Key=value"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


# --- the README ----------------------------------------------------------------------------


def readme_deploy_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Deploy\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


# `infochat SUBCOMMAND` as a command line shows it: the installed script (`…/bin/infochat`),
# the image's service in `docker compose run --rm infochat …`, or a code span or code line
# starting with `infochat`.
_COMMAND = re.compile(
    r"(?:\bbin/infochat|\brun --rm infochat|`infochat|^infochat)\s+([a-z][a-z-]*)", re.MULTILINE
)


def readme_subcommands() -> set[str]:
    return set(_COMMAND.findall(readme_deploy_section()))


def readme_paths() -> set[str]:
    """The repository's files the Deploy section names (`deploy/…`)."""
    return set(re.findall(r"(?<![\w/.-])deploy/[\w./-]*[\w]", readme_deploy_section()))
