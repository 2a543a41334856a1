"""The executables of build.spec as the tests and bench/executables.py build them."""

from __future__ import annotations

import sys
from pathlib import Path


def build_command(dist: Path, work: Path) -> list[str]:
    """PyInstaller on build.spec (run it in the repository root), both executables into `dist`."""
    options = ["--noconfirm", "--log-level", "WARN", "--distpath", str(dist), "--workpath", str(work)]
    return [sys.executable, "-m", "PyInstaller", "build.spec", *options]
