#!/bin/sh
# Run one of the course's tools (ruff, nbstripout) from the course's environment, wherever it is:
# an activated virtual or conda environment first, else the project's .venv (make setup), else PATH.
# The pre-commit hooks call it, so they work for venv and conda users alike.
name=$1
shift
for prefix in "${VIRTUAL_ENV:-}" "${CONDA_PREFIX:-}" "$(dirname "$0")/../.venv"; do
    if [ -n "$prefix" ] && [ -x "$prefix/bin/$name" ]; then
        exec "$prefix/bin/$name" "$@"
    fi
done
if command -v "$name" >/dev/null 2>&1; then
    exec "$name" "$@"
fi
echo "$name: not found; run make setup (or activate the course's conda environment)" >&2
exit 127
