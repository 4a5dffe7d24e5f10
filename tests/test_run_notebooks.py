"""scripts/run_notebooks.py, behind `make run` and `make refresh`: parameters checked before anything runs,
every failure one line, no half-written notebook, nothing left outside the build folder.

Most tests replace ``papermill.execute_notebook`` with a stand-in that does what papermill does to the files
(writes the executed copy, fails as it fails): the runner's handling is tested in milliseconds, without a
kernel. A few start real kernels (marked integration)."""

from __future__ import annotations

import ast
import errno
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
import run_notebooks
from testkit import HANG_SECONDS

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def run_script(*args, env=None):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "run_notebooks.py"), *args],
                          capture_output=True, text=True, timeout=HANG_SECONDS, env=env)


# -- parameters and selection, checked before anything runs ----------------------------------------------------

def test_parse_value():
    assert run_notebooks.parse_value("5") == 5
    assert run_notebooks.parse_value("0.5") == 0.5
    assert run_notebooks.parse_value("null") is None
    assert run_notebooks.parse_value("fashion") == "fashion"


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
    chosen = run_notebooks.select(NOTEBOOKS, ["08 09"])  # make run ONLY="08 09"
    assert [nb.name[:2] for nb in chosen] == ["08", "09"]
    assert run_notebooks.select(NOTEBOOKS, None) == NOTEBOOKS


def test_strip_metadata_removes_run_noise_and_keeps_tags():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.metadata["papermill"] = {"duration": 1.0}
    nb.cells[0].metadata.update({"papermill": {"status": "completed"}, "execution": {"a": 1}, "tags": ["parameters"]})
    run_notebooks.strip_metadata(nb)
    assert "papermill" not in nb.metadata and nb.metadata["kernelspec"]["name"] == "python3"
    assert dict(nb.cells[0].metadata) == {"tags": ["parameters"]}


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


def test_a_bad_parameter_is_refused_before_anything_heavy_is_imported():
    code = ("import sys, run_notebooks;"
            "rc = run_notebooks.main(['-p', 'SEED', str(2**32), '--output-dir', 'build/never']);"
            "heavy = ('tensorflow', 'keras', 'numpy', 'papermill', 'nbformat', 'helpers.data');"
            "heavy = sorted(m for m in heavy if m in sys.modules);"
            "print(rc, heavy)")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env,
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


# -- a stand-in for papermill: the runner's handling without a kernel ---------------------------------------------

def write_notebook(path: Path, parameters: str = "SEED = 1", *code: str) -> Path:
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
                                           *(nbformat.v4.new_code_cell(source) for source in code)])
    book.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, path)
    return path


@pytest.fixture
def series(tmp_path, monkeypatch):
    """Two notebooks in ``tmp_path/notebooks`` (``BUILD_DIR = "../build"``, as the course's), the data check
    skipped (tested above), and every temporary file of this process and its children sent to
    ``tmp_path/system-tmp`` (this test's /tmp): whatever the runner leaves outside its build folder shows there."""
    notebooks = tmp_path / "notebooks"
    for name in ("01_first.ipynb", "02_second.ipynb"):
        write_notebook(notebooks / name, 'SEED = 1\nEPOCHS = 1\nBUILD_DIR = "../build"', "print(SEED)")
    monkeypatch.setattr(run_notebooks, "check_data", lambda dataset: None)
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    return notebooks


def fake_papermill(monkeypatch, behave=None) -> list[dict]:
    """Replace papermill's ``execute_notebook`` by one that copies the notebook to the output path (as a run
    that succeeds writes it) after calling ``behave(input_path, output_path)`` (which may fail as papermill
    fails). Returns the calls: each one's arguments and what the notebook's kernel would have seen."""
    import papermill

    calls = []

    def execute_notebook(input_path, output_path, parameters=None, **kwargs):
        calls.append({"input": Path(input_path), "output": Path(output_path), "parameters": parameters, **kwargs,
                      "TMPDIR": os.environ.get("TMPDIR"), "progress": os.environ.get("COURSE_PROGRESS_FILE")})
        if behave:
            behave(Path(input_path), Path(output_path))
        shutil.copyfile(input_path, output_path)

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    return calls


def run(capfd, *args) -> tuple[int, str, str]:
    status = run_notebooks.main(list(args))
    out, err = capfd.readouterr()
    return status, out, err


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_run_keeps_its_temporary_files_in_the_build_folder_and_removes_them(series, monkeypatch, capfd):
    """A run used to leave its progress file, and the kernels their connection files (with their keys) and
    TensorFlow's generated code, in /tmp. The kernels now get a TMPDIR in the build folder, removed at the end."""
    build = series.parent / "build"
    calls = fake_papermill(monkeypatch, lambda nb, out: tempfile.mkstemp(suffix=".json"))  # as a kernel would
    monkeypatch.chdir(series.parent)  # a relative build folder (make's BUILD=build), while kernels run in notebooks/
    status, out, err = run(capfd, "--notebooks-dir", str(series), "--output-dir", "build/executed")
    assert status == 0, err
    assert [call["input"].name for call in calls] == ["01_first.ipynb", "02_second.ipynb"]
    for call in calls:
        for path in (Path(call["TMPDIR"]), Path(call["progress"])):
            assert path.is_absolute() and path.is_relative_to(build)
    assert listing(series.parent / "system-tmp") == []
    assert listing(build) == ["executed"]
    assert listing(build / "executed") == ["01_first.ipynb", "02_second.ipynb", "timings.json"]
    assert os.environ["TMPDIR"] == str(series.parent / "system-tmp")  # the runner's own environment is restored


def test_a_run_removes_the_temporary_folder_a_killed_run_left_and_keeps_a_running_one(tmp_path):
    """SIGKILL gives a run no chance to remove its folder in build/tmp/: the next run does, once that run's
    process is gone; a run still going (make run beside make refresh) keeps its own."""
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    killed, running = tmp_path / "tmp" / f"run-{finished.pid}-k1ll3d", tmp_path / "tmp" / f"run-{os.getpid()}-runn1n"
    for folder in (killed, running):
        folder.mkdir(parents=True)
        (folder / "tmp0o4zhfz8.json").write_text("{}")  # a kernel's connection file, with its key
    new = run_notebooks._new_scratch_folder(tmp_path)
    assert sorted(listing(tmp_path / "tmp")) == sorted([running.name, new.name])


def test_no_cell_time_limit_unless_one_is_asked_for(series, monkeypatch, capfd):
    """A slow CPU must not trip a fixed limit: none by default, `--timeout 90` sets one, `--timeout 0` is refused."""
    calls = fake_papermill(monkeypatch)
    out_dir = str(series.parent / "build" / "executed")
    one = ["--notebooks-dir", str(series), "--output-dir", out_dir, "--only", "01"]
    assert run(capfd, *one)[0] == 0 and run(capfd, *one, "--timeout", "90")[0] == 0
    assert [call["execution_timeout"] for call in calls] == [None, 90]
    with pytest.raises(SystemExit):
        run_notebooks.main(["--notebooks-dir", str(series), "--timeout", "0"])
    assert "expected a positive number of seconds" in capfd.readouterr().err


def failure_lines(err: str) -> list[str]:
    """The lines of the runner's report of a failure (not papermill's progress bar)."""
    return [line for line in err.splitlines() if line.strip() and "Executing:" not in line]


def test_a_full_disk_is_one_line_and_leaves_no_half_written_notebook(series, monkeypatch, capfd):
    """papermill writes the executed copy again after every cell; with the disk full the runner used to print a
    71-line traceback and leave the copy empty or cut short at its final path."""
    out_dir = series.parent / "build" / "executed"
    out_dir.mkdir(parents=True)
    (out_dir / "01_first.ipynb").write_text('{"cells": []}')  # the previous run's executed copy

    def disk_full(nb, output):
        with open(output, "w") as f:
            f.write('{"cells": [')  # what papermill got written before ...
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # ... the disk filled up

    fake_papermill(monkeypatch, disk_full)
    status, out, err = run(capfd, "--notebooks-dir", str(series), "--output-dir", str(out_dir))
    assert status == 1
    assert failure_lines(err) == ["FAILED: notebooks/01_first.ipynb: no space left on device writing "
                                  f"{out_dir / '01_first.ipynb'}; free space and rerun"], err
    assert listing(out_dir) == ["01_first.ipynb"]  # no temporary file, no partial copy that is not JSON
    assert (out_dir / "01_first.ipynb").read_text() == '{"cells": []}'  # the previous copy, whole
    assert listing(series.parent / "system-tmp") == [] and listing(series.parent / "build" / "tmp") == []


def test_the_build_folder_deleted_during_a_run_is_one_line(series, monkeypatch, capfd):
    """It used to end in a 118-line chained traceback."""
    build = series.parent / "build"

    def delete_build(nb, output):
        shutil.rmtree(build)
        raise FileNotFoundError(f"output folder {output.parent} doesn't exist.")  # papermill's next save

    fake_papermill(monkeypatch, delete_build)
    status, out, err = run(capfd, "--notebooks-dir", str(series), "--output-dir", str(build / "executed"))
    assert status == 1
    assert failure_lines(err) == [f"FAILED: notebooks/01_first.ipynb: the folder {build / 'executed'} was deleted "
                                  "during the run; rerun to rebuild it"], err


def test_a_failing_cell_is_one_line_and_its_notebook_is_kept_apart(series, monkeypatch, capfd):
    """The executed copy of a notebook that failed is FAILED-NN_name.ipynb (readable, to see the error), never
    at the path of a notebook that ran; the next successful run removes it."""
    import papermill

    out_dir = series.parent / "build" / "executed"

    def cell_error(nb, output):
        shutil.copyfile(nb, output)
        raise papermill.PapermillExecutionError(1, 1, "print(SEED)", "ValueError", "x: expected 3, got 4", [])

    fake_papermill(monkeypatch, cell_error)
    status, out, err = run(capfd, "--notebooks-dir", str(series), "--output-dir", str(out_dir))
    assert status == 1
    assert failure_lines(err) == ["FAILED: notebooks/01_first.ipynb, cell 1 (execution count 1): ValueError: x: "
                                  f"expected 3, got 4; see {out_dir / 'FAILED-01_first.ipynb'}"], err
    assert listing(out_dir) == ["FAILED-01_first.ipynb"]
    nbformat.read(out_dir / "FAILED-01_first.ipynb", as_version=4)
    fake_papermill(monkeypatch)
    assert run(capfd, "--notebooks-dir", str(series), "--output-dir", str(out_dir), "--only", "01")[0] == 0
    assert listing(out_dir) == ["01_first.ipynb", "timings.json"]


def test_refresh_ships_what_the_notebook_saved_in_the_build_folder(series, monkeypatch, capfd):
    """`make refresh` copies to notebooks/trained/ the files a notebook that ran to the end created or changed in
    build/trained/ (and nothing a notebook that failed saved), with their sums; the kernels get no staging folder."""
    import papermill

    trained = series.parent / "build" / "trained"
    trained.mkdir(parents=True)
    (trained / "old.json").write_text("{}")  # an earlier run's: not this refresh's
    (trained / "changed.json").write_text('{"v": 1}')

    def train(nb, output):
        if nb.name.startswith("01"):
            (trained / "new.weights.h5").write_bytes(b"weights")
            (trained / "changed.json").write_text('{"v": 22}')
        else:
            (trained / "failed.json").write_text("{}")
            raise papermill.PapermillExecutionError(1, 1, "print(SEED)", "RuntimeError", "boom", [])

    fake_papermill(monkeypatch, train)
    before = (series / "02_second.ipynb").read_bytes()
    status, out, err = run(capfd, "--in-place", "--notebooks-dir", str(series))
    assert status == 1
    assert "shipped changed.json, new.weights.h5 to notebooks/trained/" in out
    assert listing(series / "trained") == ["SHA256SUMS", "changed.json", "new.weights.h5"]
    assert (series / "trained" / "changed.json").read_text() == '{"v": 22}'
    assert (series / "02_second.ipynb").read_bytes() == before
    assert failure_lines(err) == ["FAILED: notebooks/02_second.ipynb, cell 1 (execution count 1): RuntimeError: "
                                  "boom; kept nothing (the committed notebook is unchanged)"]
    assert listing(series.parent / "build") == ["trained"]  # no temporary folder left
    assert listing(series) == ["01_first.ipynb", "02_second.ipynb", "trained"]


def test_make_passes_the_names_given_on_its_command_line_and_the_environment_their_values(series, monkeypatch, capfd):
    """`make run EPOCHS=3` runs `run_notebooks.py --from-make --given EPOCHS`: a name is taken from the
    environment only when given, and a name make does not forward is refused."""
    calls = fake_papermill(monkeypatch)
    build = series.parent / "my build"
    for name, value in {"COURSE_BUILD": str(build), "EPOCHS": "3", "SEED": "7", "ONLY": "02"}.items():
        monkeypatch.setenv(name, value)
    status, out, err = run(capfd, "--notebooks-dir", str(series), "--from-make", "--given", "EPOCHS", "ONLY")
    assert status == 0, err
    assert [(call["input"].name, call["parameters"]) for call in calls] == [
        ("02_second.ipynb", {"EPOCHS": 3, "BUILD_DIR": str(build.resolve())})]  # SEED: in the environment only
    assert (build / "executed" / "02_second.ipynb").is_file() and (build / ".course-build").is_file()
    status, out, err = run(capfd, "--notebooks-dir", str(series), "--from-make", "--given", "EPOCH")
    assert status == 2 and "--given: make forwards no variable EPOCH" in err


# -- real kernels ----------------------------------------------------------------------------------------------

@pytest.mark.integration  # a real kernel, killed
def test_a_kernel_killed_by_the_system_is_one_line_naming_the_cell(series, capfd):
    """A kernel killed as the out-of-memory killer kills (SIGKILL) used to end in DeadKernelError's traceback,
    without saying which notebook or cell."""
    write_notebook(series / "01_first.ipynb", "SEED = 1\nTRAIN = True", "print(SEED)",
                   "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    out_dir = series.parent / "build" / "executed"
    status, out, err = run(capfd, "--notebooks-dir", str(series), "--output-dir", str(out_dir))
    assert status == 1
    assert failure_lines(err) == [
        "FAILED: notebooks/01_first.ipynb, cell 2: the kernel died (killed by the system — out of memory?); close "
        "other programs and rerun (training resumes from its last finished epoch); "
        f"see {out_dir / 'FAILED-01_first.ipynb'}"]
    assert listing(out_dir) == ["FAILED-01_first.ipynb"]
    nbformat.read(out_dir / "FAILED-01_first.ipynb", as_version=4)
    assert listing(series.parent / "system-tmp") == [] and listing(series.parent / "build" / "tmp") == []


@pytest.mark.integration  # a runner process that loads TensorFlow and MNIST
def test_runner_refuses_an_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_script("--output-dir", str(blocker / "executed"))
    assert result.returncode == 2 and "cannot write to" in result.stderr
    assert blocker.read_text() == "not a folder"


@pytest.mark.integration  # a runner process that loads TensorFlow and MNIST
def test_runner_checks_the_data_before_touching_the_build_folder(tmp_path):
    data = tmp_path / "mnist"
    data.mkdir()
    (data / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00 truncated")
    out = tmp_path / "build" / "executed"
    result = run_script("--output-dir", str(out), env={**os.environ, "MNIST_DIR": str(data)})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "error: MNIST: train-images-idx3-ubyte.gz: cannot decompress" in lines[0], result.stderr
    assert "Replace it with a fresh copy" in lines[0]
    assert not (tmp_path / "build").exists()


@pytest.mark.integration  # a runner process that loads TensorFlow and MNIST, and a kernel
def test_runner_accepts_a_parameter_that_only_unselected_notebooks_declare_and_leaves_nothing_in_tmp(tmp_path):
    """Also: a real run leaves nothing in the temporary folder of the system (here TMPDIR=system-tmp): not its
    progress file, nor the kernel's connection file or TensorFlow's generated code."""
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    out = tmp_path / "build" / "executed"
    result = run_script("--only", "07", "-p", "EPOCHS", "1", "--output-dir", str(out),
                        env={**os.environ, "TMPDIR": str(system_tmp)})
    assert result.returncode == 0, result.stderr
    assert listing(out) == ["07_model_summary.ipynb", "timings.json"]
    assert listing(system_tmp) == [] and listing(tmp_path / "build") == ["executed"]
