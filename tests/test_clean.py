"""scripts/clean.py, behind `make clean`: a folder it cannot delete is one line that says why and what to do.
(What it refuses to delete, and that it deletes a marked build folder, is tested through make in test_make.py.)"""

from __future__ import annotations

import errno
import os
import shutil

import clean
import pytest


@pytest.mark.parametrize("code, advice", [(errno.EACCES, "fix its permissions"),
                                          (errno.EROFS, "read-only file system")])
def test_a_build_folder_that_cannot_be_deleted_is_one_line_not_a_traceback(tmp_path, monkeypatch, capsys, code,
                                                                            advice):
    """A read-only BUILD (permissions, or a read-only mount) used to end `make clean` in a raw traceback.
    Simulated (the tests may run as root, which ignores permissions): deleting stops at one file."""
    build = tmp_path / "build"
    (build / "executed").mkdir(parents=True)
    (build / ".course-build").touch()
    stuck = build / "executed" / "08_training.ipynb"
    stuck.write_text("{}")

    def rmtree(path, *args, **kwargs):
        raise OSError(code, os.strerror(code), str(stuck))

    monkeypatch.setattr(shutil, "rmtree", rmtree)
    assert clean.main([str(build)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1, err
    assert err.startswith(f"error: cannot delete {stuck}: {os.strerror(code)}") and advice in err
    assert "make clean" in err  # what to run once it is fixed
