"""Small conveniences for the notebooks."""

from __future__ import annotations

import inspect


def show_source(obj) -> IPython.display.Markdown:  # noqa: F821
    """Display the source of a helper as a highlighted code block: one definition, shown where taught.

    >>> show_source(show_source).data.splitlines()[0]
    '```python'
    """
    from IPython.display import Markdown

    return Markdown(f"```python\n{inspect.getsource(obj).rstrip()}\n```")
