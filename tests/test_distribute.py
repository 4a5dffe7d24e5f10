"""Notebook 15's distribution helpers: one device, two replicas and two worker processes train alike.

Splitting the CPU into logical devices must happen before TensorFlow's first operation, which this test
process is long past; the two-replica checks therefore run in a fresh Python process. Every process is
bounded in time and checked to be gone afterwards.
"""

import ipaddress
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from helpers.distribute import (
    StepLosses,
    across_replicas,
    held_out_images,
    private_network,
    run_workers,
    tf_config,
    train_twin,
    training_images,
)

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-3  # notebook 15's: every step's loss within this of the one-device run's
SMALL = dict(global_batch=128, steps=6, seed=42, width=8)  # a small twin on 1,024 real MNIST images
LIMIT = 600  # seconds: far above the ~20 s these take natively, so a slow CPU never trips it, a hang still ends


def processes(parent: int | None = None) -> dict[int, str]:
    """``{pid: command line}`` of the running processes (of ``parent``'s children only, if given; a zombie is
    not running)."""
    ps = subprocess.run(["ps", "-ww", "-eo", "pid=,ppid=,stat=,args="], capture_output=True, text=True,
                        check=True).stdout
    found = {}
    for line in ps.splitlines():
        pid, ppid, stat, args = (line.split(None, 3) + [""])[:4]
        if not stat.startswith("Z") and (parent is None or int(ppid) == parent):
            found[int(pid)] = args
    return found


def worker_processes(parent: int | None = None) -> dict[int, str]:
    """``{pid: command line}`` of the worker processes `run_workers` starts (of ``parent``'s only, if given)."""
    return {pid: args for pid, args in processes(parent).items() if "helpers.distribute" in args}


@pytest.fixture
def own_network():
    """Skips where the system gives the workers no network of their own: `run_workers` refuses to run there
    unless told to open ports, which a test must not do. With COURSE_NO_SKIPS=1 (CI) that is a failure."""
    if not private_network():
        message = "no network namespace for the workers on this system (Linux user namespaces are off)"
        if os.environ.get("COURSE_NO_SKIPS") == "1":
            pytest.fail(message + " — and COURSE_NO_SKIPS=1 says this run must not skip it")
        pytest.skip(message)


def alive(pids) -> list[int]:
    """Those of ``pids`` that are still running (not gone, not a zombie waiting for its parent)."""
    def running(pid):
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    return [pid for pid in pids if running(pid)]


def listening(pid: int) -> dict[str, list[str]]:
    """The TCP ports process ``pid`` listens on, read as ``ss`` reads them: ``"inside"``, the addresses in its
    own network namespace (``/proc/PID/net``); ``"here"``, those of its sockets that this test's network — the
    machine's — lists as listening, loopback excluded: what another computer could connect to."""

    def listeners(table: str) -> dict[int, str]:  # {socket inode: "address:port"} of the LISTEN sockets
        found = {}
        for name in ("tcp", "tcp6"):
            for line in Path(table, name).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":  # TCP_LISTEN
                    address, port = fields[1].split(":")
                    words = bytes.fromhex(address)  # 32-bit words in the host's (little-endian) order
                    raw = b"".join(words[i:i + 4][::-1] for i in range(0, len(words), 4))
                    found[int(fields[9])] = f"{ipaddress.ip_address(raw)}:{int(port, 16)}"
        return found

    def loopback(address: str) -> bool:
        ip = ipaddress.ip_address(address.rsplit(":", 1)[0])
        return ip.is_loopback or (ip.version == 6 and ip.ipv4_mapped is not None and ip.ipv4_mapped.is_loopback)

    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:["):-1]))
    inside = listeners(f"/proc/{pid}/net")
    here = listeners("/proc/self/net")
    return {"inside": sorted(a for i, a in inside.items() if i in inodes),
            "here": sorted(a for i, a in here.items() if i in inodes and not loopback(a))}


def test_one_replica_leaves_the_loss_as_it_is():
    from helpers.losses import batch_contrastive_loss, triplet_semihard_loss

    rng = np.random.default_rng(0)
    labels, embeddings = rng.integers(0, 4, 16), rng.normal(size=(16, 8)).astype(np.float32)
    for plain in (batch_contrastive_loss, triplet_semihard_loss):
        loss = across_replicas(plain)
        assert float(loss(labels, embeddings)) == float(plain(labels, embeddings))
        assert float(loss.local(labels, embeddings)) == float(plain(labels, embeddings))
    assert float(across_replicas(batch_contrastive_loss)(labels, embeddings, margin=2.0)) == float(
        batch_contrastive_loss(labels, embeddings, margin=2.0))  # arguments pass through


def test_across_replicas_keeps_the_name_keras_saves_the_loss_under():
    import keras

    from helpers.losses import batch_contrastive_loss

    assert keras.saving.get_registered_name(batch_contrastive_loss) == "helpers>batch_contrastive_loss"
    assert across_replicas(batch_contrastive_loss).__name__ == "batch_contrastive_loss"
    assert across_replicas(batch_contrastive_loss).__doc__ == batch_contrastive_loss.__doc__


def test_improved_twin_synchronises_batch_norm_only_when_asked_or_under_several_replicas():
    import keras

    from helpers.models import improved_twin

    def synchronised(twin):
        return [layer.synchronized for layer in twin.layers if isinstance(layer, keras.layers.BatchNormalization)]

    assert synchronised(improved_twin(width=4)) == [False] * 5  # no strategy: notebook 12's layers exactly
    assert synchronised(improved_twin(width=4, synchronized=True)) == [True] * 5


def test_step_losses_recovers_each_step_from_keras_running_mean():
    record = StepLosses()
    record.on_train_begin()
    record.on_epoch_begin(0)
    for step, mean in enumerate([4.0, 3.0, 3.0]):  # the steps' own losses: 4, 2, 3
        record.on_train_batch_end(step, {"loss": mean})
    np.testing.assert_allclose(record.losses, [4.0, 2.0, 3.0])
    assert len(record.times) == 3 and record.times == sorted(record.times)


def test_train_twin_refuses_a_batch_that_does_not_split_evenly():
    import tensorflow as tf

    images, labels = np.zeros((100, 28, 28, 1), np.float32), np.zeros(100)
    with pytest.raises(ValueError, match="a divisor of the 100 images"):
        train_twin(tf.distribute.get_strategy(), images, labels, global_batch=64, steps=2, seed=0)


def test_training_images_are_the_first_of_the_training_split(mnist):
    from helpers.data import preprocess, split_validation

    images, labels = training_images("mnist", 64)
    (x, y), _ = split_validation(*mnist[0])
    np.testing.assert_array_equal(images, preprocess(x[:64]))
    np.testing.assert_array_equal(labels, y[:64])


TWO_REPLICAS = """
import json, sys
import helpers
from helpers.distribute import (gather, held_out_images, logical_cpus, mirrored_strategy, train_twin,
                                training_images)
devices = logical_cpus(2)
import keras, numpy as np, tensorflow as tf
from helpers.models import improved_twin
strategy = mirrored_strategy(devices)
assert mirrored_strategy(list(devices)) is strategy  # made once: a second one would break its collectives

# improved_twin built under two replicas: synchronised batch norm, unless told otherwise
def synchronised(twin):
    return [layer.synchronized for layer in twin.layers if isinstance(layer, keras.layers.BatchNormalization)]
with strategy.scope():
    synchronised_by_default, asked_not_to = synchronised(improved_twin(width=4)), synchronised(
        improved_twin(width=4, synchronized=False))

# gather: every replica's share, stacked in replica order, on every replica
shares = tf.constant(np.arange(12, dtype=np.float32).reshape(6, 2))
def stacked(values):
    return gather(tf.distribute.get_replica_context(), values)
data = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices(shares).batch(6))
out = strategy.run(stacked, args=(next(iter(data)),))
gathered = [v.numpy().tolist() for v in strategy.experimental_local_results(out)]

images, labels = training_images("mnist", 1024)
small = {**json.loads(sys.argv[1]), "held_out": held_out_images("mnist", 256)}
runs = {"one": train_twin(tf.distribute.get_strategy(), images, labels, **small),
        "two": train_twin(strategy, images, labels, **small),
        "naive": train_twin(strategy, images, labels, gather=False, synchronized=False, **small)}
print(json.dumps({"synchronised": [synchronised_by_default, asked_not_to], "gathered": gathered,
                  "losses": {k: r["losses"] for k, r in runs.items()},
                  "held_out": {k: r["held_out_loss"] for k, r in runs.items()}}))
"""


@pytest.mark.integration
def test_two_replicas_train_like_one_device_and_the_naive_split_does_not():
    result = subprocess.run([sys.executable, "-c", TWO_REPLICAS, json.dumps(SMALL)], capture_output=True,
                            text=True, timeout=LIMIT, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["synchronised"] == [[True] * 5, [False] * 5]
    expected = np.arange(12).reshape(6, 2).tolist()
    assert out["gathered"] == [expected, expected]  # both replicas hold the whole batch, in order
    one, two, naive = (np.array(out["losses"][k]) for k in ("one", "two", "naive"))
    assert len(one) == SMALL["steps"] and one[-1] < one[0]  # it trains
    assert np.abs(two - one).max() <= TOLERANCE
    assert abs(two[0] - one[0]) <= 1e-5  # step 1: the same weights and the same global batch's loss
    assert abs(naive[0] - one[0]) > TOLERANCE  # the mean of two half-batch losses is another number
    held = out["held_out"]  # the trained twins, measured alike (at this size the naive split's gap is tiny too)
    assert abs(held["two"] - held["one"]) <= TOLERANCE


@pytest.mark.integration
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.usefixtures("own_network")
def test_two_worker_processes_agree_with_one_device_and_listen_on_nothing_another_computer_reaches(tmp_path):
    import tensorflow as tf

    assert not worker_processes()
    seen, done = [], threading.Event()

    def watch():  # what the workers listen on while they run, as `ss -ltn` would show it
        while not done.wait(0.2):
            for pid in worker_processes(os.getpid()):
                try:
                    seen.append(listening(pid))
                except OSError:  # it just ended
                    pass

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        workers = run_workers(2, folder=tmp_path, timeout=LIMIT, dataset="mnist", n_images=1024, n_held_out=256,
                              **SMALL)
    finally:
        done.set()
        watcher.join()
    assert not worker_processes()
    assert any(s["inside"] for s in seen)  # each worker's server listens ...
    assert [s["here"] for s in seen if s["here"]] == []  # ... where no other computer can connect
    assert list(tmp_path.iterdir()) == []  # their logs and results are gone with them
    assert [w["worker"] for w in workers] == [0, 1] and all(w["replicas"] == 2 for w in workers)
    assert workers[0]["losses"] == workers[1]["losses"]  # both compute the loss of the global batch
    images, labels = training_images("mnist", 1024)
    one = train_twin(tf.distribute.get_strategy(), images, labels, held_out=held_out_images("mnist", 256), **SMALL)
    assert np.abs(np.array(workers[0]["losses"]) - one["losses"]).max() <= TOLERANCE
    assert abs(workers[0]["held_out_loss"] - one["held_out_loss"]) <= TOLERANCE


@pytest.mark.integration
@pytest.mark.usefixtures("own_network")
def test_run_workers_stops_its_processes_when_time_is_up_or_a_worker_fails(tmp_path):
    with pytest.raises(TimeoutError, match="no result within 1 s"):
        run_workers(2, folder=tmp_path, timeout=1, dataset="mnist", n_images=1024, **SMALL)
    assert not worker_processes()
    with pytest.raises(RuntimeError, match="(?s)worker 0 failed.*global_batch: expected a divisor"):
        run_workers(1, folder=tmp_path, timeout=LIMIT, dataset="mnist", n_images=1000, **SMALL)  # one is enough
    assert not worker_processes()


@pytest.mark.integration
@pytest.mark.usefixtures("own_network")
def test_a_killed_worker_is_named_with_its_signal(tmp_path):
    done = threading.Event()

    def kill_worker_1():
        while not done.wait(0.05):
            for pid, args in worker_processes(os.getpid()).items():
                if args.endswith("worker1.json"):
                    os.kill(pid, signal.SIGKILL)
                    return

    killer = threading.Thread(target=kill_worker_1)
    killer.start()
    try:
        with pytest.raises(RuntimeError) as failure:
            run_workers(2, folder=tmp_path, timeout=LIMIT, dataset="mnist", n_images=1024, **SMALL)
    finally:
        done.set()
        killer.join()
    assert str(failure.value).splitlines()[0] == "multi-worker run: worker 1 was killed by SIGKILL"
    assert not worker_processes()


def test_run_workers_refuses_ports_open_to_every_network_unless_told_to(tmp_path, monkeypatch):
    import contextlib

    import helpers.distribute

    @contextlib.contextmanager
    def no_network_of_their_own():
        yield None, "unshare: Operation not permitted"

    monkeypatch.setattr(helpers.distribute, "_own_network", no_network_of_their_own)
    with pytest.raises(RuntimeError, match="(?s)no network of their own.*every network interface of this computer, "
                                           "without authentication.*open_ports=True"):
        run_workers(2, folder=tmp_path, timeout=LIMIT, dataset="mnist", n_images=1024, **SMALL)
    assert not worker_processes()
    with pytest.raises(TypeError, match="open_ports: expected True or False"):
        run_workers(2, folder=tmp_path, open_ports="yes", dataset="mnist", n_images=1024, **SMALL)


CALLER = """
import json, sys
from helpers.distribute import run_workers
run_workers(2, folder=sys.argv[1], timeout=600, dataset="mnist", n_images=1024, **json.loads(sys.argv[2]))
"""


@pytest.mark.integration
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.usefixtures("own_network")
def test_workers_end_with_a_killed_caller_and_leave_nothing_in_the_temporary_folder(tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    build = tmp_path / "build"
    caller = subprocess.Popen([sys.executable, "-c", CALLER, str(build / "workers"), json.dumps(SMALL)], cwd=ROOT,
                              env={**os.environ, "TMPDIR": str(temporary)})
    workers, started = {}, {}
    try:
        deadline = time.monotonic() + LIMIT
        while len(workers) < 2 or not all(listening(pid)["inside"] for pid in workers):  # both servers are up
            assert caller.poll() is None and time.monotonic() < deadline, "the workers never started"
            workers = worker_processes(caller.pid)
            time.sleep(0.1)
        started = processes(caller.pid)  # the workers, and the process that holds their network
        caller.send_signal(signal.SIGKILL)  # as when the kernel or the terminal is killed
        caller.wait()
        killed = time.monotonic()
        while alive(started) and time.monotonic() < killed + 30:
            time.sleep(0.05)
        lasted = time.monotonic() - killed
    finally:
        caller.kill()
        for pid in alive({**workers, **started}):
            os.kill(pid, signal.SIGKILL)
    assert len(started) > 2 and lasted < 5, f"the workers outlived their caller by {lasted:.1f} s"
    assert list(temporary.iterdir()) == []
    left = sorted(p.name for p in (build / "workers").glob("*/*"))  # what a killed run leaves: in the folder given
    assert left == ["worker0.log", "worker1.log"]


def test_tf_config_names_every_worker_and_this_ones_index():
    config = json.loads(tf_config(["10.0.0.1:2222", "10.0.0.2:2222"], 1))
    assert config == {"cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]}, "task": {"type": "worker", "index": 1}}
    with pytest.raises(ValueError, match="index"):
        tf_config(["10.0.0.1:2222"], 1)


def test_held_out_images_are_the_first_of_the_validation_split(mnist):
    from helpers.data import preprocess, split_validation

    images, labels = held_out_images("mnist", 32)
    _, (x, y) = split_validation(*mnist[0])
    np.testing.assert_array_equal(images, preprocess(x[:32]))
    np.testing.assert_array_equal(labels, y[:32])

