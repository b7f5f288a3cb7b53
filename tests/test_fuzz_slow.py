"""The property-based fuzz of ``test_fuzz.py`` with five times as many examples per reader, in a subprocess (the
example counts are fixed when that module is imported)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_fuzz_five_times_longer():
    env = {**os.environ, "RLEMP_FUZZ_SLOW": "1"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                           str(Path(__file__).parent / "test_fuzz.py")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
