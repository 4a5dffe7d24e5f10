"""The Makefile as a user meets it: values never reach a shell, typos and inherited variables are caught,
`make clean` deletes only a build folder, and paths with spaces and non-ASCII letters work."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from testkit import HANG_SECONDS

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.prefix)  # the environment running these tests: `make` must not rebuild it


def make(*args, cwd=ROOT, env=None):
    """`make` with this test's environment as VENV, never re-running setup (``-o``: treat it as done)."""
    command = ["make", "--no-print-directory", "-o", f"{VENV}/.installed", f"VENV={VENV}", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=HANG_SECONDS,
                          env={**os.environ, **(env or {})})


def project_copy(base: Path) -> Path:
    """The tracked files of this project under ``base`` (which may contain spaces)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source, target = ROOT / name, base / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return base


@pytest.mark.integration
def test_a_value_is_never_run_as_a_shell_command(tmp_path):
    """`make run 'EPOCHS=1; touch FILE'` used to run `touch` and exit 0 although the runner had failed."""
    marker = tmp_path / "injected"
    result = make("run", f"EPOCHS=1; touch {marker}", f"BUILD={tmp_path / 'build'}")
    assert result.returncode != 0
    assert "EPOCHS='1; touch" in result.stderr and "expected a whole number" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize("variable", ["SEED", "BUILD", "MNIST_DIR"])
@pytest.mark.parametrize("form", ["$(shell touch {})", "${{shell touch {}}}"])
def test_a_make_function_in_a_value_is_refused_before_make_expands_it(tmp_path, variable, form):
    """`make run 'SEED=$(shell touch FILE)'` used to run the command while make read the value (and an empty
    result gave BUILD its default and started a real training)."""
    marker = tmp_path / "expanded"
    result = make("-n", "run", f"{variable}={form.format(marker)}")
    assert result.returncode != 0
    assert f"{variable}: make does not expand values here" in result.stderr
    assert not marker.exists()


def test_a_mistyped_variable_is_refused():
    result = make("-n", "run", "EPOCH=1")
    assert result.returncode != 0
    assert "unknown variable EPOCH (a typo?)" in result.stderr


def test_variables_inherited_from_the_shell_are_ignored_with_a_warning(tmp_path):
    result = make("-n", "run", env={"EPOCHS": "1", "BUILD": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "EPOCHS from your environment is ignored" in result.stderr
    assert "BUILD from your environment is ignored" in result.stderr


def test_clean_refuses_a_folder_that_is_not_a_build_folder(tmp_path):
    precious = tmp_path / "home"
    (precious / "thesis").mkdir(parents=True)
    result = make("clean", f"BUILD={precious}")
    assert result.returncode != 0 and "refusing to delete" in result.stderr
    assert (precious / "thesis").is_dir()


def test_clean_removes_a_marked_build_folder(tmp_path):
    build = tmp_path / "my build"
    (build / "executed").mkdir(parents=True)
    (build / ".course-build").touch()
    result = make("clean", f"BUILD={build}")
    assert result.returncode == 0, result.stderr
    assert not build.exists()


@pytest.mark.integration
def test_a_project_path_with_spaces_and_accents_runs_and_finds_the_local_mnist(tmp_path):
    shared_mnist = Path(os.environ["MNIST_DIR"])
    base = tmp_path / "my courses" / "contrastive é"
    project = project_copy(base / "main")
    (base / "shared" / "data").mkdir(parents=True)
    (base / "shared" / "data" / "mnist").symlink_to(shared_mnist)
    env = {k: v for k, v in os.environ.items() if k != "MNIST_DIR"}
    command = ["make", "--no-print-directory", "-o", f"{VENV}/.installed", f"VENV={VENV}", "run", "ONLY=03"]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=HANG_SECONDS, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    executed = project / "build" / "executed" / "03_mnist_split.ipynb"
    assert executed.is_file() and (project / "build" / ".course-build").is_file()
    assert "original IDX files in 'mnist/'" in executed.read_text(encoding="utf-8")
