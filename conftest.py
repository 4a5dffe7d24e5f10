"""Project-wide pytest hooks: loaded for every pytest run in this folder, including the notebooks' own run
under nbval (`make test` starts it apart from the tests in tests/, see scripts/run_tests.py)."""


def pytest_configure(config):
    """Lift nbval's fixed per-cell limit (2,000 s by default): under test the training notebooks replay the
    shipped weights (their test copies get TRAIN = False), so no cell trains, and a slow CPU must not trip a
    wall-clock limit."""
    if hasattr(config.option, "nbval_cell_timeout"):
        config.option.nbval_cell_timeout = None
