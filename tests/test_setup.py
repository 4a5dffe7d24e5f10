"""`make setup` (scripts/setup_env.py): the lock is what gets installed, and an interrupted setup never
leaves an environment that claims to be ready.

The interruption is real (SIGINT as from Ctrl-C, SIGKILL as from a closed laptop lid or an OOM kill) and
lands while pip unpacks a package. The package is a small local wheel built like TensorFlow's is laid out
for this failure: its metadata comes first in the archive, so a cut-short install looks installed to pip.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from testkit import HANG_SECONDS

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "setup_env.py"

import setup_env  # noqa: E402

MODULES = 1500


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


BLOB = 128 * 2**20  # one large member right after the metadata: pip needs a while to unpack it


def build_wheel(folder: Path) -> Path:
    """tinypkg-1.0: metadata first (as in the archive that broke setup), then a 128 MiB blob (compressed to
    a few hundred kB) that keeps pip busy, then MODULES modules and the package's ``__init__`` last."""
    files = {
        "tinypkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n",
        "tinypkg-1.0.dist-info/WHEEL":
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        "tinypkg/blob.bin": bytes(BLOB),
    }
    for i in range(MODULES):
        files[f"tinypkg/m{i:04d}.py"] = f"VALUE = {i}\n".encode() + b"# padding\n" * 4000
    files["tinypkg/__init__.py"] = (
        f"def verify():\n    import importlib, pathlib\n"
        f"    assert len(list(pathlib.Path(__file__).parent.glob('m*.py'))) == {MODULES}\n"
        f"    assert importlib.import_module('tinypkg.m{MODULES - 1:04d}').VALUE == {MODULES - 1}\n"
        f"    assert (pathlib.Path(__file__).parent / 'blob.bin').stat().st_size == {BLOB}\n"
    ).encode()
    record = "\n".join(_record_line(n, d) for n, d in files.items()) + "\ntinypkg-1.0.dist-info/RECORD,,\n"
    wheel = folder / "tinypkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr("tinypkg-1.0.dist-info/RECORD", record)
    return wheel


def as_in_a_terminal():
    """Ctrl-C reaches setup as it would from a terminal: CI starts this suite from a background job, whose
    children inherit an ignored SIGINT (pip then simply finishes)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def setup_command(venv: Path, lock: Path) -> list[str]:
    return [sys.executable, str(SCRIPT), "--venv", str(venv), "--lock", str(lock), "--project", "",
            "--no-kernel", "--check", "import tinypkg; tinypkg.verify()"]


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3.*")) / "site-packages"


@pytest.mark.integration
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_setup_interrupted_while_pip_unpacks_is_redone_from_scratch(tmp_path, sig):
    lock = tmp_path / "lock.txt"
    lock.write_text(f"tinypkg @ {build_wheel(tmp_path).as_uri()}\n")
    venv = tmp_path / "venv"
    for _attempt in range(3):  # the signal must land while pip unpacks; a miss (it finished first) is retried
        shutil.rmtree(venv, ignore_errors=True)
        first = subprocess.Popen(setup_command(venv, lock), start_new_session=True, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, preexec_fn=as_in_a_terminal)
        deadline = time.monotonic() + HANG_SECONDS
        while time.monotonic() < deadline and first.poll() is None:  # wait until pip is half-way through
            sp = next((venv / "lib").glob("python3.*/site-packages"), None)
            if sp and (sp / "tinypkg-1.0.dist-info").exists() and not (sp / "tinypkg" / "__init__.py").exists():
                os.killpg(first.pid, sig)  # the whole group, as a terminal's Ctrl-C or a kill would
                break
            time.sleep(0.002)
        output = first.communicate(timeout=HANG_SECONDS)[0]
        if first.returncode != 0:
            break
    assert first.returncode != 0, "setup finished before it could be interrupted, three times:\n" + output
    assert not (venv / setup_env.MARK).exists()
    half = site_packages(venv)
    assert (half / "tinypkg-1.0.dist-info").exists() and not (half / "tinypkg" / "__init__.py").exists(), \
        "not interrupted mid-install"

    again = subprocess.run(setup_command(venv, lock), capture_output=True, text=True, timeout=HANG_SECONDS)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "never completed" in again.stdout and "starting over" in again.stdout
    assert (venv / setup_env.MARK).is_file()
    check = subprocess.run([venv / "bin" / "python", "-c", "import tinypkg; tinypkg.verify()"],
                           capture_output=True, text=True, timeout=HANG_SECONDS)
    assert check.returncode == 0, check.stderr


def test_a_folder_that_is_not_an_environment_is_never_deleted(tmp_path):
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "notes.txt").write_text("mine")
    result = subprocess.run(setup_command(precious, tmp_path / "lock.txt"), capture_output=True, text=True,
                            timeout=HANG_SECONDS)
    assert result.returncode == 2 and "is not a virtual environment" in result.stderr
    assert (precious / "notes.txt").read_text() == "mine"


def test_the_lock_covers_what_pyproject_declares():
    """Platforms and Python versions are stated once in pyproject.toml; setup_env and the lock agree."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = set()
    for marker in project["tool"]["uv"]["environments"]:
        declared.add(tuple(re.findall(r"== '([^']+)'", marker)))
    assert declared == setup_env.LOCKED_PLATFORMS
    low, high = setup_env.supported_python()
    assert project["project"]["requires-python"] == f">={'.'.join(map(str, low))},<{high[0]}.{high[1]}"
    lock = setup_env.LOCK.read_text()
    assert "--universal" in (ROOT / "Makefile").read_text() and lock.splitlines()[1].strip() == "#    make lock"
    for name in ("tensorflow", "keras", "numpy", "ruff", "pre-commit", "nbstripout", "hypothesis", "pytest",
                 "selenium", "nbval", "papermill", "jupyterlab"):
        assert re.search(rf"^{name}==[\d.]+", lock, re.M), f"{name} is not pinned exactly in the lock"


def test_the_installed_versions_are_the_locked_ones():
    """The committed outputs were produced with the lock's versions: this environment must be that one."""
    import platform

    from helpers.notebook import lock_differences

    assert (sys.platform, platform.machine()) in setup_env.LOCKED_PLATFORMS, "CI runs where the lock applies"
    assert lock_differences() == {}, "installed versions differ from requirements/lock.txt: run make setup"


def test_a_version_other_than_the_locked_one_is_reported(tmp_path):
    from helpers.notebook import lock_differences, lock_report

    lock = tmp_path / "lock.txt"
    lock.write_text("numpy==1.0.0\n    # via x\nkeras==3.15.1 ; sys_platform == 'nonexistent'\nnot-installed==1.0\n")
    differences = lock_differences(lock)
    assert set(differences) == {"numpy", "not-installed"}
    assert differences["numpy"][0] == "==1.0.0" and differences["not-installed"] == ("==1.0", None)
    assert lock_report(lock).startswith("differs from lock.txt: numpy ") and "run make setup" in lock_report(lock)


def test_a_platform_the_lock_does_not_cover_is_said_so_not_reported_as_matching(tmp_path):
    from helpers.notebook import lock_report

    lock = tmp_path / "lock.txt"
    lock.write_text("numpy==1.0.0 ; sys_platform == 'nonexistent'\n")
    assert lock_report(lock) == "lock.txt does not cover this platform: versions not compared"


def test_the_readme_states_the_supported_pythons_pyproject_declares():
    low, high = setup_env.supported_python()
    versions = [f"3.{minor}" for minor in range(low[1], high[1])]
    readme = (ROOT / "README.md").read_text()
    assert f"Python {versions[0]} (or {versions[-1]})" in readme
    assert f"Python {' or '.join(versions)}" in readme
