"""Solutions to the exercises at the end of each notebook — try them yourself first!

One module per notebook (``solutions.nb03`` answers notebook 03). Each exercise is a function (or, for a
question in words, a docstring answer next to a function that checks it in code); ``tests/test_solutions.py``
runs every one of them, so the answers stay true as the course changes.
"""
