#!/usr/bin/env python3
"""`make setup`: the course's virtual environment, from the lock, and never half-installed.

    python3 scripts/setup_env.py --venv .venv

The environment counts as ready only when ``<venv>/.installed`` exists, and that mark is written last, after
``pip check`` passed and TensorFlow, Keras and ``helpers`` imported. A setup that was interrupted (Ctrl-C,
a killed terminal, a full disk) leaves no mark, and the next run starts over from an empty folder: pip would
otherwise take a half-unpacked TensorFlow, whose metadata is already written, for an installed one. Pip's
download cache makes the second attempt quick. An environment that is ready but older than
``pyproject.toml`` or the lock is updated in place, its mark removed first.

Versions come from ``requirements/lock.txt`` (exact versions for Linux x86_64 and macOS arm64, Python 3.11
and 3.12; ``make lock`` regenerates it): the committed notebook outputs were produced with them. On another
platform, setup warns and installs from the ranges in ``pyproject.toml``.

Standard library only: it runs with whichever Python creates the environment.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"
MARK = ".installed"
#: What the lock covers: pyproject.toml's [tool.uv] environments and requires-python (a test keeps them equal).
LOCKED_PLATFORMS = {("linux", "x86_64"), ("darwin", "arm64")}
CHECK = "import helpers, tensorflow, keras  # helpers first: TensorFlow without its start-up chatter"


def supported_python() -> tuple[tuple[int, int, int], tuple[int, int]]:
    """(lowest version, first unsupported minor) from pyproject.toml's ``requires-python``."""
    import re

    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    low, high = re.search(r'^requires-python = ">=([\d.]+),<([\d.]+)"', text, re.M).groups()
    return tuple(int(p) for p in (low.split(".") + ["0", "0"])[:3]), tuple(int(p) for p in high.split("."))[:2]


def run(*command, **kw) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, **kw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--project", default=str(ROOT),
                        help="what to install (editable) after the lock; '' for nothing")
    parser.add_argument("--check", default=CHECK, help="Python code that must run in the new environment")
    parser.add_argument("--kernel", action=argparse.BooleanOptionalAction, default=True,
                        help="register the environment's Jupyter kernel")
    args = parser.parse_args(argv)

    low, high = supported_python()
    if not low <= sys.version_info[:3] or sys.version_info[:2] >= high:
        print(f"error: Python {'.'.join(map(str, low))} to {high[0]}.{high[1] - 1} is needed (pyproject.toml), "
              f"this is {platform.python_version()}: make setup PYTHON=python3.11", file=sys.stderr)
        return 2

    venv, mark = args.venv.absolute(), args.venv.absolute() / MARK
    if mark.is_file():
        mark.unlink()  # ready but outdated: update in place; not ready again until verified below
        print(f"updating {venv}")
    elif venv.exists():
        if not (venv / "pyvenv.cfg").is_file():
            if any(venv.iterdir()):
                print(f"error: {venv} exists and is not a virtual environment; choose another VENV=",
                      file=sys.stderr)
                return 2
        else:
            print(f"{venv} was never completed (an interrupted setup?): starting over", flush=True)
            shutil.rmtree(venv)

    python = venv / "bin" / "python"
    try:
        if not python.exists():
            run(sys.executable, "-m", "venv", venv)
        pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        if (sys.platform, platform.machine()) in LOCKED_PLATFORMS and args.lock.is_file():
            run(*pip, "-r", args.lock)
            if args.project:
                run(*pip, "--no-deps", "--editable", args.project)
        else:
            print(f"warning: {args.lock.name} covers Linux x86_64 and macOS arm64, not {sys.platform} "
                  f"{platform.machine()}: installing the newest versions pyproject.toml allows. They may print "
                  "slightly different numbers than the committed notebooks (make test may then differ).",
                  file=sys.stderr, flush=True)
            run(*pip, "--editable", f"{args.project}[course]")
        run(python, "-m", "pip", "check")
        run(python, "-c", args.check)
        if args.kernel:
            run(python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
                "--display-name", "Python 3 (contrastive course)", stdout=subprocess.DEVNULL)
    except KeyboardInterrupt:
        print(f"\nsetup interrupted: {venv} is not ready; `make setup` will start it over", file=sys.stderr)
        return 130
    except subprocess.CalledProcessError as exc:
        print(f"error: setup failed (`{' '.join(map(str, exc.cmd[1:4]))} ...` exited {exc.returncode}); {venv} "
              "is not ready; fix the cause above and run make setup again", file=sys.stderr)
        return 1
    mark.write_text(f"{platform.python_version()} {sys.platform} {platform.machine()}\n", encoding="utf-8")
    print(f"Environment ready in {venv}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
