"""A run interrupted while it writes an artifact (Ctrl-C, SIGTERM, even SIGKILL) never leaves a
half-written file where the artifact belongs, and the next write recovers cleanly."""

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers.artifacts import save_json

ROOT = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent("""
    import sys, time
    from helpers.artifacts import atomic_path
    with atomic_path(sys.argv[1]) as tmp:
        with open(tmp, "w") as f:
            f.write('{"loss": [0.1, ')   # half of the new file ...
            f.flush()
            print("WRITING", flush=True)
            time.sleep(60)                # ... when the signal arrives
            f.write('0.05]}')
""")


def interrupt_while_writing(target: Path, signum: int) -> subprocess.CompletedProcess:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "WRITING", proc.stderr.read()
        proc.send_signal(signum)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_a_write_keeps_the_old_artifact_and_leaves_no_temporary(tmp_path, signum):
    target = tmp_path / "history.json"
    save_json({"loss": [0.3]}, target)
    proc = interrupt_while_writing(target, signum)
    assert proc.returncode != 0
    assert json.loads(target.read_text()) == {"loss": [0.3]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json"]


def test_sigkill_leftover_is_hidden_and_removed_by_the_next_write(tmp_path):
    target = tmp_path / "history.json"
    save_json({"loss": [0.3]}, target)
    interrupt_while_writing(target, signal.SIGKILL)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "history.json"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".history.")  # hidden, not the artifact
    assert json.loads(target.read_text()) == {"loss": [0.3]}
    save_json({"loss": [0.2]}, target)  # the next run writes the artifact again ...
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json"]  # ... and the leftover is gone
    assert json.loads(target.read_text()) == {"loss": [0.2]}
