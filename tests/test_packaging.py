"""From a built wheel, in a fresh virtual environment outside the
repository: the command line, ``python -m complaintflow`` and the
tutorial's code run, and the version is the one written in ``_version.py``.

Marked ``packaging``: CI runs it; offline, deselect it with
``-m 'not packaging'``. When the build backend or the dependencies cannot
be fetched it skips, saying so; any other failure fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.packaging

_OFFLINE = re.compile(
    r"No matching distribution|Could not find a version|Failed to establish a new connection"
    r"|Temporary failure in name resolution|Network is unreachable|ProxyError",
)


def _run(args: list[str], cwd: Path, *, what: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        if _OFFLINE.search(out):
            pytest.skip(f"{what}: packages cannot be fetched here (offline?): {out[-500:]}")
        pytest.fail(f"{what} failed ({proc.returncode}):\n{out[-3000:]}")
    return proc.stdout


def _written_version() -> str:
    text = (ROOT / "src" / "complaintflow" / "_version.py").read_text(encoding="utf-8")
    m = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    assert m is not None
    return m.group(1)


def _tutorial_code() -> str:
    page = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", page, re.M | re.S)
    assert blocks
    return "\n".join(blocks)


def test_a_built_wheel_works_in_a_fresh_environment(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    work = tmp_path_factory.mktemp("wheel")
    assert ROOT not in work.parents
    version = _written_version()
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", str(ROOT), "-w", str(work / "dist")],
        work,
        what="building the wheel",
    )
    [wheel] = (work / "dist").glob("complaintflow-*.whl")
    assert wheel.name == f"complaintflow-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        metadata = z.read(f"complaintflow-{version}.dist-info/METADATA").decode()
    assert f"complaintflow-{version}.dist-info/licenses/LICENSE" in names
    assert "complaintflow/templates/zh/acknowledgement.txt" in names
    assert "complaintflow/sla/data/cn.json" in names
    assert f"\nVersion: {version}\n" in metadata

    venv.create(work / "venv", with_pip=True)
    bin_dir = work / "venv" / ("Scripts" if os.name == "nt" else "bin")
    python = str(bin_dir / "python")
    _run([python, "-m", "pip", "install", "-q", str(wheel)], work, what="installing the wheel")

    where = _run(
        [python, "-c", "import complaintflow, sys; print(complaintflow.__file__)"],
        work,
        what="importing",
    )
    assert Path(where.strip()).is_relative_to(work / "venv")

    assert _run([python, "-m", "complaintflow", "--version"], work, what="python -m").strip() == (
        f"complaintflow {version}"
    )
    assert _run([str(bin_dir / "complaintflow"), "--version"], work, what="--version").strip() == (
        f"complaintflow {version}"
    )
    assert (
        _run(
            [python, "-c", "import complaintflow; print(complaintflow.__version__)"],
            work,
            what="__version__",
        ).strip()
        == version
    )

    demo = _run(
        [str(bin_dir / "complaintflow"), "demo", "--plain"], work, what="complaintflow demo"
    )
    assert (
        "complaints, their audit trails and notifications are in complaintflow-demo.sqlite3" in demo
    )
    assert (work / "complaintflow-demo.sqlite3").is_file()

    script = work / "tutorial.py"
    script.write_text(_tutorial_code(), encoding="utf-8")
    _run([python, str(script)], work, what="the tutorial's code")
