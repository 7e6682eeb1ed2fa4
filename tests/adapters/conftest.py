from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No INFOCHAT_* variable or infochat.toml of the developer's leaks into a test."""
    for name in list(os.environ):
        if name.upper().startswith("INFOCHAT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
