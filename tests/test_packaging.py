"""pyproject.toml: metadata that installs without deprecation warnings."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_license_is_an_spdx_string_with_a_setuptools_that_reads_it() -> None:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert config["project"]["license"] == "MIT"  # a table is deprecated (PEP 639)
    (setuptools,) = [r for r in config["build-system"]["requires"] if r.startswith("setuptools")]
    match = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", setuptools)
    assert match and int(match.group(1)) >= 77, setuptools  # SPDX strings: setuptools 77
