"""Project wiring: one dependency list, the README's commands, CI calling the README's test command, the
Makefile forwarding the parameters the rules know. (The runner's own tests: test_run_notebooks.py.)"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_environment_yml_installs_the_lock_then_the_project_not_a_second_list():
    env = (ROOT / "environment.yml").read_text()
    python = re.search(r"^\s*- python=(3\.\d+)\s*$", env, re.M).group(1)
    import setup_env

    low, high = setup_env.supported_python()
    assert low[:2] <= tuple(map(int, python.split("."))) < high
    pip_lines = env.split("- pip:")[1].strip().splitlines()
    assert [line.strip() for line in pip_lines if line.strip().startswith("-")] == [
        "- -r requirements/lock.txt", "- -e .[course]"]


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Two commands.*?```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make all", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, re.M)
    makefile = (ROOT / "Makefile").read_text()
    for target in ("help", "setup", "run", "test", "lab", "clean", "all", "refresh"):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_the_make_parameters_are_the_ones_the_makefile_forwards():
    from helpers import parameters

    makefile = (ROOT / "Makefile").read_text()
    forwarded = re.search(r"^PARAMETERS := (.*)$", makefile, re.M).group(1).split()
    assert tuple(name for name in forwarded if name != "ONLY") == parameters.MAKE_PARAMETERS


def test_the_rules_know_the_data_sets_the_loader_knows():
    from helpers import parameters
    from helpers.data import DATASETS

    assert tuple(DATASETS) == parameters.DATASET_NAMES
