"""Fixtures: a gridrl-server started from the build tree on a free port, for the whole session."""
import os
import pathlib
import re
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("GRIDRL_BIN_DIR", ROOT / "build" / "bin"))


@pytest.fixture(scope="session")
def server_address():
    exe = BIN / "gridrl-server"
    if not exe.exists():
        pytest.fail(f"{exe} not found: build the project first (scripts/test.sh does)")
    proc = subprocess.Popen([str(exe), "--address", "127.0.0.1:0", "--idle-timeout-s", "300"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    m = re.search(r"listening on port (\d+)", line)
    if not m:
        proc.kill()
        pytest.fail(f"gridrl-server did not start: {line!r}")
    yield f"127.0.0.1:{m.group(1)}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("gridrl-server did not stop within 10 s of SIGTERM")
    assert proc.returncode == 0, f"gridrl-server exited with {proc.returncode}"


@pytest.fixture(scope="session")
def gridrl_cli():
    exe = BIN / "gridrl"
    if not exe.exists():
        pytest.fail(f"{exe} not found: build the project first")
    return str(exe)
