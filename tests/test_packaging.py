"""The package metadata installs without deprecation warnings."""

import tomllib
from pathlib import Path


def test_the_license_is_an_spdx_expression_not_a_table() -> None:
    project = tomllib.loads(Path(__file__).parents[1].joinpath("pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    assert any(r.startswith("setuptools>=77") for r in project["build-system"]["requires"])
