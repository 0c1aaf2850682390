"""Runs a comparison or golden-data script inside the project's .venv with the peer tools it needs
(pandapower, lightsim2grid, opendssdirect.py): the scripts install what they use themselves.

    sys.path.insert(0, str(ROOT / "scripts"))
    from peer_venv import ensure_peers
    ensure_peers({"pandapower": "pandapower"})   # import name -> pip package
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

VENV = Path(__file__).resolve().parents[1] / ".venv"


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def ensure_peers(packages: dict) -> None:
    """Returns when every module imports here; otherwise installs the missing packages into .venv
    (creating it if needed) and runs the calling script again with the .venv's Python."""
    missing = [pip for module, pip in packages.items() if importlib.util.find_spec(module) is None]
    if not missing:
        return
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
    subprocess.check_call([str(py), "-m", "pip", "install", "-q", *missing])
    if _in_venv():
        importlib.invalidate_caches()
        return
    script = os.path.abspath(sys.argv[0])
    os.execv(str(py), [str(py), script, *sys.argv[1:]])
