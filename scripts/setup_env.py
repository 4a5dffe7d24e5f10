#!/usr/bin/env python3
"""`make setup`: the course's virtual environment, from the lock, and never half-installed.

    python3 scripts/setup_env.py --venv .venv

The environment counts as ready only when ``<venv>/.installed`` exists, and that mark is written last, after
``pip check`` passed and TensorFlow, Keras and ``helpers`` imported. A setup that was interrupted (Ctrl-C,
a killed terminal, a full disk) leaves no mark, and the next run starts over from an empty folder: an installer
would otherwise take a half-unpacked TensorFlow, whose metadata is already written, for an installed one. The
download cache makes the second attempt quick. An environment that is ready but older than ``pyproject.toml``
or the lock is updated in place, its mark removed first.

The packages are installed by uv (the version ``make lock`` uses, put into the environment by pip first): it
takes about half of pip's time. It compiles the bytecode (``--compile-bytecode``), as pip does, so that
TensorFlow's first import does not have to. uv reads none of pip's configuration, so pip's own settings (its
configuration files and ``PIP_*`` variables, as ``pip config list`` shows them: index, extra indexes,
find-links, constraints, certificate, proxy, trusted hosts, timeout) are handed to uv as the equivalent
variables (any you set yourself take precedence). Should uv fail all the same, setup says so and
installs with pip into a new empty environment. ``--installer pip`` installs with pip only.

Versions come from ``requirements/lock.txt`` (exact versions for Linux x86_64 and macOS arm64, Python 3.11
and 3.12; ``make lock`` regenerates it): the committed notebook outputs were produced with them. On another
platform, setup warns and installs from the ranges in ``pyproject.toml``.

Standard library only: it runs with whichever Python creates the environment.
"""

from __future__ import annotations

import argparse
import ast
import os
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
CHECK = "import helpers._tensorflow, tensorflow, keras  # helpers._tensorflow first: it starts TensorFlow quietly"
#: The installer, as the Makefile's LOCK_TOOL pins it for `make lock` (a test keeps them equal).
UV = "uv==0.13.8"


def supported_python() -> tuple[tuple[int, int, int], tuple[int, int]]:
    """(lowest version, first unsupported minor) from pyproject.toml's ``requires-python``."""
    import re

    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    low, high = re.search(r'^requires-python = ">=([\d.]+),<([\d.]+)"', text, re.M).groups()
    return tuple(int(p) for p in (low.split(".") + ["0", "0"])[:3]), tuple(int(p) for p in high.split("."))[:2]


def run(*command, **kw) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, **kw)


def shown(command: list) -> str:
    """The start of a command, for a one-line message: ``uv pip install --quiet ...``."""
    return " ".join([Path(command[0]).name, *map(str, command[1:4])]) + " ..."


def pip_settings(python: Path) -> dict[str, str]:
    """What pip's ``install`` uses from its configuration: files' [global] then [install] sections, then
    ``PIP_*`` variables (``:env:``), each overriding the one before, as ``pip config list`` shows them."""
    listing = subprocess.run([str(python), "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    lines = [line.partition("=") for line in listing.splitlines()]
    settings = {}
    for section in ("global", "install", ":env:"):
        for name, _, value in lines:
            if name.startswith(section + ".") and value:
                settings[name[len(section) + 1:]] = str(ast.literal_eval(value))
    return settings


def uv_variables(pip: dict[str, str]) -> dict[str, str]:
    """pip's settings as the variables uv reads instead, so that uv installs from where pip would."""
    words = {key: value.split() for key, value in pip.items()}
    env = {}
    if "index-url" in pip:
        env["UV_INDEX_URL"] = pip["index-url"]
    if words.get("find-links"):
        env["UV_FIND_LINKS"] = ",".join(words["find-links"])
    if words.get("extra-index-url"):
        env["UV_EXTRA_INDEX_URL"] = " ".join(words["extra-index-url"])
        env["UV_INDEX_STRATEGY"] = "unsafe-best-match"  # pip's rule: the best version across all indexes
    if pip.get("no-index", "").lower() in ("1", "true", "yes", "on"):
        env["UV_NO_INDEX"] = "1"
    if words.get("constraint"):
        env["UV_CONSTRAINT"] = " ".join(words["constraint"])
    if words.get("trusted-host"):
        env["UV_INSECURE_HOST"] = " ".join(words["trusted-host"])
    for key, variable in (("cert", "SSL_CERT_FILE"), ("client-cert", "SSL_CLIENT_CERT"), ("proxy", "HTTPS_PROXY"),
                          ("proxy", "HTTP_PROXY")):
        if pip.get(key):
            env[variable] = pip[key]
    for key in ("timeout", "default-timeout"):
        if pip.get(key, "").replace(".", "", 1).isdigit():
            env["UV_HTTP_TIMEOUT"] = str(max(1, round(float(pip[key]))))  # whole seconds for uv, any for pip
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--project", default=str(ROOT),
                        help="what to install (editable) after the lock; '' for nothing")
    parser.add_argument("--check", default=CHECK, help="Python code that must run in the new environment")
    parser.add_argument("--kernel", action=argparse.BooleanOptionalAction, default=True,
                        help="register the environment's Jupyter kernel")
    parser.add_argument("--installer", choices=("uv", "pip"), default="uv",
                        help="uv (pip if uv fails), or pip only")
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
    if (sys.platform, platform.machine()) in LOCKED_PLATFORMS and args.lock.is_file():
        steps = [["-r", args.lock]] + ([["--no-deps", "--editable", args.project]] if args.project else [])
    else:
        print(f"warning: {args.lock.name} covers Linux x86_64 and macOS arm64, not {sys.platform} "
              f"{platform.machine()}: installing the newest versions pyproject.toml allows. They may print "
              "slightly different numbers than the committed notebooks (make test may then differ).",
              file=sys.stderr, flush=True)
        steps = [["--editable", f"{args.project}[course]"]]
    scratch = venv / ".setup-tmp"  # the commands' temporary files (uv's locks, ipykernel's staging folder)
    saved_tmpdir = os.environ.get("TMPDIR")
    try:
        if not python.exists():
            run(sys.executable, "-m", "venv", venv)
        scratch.mkdir(exist_ok=True)
        os.environ["TMPDIR"] = str(scratch)  # inherited by every command below: nothing is left in /tmp
        pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        installer = args.installer
        if installer == "uv":
            try:
                run(*pip, UV)
                given = {k: v for k, v in uv_variables(pip_settings(python)).items() if k not in os.environ}
                if given:
                    print("  pip's settings, for uv:", " ".join(sorted(given)), flush=True)
                env = {**os.environ, **given}
                for step in steps:
                    run(venv / "bin" / "uv", "pip", "install", "--quiet", "--compile-bytecode", "--python", python,
                        *step, env=env)
            except subprocess.CalledProcessError as exc:
                print(f"warning: uv failed (`{shown(exc.cmd)}` exited {exc.returncode}): "
                      "installing with pip instead, into a new environment", file=sys.stderr, flush=True)
                shutil.rmtree(venv)
                run(sys.executable, "-m", "venv", venv)
                scratch.mkdir()
                installer = "pip"
        if installer == "pip":
            for step in steps:
                run(*pip, *step)
        run(python, "-m", "pip", "check")
        run(python, "-c", args.check)
        if args.kernel:
            run(python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
                "--display-name", "Python 3 (contrastive course)", stdout=subprocess.DEVNULL)
    except KeyboardInterrupt:
        print(f"\nsetup interrupted: {venv} is not ready; `make setup` will start it over", file=sys.stderr)
        return 130
    except subprocess.CalledProcessError as exc:
        print(f"error: setup failed (`{shown(exc.cmd)}` exited {exc.returncode}); {venv} "
              "is not ready; fix the cause above and run make setup again", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if saved_tmpdir is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_tmpdir
    mark.write_text(f"{platform.python_version()} {sys.platform} {platform.machine()}\n", encoding="utf-8")
    print(f"Environment ready in {venv}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
