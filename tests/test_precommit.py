"""The pre-commit hooks pass on the repository as committed, and catch what they are there to catch."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # runs pre-commit on a copy of the repository

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return [f for f in out.stdout.splitlines() if (ROOT / f).is_file()]


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of the course")
    copy = tmp_path_factory.mktemp("repo")
    for name in tracked_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    for args in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=copy, check=True)
    return copy


def pre_commit(repo, tmp_path):
    # As a conda user has it: no .venv in the project, the environment active (scripts/tool.sh finds the tools).
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update({"PRE_COMMIT_HOME": str(tmp_path / "cache"), "SKIP": "", "CONDA_PREFIX": str(VENV_BIN.parent),
                "PATH": "/usr/bin:/bin"})
    return subprocess.run([str(VENV_BIN / "pre-commit"), "run", "--all-files"], cwd=repo, env=env,
                          capture_output=True, text=True)


def test_hooks_pass_on_the_committed_files(repo, tmp_path):
    result = pre_commit(repo, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ruff" in result.stdout and "nbstripout" in result.stdout


def test_hooks_strip_papermill_metadata_but_keep_outputs_and_flag_lint(repo, tmp_path):
    path = repo / "notebooks" / "01_imports.ipynb"
    original = path.read_text()
    nb = json.loads(original)
    nb["metadata"]["papermill"] = {"parameters": {"SEED": 1}}
    nb["cells"][3]["metadata"]["execution"] = {"iopub.status.busy": "2026-01-01"}
    nb["cells"][3]["source"] = ["import os\n"] + nb["cells"][3]["source"]  # an unused import
    path.write_text(json.dumps(nb, indent=1))
    try:
        result = pre_commit(repo, tmp_path)
        assert result.returncode != 0
        assert "F401" in result.stdout, result.stdout
        fixed = json.loads(path.read_text())
        assert "papermill" not in fixed["metadata"] and "execution" not in fixed["cells"][3]["metadata"]
        outputs = [c.get("outputs") for c in fixed["cells"] if c["cell_type"] == "code"]
        assert outputs == [c.get("outputs") for c in json.loads(original)["cells"] if c["cell_type"] == "code"]
    finally:
        path.write_text(original)


def test_the_hook_tool_finds_the_project_venv_without_an_active_environment(tmp_path):
    """A venv user runs `.venv/bin/pre-commit` without activating anything: the tools come from .venv."""
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "tool.sh", project / "scripts" / "tool.sh")
    (project / ".venv").symlink_to(VENV_BIN.parent)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    found = subprocess.run(["sh", "scripts/tool.sh", "ruff", "--version"], cwd=project, env=env,
                           capture_output=True, text=True)
    assert found.returncode == 0 and found.stdout.startswith("ruff "), found.stderr
    (project / ".venv").unlink()
    missing = subprocess.run(["sh", "scripts/tool.sh", "ruff", "--version"], cwd=project, env=env,
                             capture_output=True, text=True)
    assert missing.returncode == 127 and "run make setup" in missing.stderr
