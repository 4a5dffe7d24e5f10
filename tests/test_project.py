"""Project wiring: one dependency list, the README's commands, CI calling the README's test command."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from testkit import HANG_SECONDS

ROOT = Path(__file__).resolve().parent.parent

import run_notebooks  # noqa: E402


def test_environment_yml_installs_the_lock_then_the_project_not_a_second_list():
    env = (ROOT / "environment.yml").read_text()
    python = re.search(r"^\s*- python=(3\.\d+)\s*$", env, re.M).group(1)
    import setup_env

    low, high = setup_env.supported_python()
    assert low[:2] <= tuple(map(int, python.split("."))) < high
    pip_lines = env.split("- pip:")[1].strip().splitlines()
    assert [line.strip() for line in pip_lines if line.strip().startswith("-")] == [
        "- -r requirements/lock.txt", "- -e .[course]"]


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Two commands.*?```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make all", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, re.M)
    makefile = (ROOT / "Makefile").read_text()
    for target in ("help", "setup", "run", "test", "lab", "clean", "all", "refresh"):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_parse_value():
    assert run_notebooks.parse_value("5") == 5
    assert run_notebooks.parse_value("0.5") == 0.5
    assert run_notebooks.parse_value("null") is None
    assert run_notebooks.parse_value("fashion") == "fashion"


def run_script(*args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "run_notebooks.py"), *args],
                          capture_output=True, text=True, timeout=HANG_SECONDS)


def test_runner_refuses_an_unknown_parameter_before_running_anything(tmp_path):
    result = run_script("-p", "EPOCH", "1", "--output-dir", str(tmp_path))
    assert result.returncode == 2
    assert "no notebook has a parameter named ['EPOCH']" in result.stderr
    assert not list(tmp_path.iterdir())


def test_runner_refuses_parameters_for_in_place_refresh():
    result = run_script("--in-place", "-p", "EPOCHS", "1")
    assert result.returncode == 2 and "--in-place" in result.stderr


@pytest.mark.parametrize("only", [["99"], ["08", "zz"], ["1"], [""]])
def test_runner_refuses_a_subset_that_is_not_notebook_numbers(only):
    """`--only 08 zz` used to ignore zz, `--only 1` ran 10-13 and `--only ''` ran everything."""
    result = run_script("--only", *only)
    assert result.returncode != 0 and "--only expects notebook numbers from 01, 02" in result.stderr


def test_runner_selects_by_number_also_from_one_quoted_argument():
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    chosen = run_notebooks.select(notebooks, ["08 09"])  # make run ONLY="08 09"
    assert [nb.name[:2] for nb in chosen] == ["08", "09"]
    assert run_notebooks.select(notebooks, None) == notebooks


def test_strip_metadata_removes_run_noise_and_keeps_tags():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.metadata["papermill"] = {"duration": 1.0}
    nb.cells[0].metadata.update({"papermill": {"status": "completed"}, "execution": {"a": 1}, "tags": ["parameters"]})
    run_notebooks.strip_metadata(nb)
    assert "papermill" not in nb.metadata and nb.metadata["kernelspec"]["name"] == "python3"
    assert dict(nb.cells[0].metadata) == {"tags": ["parameters"]}


NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_parameter_has_one_rule_and_its_default_passes_it(path):
    """The runner reads the parameters cell without papermill; it must find what papermill finds, and the
    one rule module must cover every parameter (13 of them had no check at all before)."""
    import papermill

    from helpers import parameters

    inspected = papermill.inspect_notebook(str(path))
    assert run_notebooks.declared_parameters(path) == set(inspected)
    defaults = {name: ast.literal_eval(p["default"]) for name, p in inspected.items()}
    assert parameters.problems(defaults) == []


def test_the_make_parameters_are_the_ones_the_makefile_forwards():
    from helpers import parameters

    makefile = (ROOT / "Makefile").read_text()
    forwarded = re.search(r"^PARAMETERS := (.*)$", makefile, re.M).group(1).split()
    assert tuple(name for name in forwarded if name != "ONLY") == parameters.MAKE_PARAMETERS


def test_the_rules_know_the_data_sets_the_loader_knows():
    from helpers import parameters
    from helpers.data import DATASETS

    assert tuple(DATASETS) == parameters.DATASET_NAMES


def test_a_bad_parameter_is_refused_before_anything_heavy_is_imported():
    code = ("import sys; sys.path.insert(0, 'scripts'); import run_notebooks;"
            "rc = run_notebooks.main(['-p', 'SEED', str(2**32), '--output-dir', 'build/never']);"
            "heavy = ('tensorflow', 'keras', 'papermill', 'nbformat', 'helpers');"
            "heavy = sorted(m for m in heavy if m in sys.modules);"
            "print(rc, heavy)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=HANG_SECONDS)
    assert result.stdout.strip() == "2 []", result.stderr
    assert "SEED=4294967296: expected a whole number from 0 to 4294967295" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["-p", "EPOCHS", "0"], "EPOCHS=0: expected a whole number >= 1"),
    (["-p", "EPOCHS", "-3"], "EPOCHS=-3: expected a whole number >= 1"),
    (["-p", "BATCH_SIZE", "0"], "BATCH_SIZE=0: expected a whole number >= 1"),
    (["-p", "EPOCHS", "2.5"], "EPOCHS=2.5"),
    (["-p", "SEED", "abc"], "SEED='abc'"),
    (["-p", "SEED", "-1"], "SEED=-1: expected a whole number from 0 to 4294967295"),
    (["-p", "TSNE_POINTS", "10"], "TSNE_POINTS=10: expected a whole number >= 100 and <= 10000 (e.g. TSNE_POINTS = "
                                  "2000 in the parameters cell, or scripts/run_notebooks.py -p TSNE_POINTS 2000)"),
    (["-p", "TEMPERATURE", "0"], "TEMPERATURE=0: expected a positive finite number"),
    (["-p", "VALIDATION_FRACTION", "1.5"], "VALIDATION_FRACTION=1.5: expected a number between 0 and 1"),
    (["-p", "SSL_BATCH_SIZE", "1"], "SSL_BATCH_SIZE=1: expected a whole number >= 2"),
    (["-p", "TRAIN", "2"], "TRAIN=2: expected True or False (e.g. make run TRAIN=0, or TRAIN = False in the "
                           "parameters cell)"),
    (["-p", "TRAIN", "maybe"], "TRAIN='maybe': expected True or False"),
    (["-p", "TRAIN", "0", "-p", "EPOCHS", "2"], "TRAIN=0 loads the weights `make refresh` trained with the notebooks' "
                                                  "own defaults on MNIST; it cannot be combined with EPOCHS"),
    (["-p", "DATASET", "cifar10"],
     "DATASET='cifar10': expected one of mnist, fashion_mnist (e.g. make run DATASET=fashion_mnist, "
     "or DATASET = \"fashion_mnist\" in the parameters cell)"),
])
def test_runner_refuses_impossible_parameters_before_running_anything(tmp_path, args, message):
    result = run_script(*args, "--output-dir", str(tmp_path / "out"))
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_runner_has_no_cell_time_limit_unless_one_is_asked_for(tmp_path):
    """A slow CPU must not trip a fixed limit: none by default, and `--timeout 0` is refused, not 'no limit'."""
    import run_notebooks

    assert run_notebooks._positive_seconds("90") == 90
    result = run_script("--timeout", "0", "--output-dir", str(tmp_path / "out"))
    assert result.returncode == 2 and "expected a positive number of seconds" in result.stderr
    source = (ROOT / "scripts" / "run_notebooks.py").read_text()
    assert 'parser.add_argument("--timeout", type=_positive_seconds, default=None' in source
    assert "--nbval-cell-timeout" not in (ROOT / "Makefile").read_text()


@pytest.mark.integration  # a runner process that loads TensorFlow and MNIST
def test_runner_refuses_an_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_script("--output-dir", str(blocker / "executed"))
    assert result.returncode == 2 and "cannot write to" in result.stderr
    assert blocker.read_text() == "not a folder"


@pytest.mark.integration  # a runner process that loads TensorFlow and MNIST
def test_runner_checks_the_data_before_touching_the_build_folder(tmp_path):
    import os

    data = tmp_path / "mnist"
    data.mkdir()
    (data / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00 truncated")
    out = tmp_path / "build" / "executed"
    env = {**os.environ, "MNIST_DIR": str(data)}
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "run_notebooks.py"), "--output-dir", str(out)],
                            capture_output=True, text=True, timeout=HANG_SECONDS, env=env)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "error: MNIST: train-images-idx3-ubyte.gz: cannot decompress" in lines[0], result.stderr
    assert "Replace it with a fresh copy" in lines[0]
    assert not (tmp_path / "build").exists()


@pytest.mark.integration  # a runner process that loads TensorFlow and MNIST
def test_runner_accepts_a_parameter_that_only_unselected_notebooks_declare(tmp_path):
    result = run_script("--only", "07", "-p", "EPOCHS", "1", "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "07_model_summary.ipynb").is_file()
