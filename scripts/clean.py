#!/usr/bin/env python3
"""`make clean`: remove the build folder, and only a build folder.

    python scripts/clean.py build

``make clean BUILD=$HOME`` (or a ``BUILD`` left in the environment) must never delete a home folder: this
removes the given folder only when it is this project's ``build/`` or carries the ``.course-build`` mark
that the runner leaves in every build folder it creates. Anything else is refused with the reason; a folder
that cannot be deleted (permissions, a read-only file system) is one line naming the file and what to do.
"""

from __future__ import annotations

import errno
import shlex
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = ".course-build"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        print("usage: clean.py BUILD_FOLDER", file=sys.stderr)
        return 2
    target = Path(argv[0]).expanduser().resolve()
    if not target.exists():
        return 0
    ours = target == ROOT / "build" or (target / MARK).is_file()
    if not ours or target in (ROOT, Path.home(), Path(target.anchor)) or (target / ".git").exists():
        print(f"error: refusing to delete {target}: it is not this course's build folder (no {MARK} mark); "
              "remove it yourself if you are sure", file=sys.stderr)
        return 2
    try:
        shutil.rmtree(target)
    except OSError as exc:
        print(f"error: cannot delete {exc.filename or target}: {exc.strerror or exc}; {_advice(exc, target)}",
              file=sys.stderr)
        return 1
    print(f"removed {target}")
    return 0


def _advice(exc: OSError, target: Path) -> str:
    """What to do when ``target`` (or a file in it) could not be deleted."""
    if exc.errno == errno.EROFS:
        return f"{target} is on a read-only file system; remount it writable (or delete it elsewhere), then make clean"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"fix its permissions (chmod -R u+w {shlex.quote(str(target))}), then make clean"
    return "fix that, then make clean"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
