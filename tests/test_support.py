"""The small support modules: quiet TensorFlow import, atomic artifacts, seeding."""

import json

import numpy as np
import pytest

from helpers._quiet import filter_noise
from helpers.artifacts import atomic_path, load_json, save_json
from helpers.repro import set_seed


def test_filter_noise_drops_only_known_info_lines():
    text = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1.1 1 port.cc:153] oneDNN custom operations are on. You may see ...\n"
        "I0000 00:00:1.2 1 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.\n"
        "E0000 something genuinely broken\n"
    )
    assert filter_noise(text) == "E0000 something genuinely broken\n"


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "history.json"
    save_json({"loss": [1.0]}, target)
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text('{"loss": [')  # half-written ...
            raise RuntimeError("interrupted")  # ... and then the run dies
    assert json.loads(target.read_text()) == {"loss": [1.0]}
    assert [p.name for p in tmp_path.iterdir()] == ["history.json"]


def test_load_json_names_the_producer_when_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="history.json not found.*Run notebook 08 first"):
        load_json(tmp_path / "history.json", produced_by="notebook 08")


def test_set_seed_returns_a_seeded_generator_and_refuses_bad_seeds():
    a = set_seed(5).integers(0, 1000, 5)
    b = set_seed(5).integers(0, 1000, 5)
    np.testing.assert_array_equal(a, b)
    first = (set_seed(9), np.random.rand())[1]
    second = (set_seed(9), np.random.rand())[1]
    assert first == second
    for bad in (-1, 1.5, "1", True):
        with pytest.raises(ValueError, match="seed"):
            set_seed(bad)


def test_load_model_names_the_producer_when_missing(tmp_path):
    from helpers.artifacts import load_model

    with pytest.raises(FileNotFoundError, match="siamese_article.keras not found.*Run notebook 08_training"):
        load_model(tmp_path / "siamese_article.keras", produced_by="notebook 08_training.ipynb")


def test_load_json_names_a_corrupt_file(tmp_path):
    (tmp_path / "history.json").write_text('{"loss": [0.2, ')  # cut short
    with pytest.raises(ValueError, match=r"^history.json in '.*' is not valid JSON .*Run notebook 08 again"):
        load_json(tmp_path / "history.json", produced_by="notebook 08")


def test_import_tensorflow_quietly_drops_the_start_up_chatter_and_keeps_everything_else(tmp_path):
    """A stand-in `tensorflow` writes TensorFlow's known info lines and one real problem straight to file
    descriptor 2 (as TensorFlow's C++ code does) while it is imported: only the real problem comes through."""
    import subprocess
    import sys
    import textwrap

    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text(textwrap.dedent("""
        import os
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n")
        os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on. You may see slightly different...\\n")
        os.write(2, b"E0000 real_problem.cc:1] libsomething.so: cannot open shared object file\\n")
        os.write(2, b"I0000 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.\\n")
    """))
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from helpers._quiet import import_tensorflow_quietly; "
            "import_tensorflow_quietly(); import tensorflow; "
            "print('imported', tensorflow.__file__.startswith(sys.argv[1]))")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "imported True", result.stderr
    assert result.stderr == "E0000 real_problem.cc:1] libsomething.so: cannot open shared object file\n"


def test_the_package_lists_and_describes_every_public_module():
    import pkgutil

    import helpers

    public = sorted(m.name for m in pkgutil.iter_modules(helpers.__path__) if not m.name.startswith("_"))
    assert sorted(helpers.__all__) == public
    for name in public:
        assert f":mod:`helpers.{name}`" in helpers.__doc__, name
