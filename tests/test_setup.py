"""`make setup` (scripts/setup_env.py): the lock is what gets installed, and an interrupted setup never
leaves an environment that claims to be ready.

The interruption is real (SIGINT as from Ctrl-C, SIGKILL as from a closed laptop lid or an OOM kill) and
lands while the installer (uv, or pip) puts a package in place. The package is a small local wheel built like
TensorFlow's is laid out for this failure: its metadata comes first in the archive, so a cut-short install
by pip looks installed (uv links the files in no fixed order, then compiles them).

Setup installs with uv and falls back to pip; it hands pip's own configuration to uv. Each test gives uv a
cache of its own, so that the test wheels never land in the machine's uv cache.
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


def write_wheel(folder: Path, name: str, files: dict[str, bytes]) -> Path:
    """``name``-1.0 as a wheel: its metadata first, then ``files`` in their order, the RECORD last."""
    info = f"{name}-1.0.dist-info"
    files = {f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
             f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
             **files}
    record = "\n".join(_record_line(n, d) for n, d in files.items()) + f"\n{info}/RECORD,,\n"
    wheel = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for member, data in files.items():
            z.writestr(member, data)
        z.writestr(f"{info}/RECORD", record)
    return wheel


BLOB = 128 * 2**20  # one large member right after the metadata: pip needs a while to unpack it


def build_wheel(folder: Path) -> Path:
    """tinypkg-1.0: metadata first (as in the archive that broke setup), then a 128 MiB blob (compressed to
    a few hundred kB) that keeps pip busy, then MODULES modules and the package's ``__init__`` last."""
    files = {"tinypkg/blob.bin": bytes(BLOB)}
    for i in range(MODULES):
        files[f"tinypkg/m{i:04d}.py"] = f"VALUE = {i}\n".encode() + b"# padding\n" * 4000
    files["tinypkg/__init__.py"] = (
        f"def verify():\n    import importlib, pathlib\n"
        f"    assert len(list(pathlib.Path(__file__).parent.glob('m*.py'))) == {MODULES}\n"
        f"    assert importlib.import_module('tinypkg.m{MODULES - 1:04d}').VALUE == {MODULES - 1}\n"
        f"    assert (pathlib.Path(__file__).parent / 'blob.bin').stat().st_size == {BLOB}\n"
    ).encode()
    return write_wheel(folder, "tinypkg", files)


PROBE = "course_setup_probe"  # a package no index has: only a local wheel (or find-links folder) offers it


def probe_wheel(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    return write_wheel(folder, PROBE, {f"{PROBE}/__init__.py": b"VALUE = 1\n"})


def as_in_a_terminal():
    """Ctrl-C reaches setup as it would from a terminal: CI starts this suite from a background job, whose
    children inherit an ignored SIGINT (pip then simply finishes)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def setup_command(venv: Path, lock: Path, installer: str = "uv", check: str = "import tinypkg; tinypkg.verify()",
                  project: str = "") -> list[str]:
    return [sys.executable, str(SCRIPT), "--venv", str(venv), "--lock", str(lock), "--project", project,
            "--no-kernel", "--check", check, "--installer", installer]


def environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    """This process's environment and ``variables``, with a uv cache of the test's own."""
    return {**os.environ, "UV_CACHE_DIR": str(tmp_path / "uv-cache"), **variables}


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3.*")) / "site-packages"


def installed_by(venv: Path, name: str) -> str:
    return (site_packages(venv) / f"{name}-1.0.dist-info" / "INSTALLER").read_text().strip()


def cut_short(installer: str, sp: Path) -> bool:
    """Whether the install stopped part-way: pip wrote tinypkg's metadata, not yet its ``__init__`` (the package
    looks installed, is not); uv, which unpacks into its cache first, had not compiled every module yet."""
    if installer == "pip":
        return (sp / "tinypkg-1.0.dist-info").exists() and not (sp / "tinypkg" / "__init__.py").exists()
    return len(list((sp / "tinypkg" / "__pycache__").glob("*.pyc"))) <= MODULES


def under_way(installer: str, sp: Path) -> bool:
    """The moment to interrupt: pip is part-way (as above); uv has begun to put files into the environment."""
    return cut_short(installer, sp) if installer == "pip" else (sp / "tinypkg").exists()


@pytest.mark.integration
@pytest.mark.parametrize(("installer", "sig"), [("uv", signal.SIGINT), ("pip", signal.SIGKILL)],
                         ids=["uv-SIGINT", "pip-SIGKILL"])
def test_a_setup_interrupted_while_installing_is_redone_from_scratch(tmp_path, installer, sig):
    lock = tmp_path / "lock.txt"
    lock.write_text(f"tinypkg @ {build_wheel(tmp_path).as_uri()}\n")
    venv = tmp_path / "venv"
    command, env = setup_command(venv, lock, installer), environment(tmp_path)
    for _attempt in range(3):  # the signal must land mid-install; a miss (it finished first) is retried
        shutil.rmtree(venv, ignore_errors=True)
        first = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE, env=env,
                                 stderr=subprocess.STDOUT, text=True, preexec_fn=as_in_a_terminal)
        deadline = time.monotonic() + HANG_SECONDS
        while time.monotonic() < deadline and first.poll() is None:  # wait until the installer is half-way
            sp = next((venv / "lib").glob("python3.*/site-packages"), None)
            if sp and under_way(installer, sp):
                os.killpg(first.pid, sig)  # the whole group, as a terminal's Ctrl-C or a kill would
                break
            time.sleep(0.002)
        output = first.communicate(timeout=HANG_SECONDS)[0]
        if first.returncode != 0:
            break
    assert first.returncode != 0, "setup finished before it could be interrupted, three times:\n" + output
    assert not (venv / setup_env.MARK).exists()
    assert cut_short(installer, site_packages(venv)), "not interrupted mid-install"
    if sig == signal.SIGINT:
        assert "setup interrupted" in output and "will start it over" in output, output

    again = subprocess.run(command, capture_output=True, text=True, timeout=HANG_SECONDS, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "never completed" in again.stdout and "starting over" in again.stdout
    assert (venv / setup_env.MARK).is_file()
    assert installed_by(venv, "tinypkg") == installer
    check = subprocess.run([venv / "bin" / "python", "-c", "import tinypkg; tinypkg.verify()"],
                           capture_output=True, text=True, timeout=HANG_SECONDS)
    assert check.returncode == 0, check.stderr


@pytest.mark.integration
def test_pips_own_settings_reach_uv(tmp_path):
    """uv reads none of pip's configuration; setup hands it over: the probe is found only through pip's
    find-links (set here by PIP_FIND_LINKS), and uv, not the fallback to pip, installs it. What the commands of
    the setup write to their temporary folder (uv's locks, ipykernel's staging) stays in the environment and is
    gone when setup ends: nothing is left in the system's /tmp."""
    probe_wheel(tmp_path / "links")
    lock = tmp_path / "lock.txt"
    lock.write_text(f"{PROBE}==1.0\n")
    venv = tmp_path / "venv"
    system_tmp = tmp_path / "system-tmp"  # what /tmp is to a real setup: the commands it runs leave nothing there
    system_tmp.mkdir()
    leaves_a_file = f"import {PROBE}, tempfile; tempfile.mkstemp(prefix='left-')"
    result = subprocess.run(setup_command(venv, lock, check=leaves_a_file), capture_output=True, text=True,
                            timeout=HANG_SECONDS, env=environment(tmp_path, PIP_FIND_LINKS=str(tmp_path / "links"),
                                                                  TMPDIR=str(system_tmp)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "uv failed" not in result.stderr, result.stderr
    assert installed_by(venv, PROBE) == "uv"
    assert (venv / setup_env.MARK).is_file()
    assert list(system_tmp.iterdir()) == [] and not list(venv.rglob("left-*"))


@pytest.mark.integration
def test_when_uv_fails_pip_installs_into_a_new_environment(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text(f"{PROBE} @ {probe_wheel(tmp_path / 'links').as_uri()}\n")
    venv = tmp_path / "venv"
    broken_for_uv = environment(tmp_path, UV_CONSTRAINT=str(tmp_path / "no-such-constraints.txt"))
    result = subprocess.run(setup_command(venv, lock, check=f"import {PROBE}"), capture_output=True, text=True,
                            timeout=HANG_SECONDS, env=broken_for_uv)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning: uv failed" in result.stderr and "installing with pip instead" in result.stderr
    assert installed_by(venv, PROBE) == "pip"
    assert not (venv / "bin" / "uv").exists(), "pip installed into the environment uv had been put in"
    assert (venv / setup_env.MARK).is_file()


@pytest.mark.integration
def test_a_setup_that_cannot_install_ends_on_one_error_line_and_is_not_ready(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text(f"{PROBE} @ {(tmp_path / f'{PROBE}-1.0-py3-none-any.whl').as_uri()}\n")  # no such file
    venv = tmp_path / "venv"
    result = subprocess.run(setup_command(venv, lock, check=f"import {PROBE}"), capture_output=True, text=True,
                            timeout=HANG_SECONDS, env=environment(tmp_path))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: setup failed") and f"{venv} is not ready" in last, result.stderr
    assert not (venv / setup_env.MARK).exists()


@pytest.mark.integration
def test_on_a_platform_the_lock_does_not_cover_setup_warns_and_installs_the_ranges(tmp_path):
    """Elsewhere (here: a pretended RISC-V machine) the project is installed with its `course` extra."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "course-setup-demo"\nversion = "0.1"\n'
        f'[project.optional-dependencies]\ncourse = ["{PROBE}>=1"]\n'
        '[tool.setuptools]\npy-modules = ["demo"]\n')
    (project / "demo.py").write_text("ANSWER = 42\n")
    probe_wheel(tmp_path / "links")
    venv = tmp_path / "venv"
    elsewhere = [sys.executable, "-c", "import platform, runpy; platform.machine = lambda: 'riscv64'; "
                 f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')"]
    command = elsewhere + setup_command(venv, tmp_path / "lock.txt", check=f"import demo, {PROBE}",
                                        project=str(project))[2:]
    result = subprocess.run(command, capture_output=True, text=True, timeout=HANG_SECONDS,
                            env=environment(tmp_path, PIP_FIND_LINKS=str(tmp_path / "links")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"covers Linux x86_64 and macOS arm64, not {sys.platform} riscv64" in result.stderr
    assert "uv failed" not in result.stderr, result.stderr
    assert (venv / setup_env.MARK).is_file()


def test_pip_settings_are_read_as_pip_applies_them(tmp_path, monkeypatch):
    """[global], then [install], then PIP_* variables: each overrides the one before, as in pip."""
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = https://global.example/simple\nfind-links = /global\n"
                      "[install]\nfind-links = /install\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    monkeypatch.setenv("PIP_FIND_LINKS", "/env-a /env-b")
    settings = setup_env.pip_settings(Path(sys.executable))
    assert settings["index-url"] == "https://global.example/simple"
    assert settings["find-links"] == "/env-a /env-b"
    monkeypatch.delenv("PIP_FIND_LINKS")
    assert setup_env.pip_settings(Path(sys.executable))["find-links"] == "/install"


def test_uv_gets_pips_settings_in_its_own_terms():
    assert setup_env.uv_variables({}) == {}
    assert setup_env.uv_variables({
        "index-url": "https://mirror/simple", "extra-index-url": "file:///a  file:///b", "find-links": "/w1 /w2",
        "constraint": "/c.txt", "trusted-host": "mirror", "cert": "/ca.pem", "proxy": "http://proxy:3128",
        "default-timeout": "180", "no-index": "false", "disable-pip-version-check": "1",
    }) == {
        "UV_INDEX_URL": "https://mirror/simple",
        "UV_EXTRA_INDEX_URL": "file:///a file:///b",
        "UV_INDEX_STRATEGY": "unsafe-best-match",  # pip takes the best version from all indexes, as this does
        "UV_FIND_LINKS": "/w1,/w2",  # uv's list is comma-separated
        "UV_CONSTRAINT": "/c.txt",
        "UV_INSECURE_HOST": "mirror",
        "SSL_CERT_FILE": "/ca.pem",
        "HTTPS_PROXY": "http://proxy:3128", "HTTP_PROXY": "http://proxy:3128",
        "UV_HTTP_TIMEOUT": "180",
    }
    assert setup_env.uv_variables({"no-index": "yes"}) == {"UV_NO_INDEX": "1"}
    assert setup_env.uv_variables({"timeout": "7.5"}) == {"UV_HTTP_TIMEOUT": "8"}


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
    makefile = (ROOT / "Makefile").read_text()
    assert "--universal" in makefile and lock.splitlines()[1].strip() == "#    make lock"
    assert f"LOCK_TOOL := {setup_env.UV}\n" in makefile, "make setup installs with the uv that make lock uses"
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
