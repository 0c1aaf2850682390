"""Fixtures: gridrl-server processes started from the build tree on free ports."""
import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("GRIDRL_BIN_DIR", ROOT / "build" / "bin"))


def pytest_configure(config):
    config.addinivalue_line("markers", "ray: starts a local two-node Ray cluster (about 1-2 min; "
                                       "-m 'not ray' leaves it out)")


class ServerProcess:
    """A gridrl-server on 127.0.0.1 and a port the kernel picked (`address`)."""

    def __init__(self, *args: str):
        exe = BIN / "gridrl-server"
        if not exe.exists():
            pytest.fail(f"{exe} not found: build the project first (scripts/test.sh does)")
        self.proc = subprocess.Popen([str(exe), "--address", "127.0.0.1:0", "--idle-timeout-s",
                                      "300", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on port (\d+)", line)
        if not m:
            self.proc.kill()
            pytest.fail(f"gridrl-server did not start: {line!r}")
        self.address = f"127.0.0.1:{m.group(1)}"

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit code (0 is a clean stop)."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("gridrl-server did not stop within 10 s of SIGTERM")


@pytest.fixture(scope="session")
def server_address():
    server = ServerProcess()
    yield server.address
    assert server.stop() == 0, "gridrl-server did not exit cleanly"


@pytest.fixture(scope="session")
def two_server_addresses(server_address):
    """The session's server and a second one: a vector env split over two processes."""
    second = ServerProcess()
    yield [server_address, second.address]
    assert second.stop() == 0, "the second gridrl-server did not exit cleanly"


@pytest.fixture
def server_factory():
    """Starts servers the test owns (it may kill them); stops what is left at the end."""
    started = []

    def start():
        started.append(ServerProcess())
        return started[-1]

    yield start
    for s in started:
        s.stop()


@pytest.fixture(scope="session")
def gridrl_cli():
    exe = BIN / "gridrl"
    if not exe.exists():
        pytest.fail(f"{exe} not found: build the project first")
    return str(exe)
