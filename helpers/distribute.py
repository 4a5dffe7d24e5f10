"""Beyond one device (notebook 15): the same training on several devices or machines with ``tf.distribute``.

The model and loss code does not change. A strategy decides where the replicas of the model live (one per GPU,
per logical CPU device, or per machine) and splits each global batch between them; the model is built and
compiled inside ``strategy.scope()``, with the batch loss wrapped by :func:`across_replicas`::

    strategy = tf.distribute.MirroredStrategy()          # every GPU of this machine (or the CPU)
    with strategy.scope():
        twin = improved_twin()                           # synchronised batch norm under several replicas
        twin.compile(optimizer=keras.optimizers.Adam(warmup_cosine(steps, 3e-3)),
                     loss=across_replicas(batch_contrastive_loss))  # the loss of the global batch
    twin.fit(image_dataset(x, y, batch_size=GLOBAL_BATCH, seed=SEED), epochs=EPOCHS)

Two things break when a loss over **all pairs in a batch** meets a split batch, and the helpers handle both:

- each replica sees only its share of the batch, so the pairs between two replicas' images are lost:
  :func:`across_replicas` wraps a batch loss of notebooks 12 and 14 so that it gathers every replica's labels
  and embeddings first, and the loss is the one of the global batch (:func:`train_twin` wraps
  :func:`helpers.losses.batch_contrastive_loss` so);
- batch normalisation would average over the replica's images only: :func:`helpers.models.improved_twin`
  builds synchronised batch normalisation when it is built under a strategy of several replicas.

With one device both are exactly the code of notebooks 12 and 14 (nothing gathered, ordinary batch norm).
:func:`run_workers` starts a ``MultiWorkerMirroredStrategy`` of several local processes (the way several
machines would run it, with ``TF_CONFIG``), each bounded in time and ended with its caller, in a network of
their own: TensorFlow's servers between the workers let in whoever reaches them, on every network interface.
"""

from __future__ import annotations

import helpers._tensorflow  # noqa: F401  (first: TensorFlow starts quietly)

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import keras
import tensorflow as tf

from helpers._checks import check_int

# tf.distribute reports each strategy it makes and each all-reduce it plans at Python's INFO level ("Using
# MirroredStrategy with devices …", "Collective all_reduce tensors: …"): the course shows warnings and errors.
tf.get_logger().setLevel("WARNING")


def replicas() -> int:
    """How many replicas the current strategy has: 1 outside any ``strategy.scope()``, or with one device."""
    return int(tf.distribute.get_strategy().num_replicas_in_sync)


def across_replicas(loss):
    """Make a loss over a whole batch see the **global** batch when training is split across replicas.

    Under a strategy of N > 1 replicas each replica holds 1/N of the batch. The returned loss gathers every
    replica's labels and embeddings (:func:`gather`), so each replica computes the loss L of the whole global
    batch — the same number on every replica — and returns L/N. Why 1/N: in the backward pass, ``gather``'s
    all-reduce adds the N replicas' gradients of L/N with respect to the gathered embeddings, so each replica
    receives exactly ∂L/∂(its own embeddings), the pairs that span two replicas included; the optimizer's
    all-reduce then adds the replicas' weight gradients into ∂L/∂weights, one device's gradient. (Keras
    divides a per-sample loss by N itself, but leaves a loss that returns one number as it is; it multiplies
    the logged loss by N, so the logs show L.) With one replica it is ``loss`` itself. ``.local``: the naive
    version, each replica's loss on its own share only (averaged over the replicas), which loses every pair
    that spans two replicas — to show what goes wrong.
    """

    @functools.wraps(loss)
    def on_the_global_batch(y_true, y_pred, *args, **kwargs):
        context, n = _replica_context()
        if n == 1:
            return loss(y_true, y_pred, *args, **kwargs)
        return loss(gather(context, y_true), gather(context, y_pred), *args, **kwargs) / n

    @functools.wraps(loss)
    def on_each_replica(y_true, y_pred, *args, **kwargs):
        return loss(y_true, y_pred, *args, **kwargs) / _replica_context()[1]

    on_the_global_batch.local = on_each_replica
    return on_the_global_batch


def gather(context, values):
    """Every replica's ``values`` (each replica's share of the batch, the same size on each: a batch must split
    evenly) stacked along the batch axis, in replica order, on every replica: a sum of zero-padded shares.

    Written with ``all_reduce`` rather than ``all_gather``: both give exactly the same numbers and pass
    gradients back (the gradient of an all-reduce sum is an all-reduce sum), but ``all_gather`` failed here
    under ``MultiWorkerMirroredStrategy`` ("destinations can not be empty", TensorFlow 2.21)."""
    n, index = context.num_replicas_in_sync, context.replica_id_in_sync_group
    share = tf.shape(values)[0]
    values = tf.cast(values, "float32")  # labels too: small whole numbers are exact in float32
    padding = [[index * share, (n - 1 - index) * share]] + [[0, 0]] * (len(values.shape) - 1)
    return context.all_reduce("SUM", tf.pad(values, padding))


def _replica_context():
    """The replica context this runs in and its number of replicas (1 outside a split training step)."""
    context = tf.distribute.get_replica_context()
    return context, (int(context.num_replicas_in_sync) if context is not None else 1)


_MIRRORED: dict[tuple[str, ...], object] = {}


def mirrored_strategy(devices: list[str]):
    """``tf.distribute.MirroredStrategy(devices)``, made once per set of devices and process: a second one
    over the same devices would reuse its collective operations' keys and fail at its first step (a
    "Shape mismatch in the collective instance" error), e.g. when a notebook cell runs twice."""
    key = tuple(devices)
    if key not in _MIRRORED:
        _MIRRORED[key] = tf.distribute.MirroredStrategy(list(devices))
    return _MIRRORED[key]


def logical_cpus(n: int) -> list[str]:
    """Split this machine's CPU into ``n`` logical devices and return their names (``/cpu:0`` …), so that
    ``MirroredStrategy`` can place one replica on each — how the course shows several devices without a GPU.

    Must run before TensorFlow has started its devices (before the first operation); a second call with the
    same ``n`` is harmless, a different ``n`` is an error. The devices share the same cores: this shows the
    mechanism, not a speed-up. Any GPU is hidden from this process, so that every run of notebook 15 uses
    the same (CPU) kernels.
    """
    n = check_int(n, "n", 1)
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_visible_devices([], "GPU")
    wanted = [tf.config.LogicalDeviceConfiguration() for _ in range(n)]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is not None and len(current) != n:
        raise RuntimeError(f"the CPU is already split into {len(current)} logical devices; restart the kernel "
                           f"to split it into {n}")
    if current is None:
        try:
            tf.config.set_logical_device_configuration(cpu, wanted)
        except RuntimeError as error:
            raise RuntimeError("logical_cpus() must run before TensorFlow's first operation: restart the "
                               "kernel and call it first") from error
    return [f"/cpu:{i}" for i in range(n)]


class StepLosses(keras.callbacks.Callback):
    """Each training step's own loss, in ``.losses``, and when it ended, in ``.times``. (Keras logs the
    running mean of the epoch's loss after each step; this undoes the mean.)"""

    def on_train_begin(self, logs=None):
        self.losses, self.times = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.mean, self.seen = 0.0, 0

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])
        self.losses.append(mean * (self.seen + 1) - self.mean * self.seen)
        self.times.append(time.perf_counter())
        self.mean, self.seen = mean, self.seen + 1


def train_twin(strategy, images, labels, *, global_batch: int, steps: int, seed: int, width: int = 32,
               gather: bool = True, synchronized: bool | None = None, held_out=None) -> dict:
    """Train notebook 12's twin for ``steps`` steps of ``global_batch`` images under ``strategy`` and return
    ``{"losses": [loss of each step], "seconds": …, "images_per_second": …, "replicas": N}``: the time of
    all steps, and the throughput after the first step (which also builds the graph and, for several
    processes, waits until every worker is up). ``held_out=(images, labels)``: also ``"held_out_loss"``,
    the trained twin's :func:`helpers.losses.batch_contrastive_loss` on those images as one batch, computed
    the same way for every run (no replicas) — so that runs can be compared on one quantity even where
    they log different ones.

    The same code for one device (``tf.distribute.get_strategy()``, the default), several devices
    (``MirroredStrategy``) and several processes (``MultiWorkerMirroredStrategy``): seed, data order and
    schedule as in notebook 12 (``width``: its width, 32; smaller for a quick test). ``gather=False`` and
    ``synchronized=False``: the naive split (each replica's share of the loss, batch norm over each
    replica's images), to show what it changes.
    """
    from helpers.losses import batch_contrastive_loss
    from helpers.models import improved_twin, warmup_cosine
    from helpers.pairs import image_dataset
    from helpers.repro import set_seed

    global_batch, steps = check_int(global_batch, "global_batch", 1), check_int(steps, "steps", 1)
    n = int(strategy.num_replicas_in_sync)
    if global_batch % n:
        raise ValueError(f"global_batch: expected a multiple of the {n} replicas, got {global_batch}")
    if len(images) % global_batch:
        raise ValueError(f"global_batch: expected a divisor of the {len(images)} images (whole batches only, "
                         f"so that every step splits evenly), got {global_batch}")
    set_seed(seed)
    with strategy.scope():
        twin = improved_twin(width=width, synchronized=synchronized)
        global_batch_loss = across_replicas(batch_contrastive_loss)
        loss = global_batch_loss if gather else global_batch_loss.local
        twin.compile(optimizer=keras.optimizers.Adam(warmup_cosine(steps, 3e-3)), loss=loss)
    data = image_dataset(images, labels, batch_size=global_batch, seed=seed,
                         epochs=-(-steps // (len(images) // global_batch)))
    record = StepLosses()
    start = time.perf_counter()
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        record.losses, record.times = custom_loop(strategy, twin, data, steps)
    else:  # one machine: every replica's share comes from the one pipeline, nothing to shard between workers
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
        twin.fit(data.with_options(options), epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0,
                 callbacks=[record])
    steady = record.times[-1] - record.times[0]
    result = {"losses": record.losses, "seconds": record.times[-1] - start, "replicas": n,
              "images_per_second": (steps - 1) * global_batch / steady if steps > 1 else None}
    if held_out is not None:
        held_images, held_labels = held_out
        result["held_out_loss"] = float(batch_contrastive_loss(held_labels, twin(held_images, training=False)))
    return result


def custom_loop(strategy, twin, data, steps: int) -> tuple[list[float], list[float]]:
    """``fit``'s training step, written out with TensorFlow's own API: Keras 3's ``fit`` does not run under
    ``MultiWorkerMirroredStrategy`` yet (keras-team/keras#20585), ``strategy.run`` does. Same model, loss,
    optimizer and data; returns each step's loss and when it ended."""
    options = tf.data.Options()  # DATA: every process reads the same pipeline and keeps its share of each batch
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    batches = iter(strategy.experimental_distribute_dataset(data.with_options(options)))  # per-replica shares
    with strategy.scope():
        twin.optimizer.build(twin.trainable_variables)  # its variables, made once for every replica

    def replica_step(images, labels):
        with tf.GradientTape() as tape:
            loss = twin.loss(labels, twin(images, training=True))
        gradients = tape.gradient(loss, twin.trainable_variables)
        twin.optimizer.apply_gradients(zip(gradients, twin.trainable_variables))  # adds the replicas' gradients
        # each replica's loss is 1/N of the global batch's (across_replicas): their SUM is the global loss
        return tf.distribute.get_replica_context().all_reduce("SUM", loss)

    @tf.function
    def step(batch):  # run the step on every replica of this process; all hold the same loss: take the first
        return strategy.experimental_local_results(strategy.run(replica_step, args=batch))[0]

    losses, times = [], []
    for _ in range(steps):
        losses.append(float(step(next(batches))))
        times.append(time.perf_counter())
    return losses, times


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(addresses: list[str], index: int) -> str:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of workers at ``addresses`` (``"host:port"``, the
    same list, in the same order, on every machine): what ``MultiWorkerMirroredStrategy`` reads to find the
    others. Worker 0 is the chief, the one that would save checkpoints and logs.

    >>> tf_config(["10.0.0.1:2222", "10.0.0.2:2222"], 1)
    '{"cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]}, "task": {"type": "worker", "index": 1}}'
    """
    index = check_int(index, "index", 0, len(addresses) - 1)
    return json.dumps({"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": index}})


def run_workers(workers: int = 2, *, folder: str | os.PathLike, timeout: float = 300, open_ports: bool = False,
                **train) -> list[dict]:
    """Run :func:`train_twin` under ``MultiWorkerMirroredStrategy`` in ``workers`` local processes — what
    ``workers`` machines would do — and return each worker's result (its losses, time and throughput).

    Each process gets a ``TF_CONFIG`` naming every worker's address (127.0.0.1 and a free port here; the
    machines' addresses on a real cluster) and its own index; nothing else changes. ``train``: the keyword
    arguments of :func:`train_twin` (``global_batch``, ``steps``, ``seed``), with ``dataset`` and ``n_images``
    for :func:`training_images` (``n_held_out`` for :func:`held_out_images`). The workers' logs and results
    go to a new folder inside ``folder`` (a build folder), removed at the end. Every process is stopped, and its
    port freed, when this returns — also after ``timeout`` seconds, an error or an interrupt (then a
    ``TimeoutError`` or the worker's error is raised) — and a worker ends by itself the moment its caller dies.

    The workers run in a network of their own, where only they are: TensorFlow's server in each one listens on
    every network interface (whatever host ``TF_CONFIG`` names) and lets anyone who reaches its port in,
    without authentication. Where the system makes no such network for an ordinary user (see
    :func:`private_network`), this refuses to run, unless ``open_ports=True``: then the workers run anyway
    and, for the run's length, listen on every network interface of this computer.
    """
    workers = check_int(workers, "workers", 1)
    if not isinstance(open_ports, bool):
        raise TypeError(f"open_ports: expected True or False, got {open_ports!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with _own_network() as (holder, refused):
        if holder is None and not open_ports:
            raise RuntimeError(
                f"run_workers: this system gives the workers no network of their own ({refused}); without one, "
                "each worker's TensorFlow server listens on every network interface of this computer, without "
                "authentication, while the run lasts. To run them so anyway, pass open_ports=True.")
        run = Path(tempfile.mkdtemp(prefix="workers-", dir=folder))
        addresses = [f"127.0.0.1:{port}" for port in _free_ports(workers)]
        watched, held = os.pipe()  # each worker ends when `held` closes: at the end below, or when this process dies
        processes = []
        try:
            for index in range(workers):
                with open(run / f"worker{index}.log", "w") as log:
                    env = {**os.environ, "TF_CONFIG": tf_config(addresses, index),
                           "CUDA_VISIBLE_DEVICES": ""}  # CPU only, like notebook 15's other runs (no GPU fights)
                    processes.append(subprocess.Popen(
                        [sys.executable, "-c", _START_WORKER, str(holder or "-"), str(watched), json.dumps(train),
                         str(run / f"worker{index}.json")],
                        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, pass_fds=(watched,),
                        cwd=Path(__file__).resolve().parent.parent))
            return _results(processes, run, timeout)
        finally:
            os.close(held)
            os.close(watched)
            for process in processes:
                _stop(process)
            shutil.rmtree(run, ignore_errors=True)


def _results(processes: list[subprocess.Popen], run: Path, timeout: float) -> list[dict]:
    """Every worker's result, once all have written theirs; the first failure, or a timeout, as an error."""
    outputs = [run / f"worker{index}.json" for index in range(len(processes))]
    deadline = time.monotonic() + timeout
    while not all(out.exists() for out in outputs):
        failed = [index for index, process in enumerate(processes) if process.poll() not in (None, 0)]
        if failed or time.monotonic() > deadline:
            logs = [(run / f"worker{index}.log").read_text()[-2000:] for index in failed or [0]]
            if failed:
                reasons = [_ending(index, processes[index].returncode) for index in failed]
                raise RuntimeError("\n".join([f"multi-worker run: {'; '.join(reasons)}", *filter(None, logs)]))
            raise TimeoutError("\n".join([f"multi-worker run: no result within {timeout:.0f} s:", *logs]))
        time.sleep(0.2)
    return [json.loads(out.read_text()) for out in outputs]


def _ending(index: int, returncode: int) -> str:
    """How worker ``index`` ended, from its exit status (negative: the signal that killed it)."""
    if returncode < 0:
        try:
            return f"worker {index} was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"worker {index} was killed by signal {-returncode}"
    return f"worker {index} failed (exit status {returncode})"


def _stop(process: subprocess.Popen, grace: float = 5.0) -> None:
    """End a worker and everything it started (it leads its own process group): it ends by itself once its
    caller's pipe is closed; if it has not within ``grace`` seconds, for sure."""
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def private_network() -> bool:
    """Whether this system lets :func:`run_workers` give its workers a network of their own, that nothing else
    reaches: a Linux network namespace (inside a user namespace, which an ordinary user may make on most Linux
    systems). Not on macOS or Windows, nor where Linux forbids unprivileged user namespaces."""
    with _own_network() as (holder, _):
        return holder is not None


@contextmanager
def _own_network():
    """``(pid, "")``, while it lasts, of a process holding a network namespace with a loopback interface and
    nothing else, for the workers to join; ``(None, why not)`` where the system makes none."""
    try:
        holder = subprocess.Popen([sys.executable, "-c", _HOLD_NETWORK], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as error:
        holder, refused = None, str(error)
    else:
        answer = holder.stdout.readline().strip()
        refused = "" if answer == "ready" else answer or f"exit status {holder.wait()}"
    try:
        yield (holder.pid if holder is not None and not refused else None), refused
    finally:
        if holder is not None:
            holder.stdin.close()  # it ends when its input ends (as when this process dies)
            holder.stdout.close()
            holder.wait()


#: Run with ``python -c`` by :func:`_own_network`: makes a user namespace (in which an ordinary user may make
#: the rest) and a network namespace in it, brings its loopback interface up, says "ready" (or why it cannot),
#: and holds the namespaces until its input ends. Only the standard library, before any thread starts.
_HOLD_NETWORK = r"""
import ctypes, fcntl, os, socket, struct, sys
try:
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(0x10000000 | 0x40000000) != 0:  # CLONE_NEWUSER | CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "unshare: " + os.strerror(ctypes.get_errno()))
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as file:
            file.write(text)
    with socket.socket() as s:  # struct ifreq: the interface's name, its flags; SIOCGIFFLAGS, SIOCSIFFLAGS
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, 0x8913, struct.pack("16sH22x", b"lo", 0)))[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", flags | 1))  # IFF_UP
except Exception as error:
    print(f"{type(error).__name__}: {error}", flush=True)
    sys.exit(1)
print("ready", flush=True)
sys.stdin.read()
"""

#: Run with ``python -c`` for each worker by :func:`run_workers` (arguments: the pid of the process holding the
#: workers' network, or "-"; the pipe to watch; the worker's own): joins that network (setns wants a process of
#: one thread: first), ends its process group the moment the pipe's other end closes — its caller ended or
#: died — and runs ``python -m helpers.distribute``.
_START_WORKER = r"""
import ctypes, os, runpy, signal, sys, threading
holder, pipe = sys.argv[1], int(sys.argv[2])
if holder != "-":
    libc = ctypes.CDLL(None, use_errno=True)
    for kind, flag in (("user", 0x10000000), ("net", 0x40000000)):  # CLONE_NEWUSER, CLONE_NEWNET
        fd = os.open(f"/proc/{holder}/ns/{kind}", os.O_RDONLY)
        if libc.setns(fd, flag) != 0:
            raise OSError(ctypes.get_errno(), f"setns {kind}: " + os.strerror(ctypes.get_errno()))
        os.close(fd)


def watch():
    while os.read(pipe, 1):  # nothing is ever written: b"" once the caller's end is closed
        pass
    os.killpg(0, signal.SIGKILL)


threading.Thread(target=watch, daemon=True).start()
sys.argv[1:] = sys.argv[3:]
runpy.run_module("helpers.distribute", run_name="__main__", alter_sys=True)
"""


def _first_images(dataset: str, n: int, part: int):
    """The first ``n`` images (preprocessed) and labels of ``dataset``'s training (``part`` 0) or validation
    (1) split, notebook 03's 80/20 split of the training images."""
    from helpers.data import load_dataset, preprocess, split_validation

    (images, labels), _ = load_dataset(dataset, verbose=False)
    images, labels = split_validation(images, labels)[part]
    return preprocess(images[:n]), labels[:n]


def training_images(dataset: str, n: int):
    """The first ``n`` images (preprocessed) and labels of ``dataset``'s training split (notebook 03's 80 %):
    what every run of notebook 15 trains on, in the notebook and in each worker process."""
    return _first_images(dataset, check_int(n, "n", 1, 48_000), 0)


def held_out_images(dataset: str, n: int):
    """The first ``n`` images (preprocessed) and labels of ``dataset``'s validation split: notebook 15's
    common yardstick for the trained twins (:func:`train_twin`'s ``held_out``)."""
    return _first_images(dataset, check_int(n, "n", 2, 12_000), 1)


def worker_main(train_json: str, out: str) -> None:
    """What each worker process of :func:`run_workers` runs: ``TF_CONFIG`` says who it is; the strategy is made
    before any TensorFlow operation (only thread settings come first); then the worker loads its data, trains
    (:func:`train_twin`, the written-out step) and saves its results as JSON in ``out``. ``train_json``: the
    training's settings."""
    from helpers.artifacts import save_json

    train = json.loads(train_json)
    workers = len(json.loads(os.environ["TF_CONFIG"])["cluster"]["worker"])
    threads = max(1, (os.cpu_count() or 1) // workers)  # the workers share this machine's cores
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    dataset = train.pop("dataset")
    images, labels = training_images(dataset, train.pop("n_images"))
    held_out = held_out_images(dataset, train.pop("n_held_out")) if "n_held_out" in train else None
    result = train_twin(strategy, images, labels, held_out=held_out, **train)
    result["worker"] = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    save_json(result, Path(out))


__all__ = ["StepLosses", "across_replicas", "custom_loop", "gather", "held_out_images", "logical_cpus",
           "mirrored_strategy", "private_network", "replicas", "run_workers", "tf_config", "train_twin",
           "training_images", "worker_main"]

if __name__ == "__main__":
    worker_main(*sys.argv[1:])
