"""An interrupted build (Ctrl-C, SIGTERM) leaves every output whole, old or new, and no temporary file."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import SERIES


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_build_keeps_outputs_whole(tmp_path: Path, signum: int) -> None:
    out = tmp_path / "out"
    out.mkdir()
    names = [f"series-vol{n:02d}.pdf" for n in range(1, 5)]
    for name in names:
        (out / name).write_bytes(b"previous build")
    proc = subprocess.Popen([sys.executable, "-m", "jebon", "build", str(SERIES), "--format", "pdf", "--out",
                             str(out), "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    # Interrupt once the first new volume is on disk, while the others are still being laid out.
    while time.monotonic() < deadline and all((out / n).read_bytes() == b"previous build" for n in names):
        time.sleep(0.05)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr.decode()
    contents = [(out / name).read_bytes() for name in names]
    finished = [c for c in contents if c != b"previous build"]
    assert 1 <= len(finished) < 4
    for data in finished:
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert sorted(p.name for p in out.iterdir() if p.name != ".jebon-cache") == names  # no temporary files
    assert not [p for p in (out / ".jebon-cache").rglob(".tmp-*")]  # nor half-written cache entries
