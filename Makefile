# Contrastive learning course — `make help` lists the targets.
#
# Variables you may override:  make run EPOCHS=1 SEED=7   make run TRAIN=0   make setup PYTHON=python3.11
PYTHON ?= python3
VENV   ?= .venv
BUILD  ?= build
BIN    := $(VENV)/bin
SITE_SOURCE ?= notebooks

# Notebook parameters (and ONLY, a subset) count only when given on make's command line. The runner gets their
# names (--given) and reads their values from the environment, which make sets for every command-line
# variable, never through a shell command line: `make run 'EPOCHS=1; rm -rf ~'` is refused by the runner as an
# impossible EPOCHS, not executed.
PARAMETERS := EPOCHS SEED BATCH_SIZE DATASET TRAIN ONLY
SETTINGS   := PYTHON VENV BUILD SITE_SOURCE
DATA_DIRS  := MNIST_DIR FASHION_MNIST_DIR
GIVEN      := $(foreach v,$(PARAMETERS),$(if $(filter command line,$(origin $(v))),$(v)))
COMMAND_LINE := $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(v)))
# A value holding $ could call make's functions ($(shell ...)) as soon as make expands it: refused unread.
$(foreach v,$(COMMAND_LINE),$(if $(findstring $$,$(value $(v))),\
    $(error $(v): make does not expand values here; give the value itself, without $$)))
UNKNOWN    := $(filter-out $(PARAMETERS) $(SETTINGS) $(DATA_DIRS),$(COMMAND_LINE))
ifneq ($(UNKNOWN),)
$(error unknown variable $(UNKNOWN) (a typo?); this Makefile knows $(PARAMETERS) $(SETTINGS) $(DATA_DIRS))
endif
# A value inherited from the shell (export BUILD=$$HOME) is never used: only the command line sets these.
$(foreach v,$(PARAMETERS) $(SETTINGS),$(if $(filter environment,$(origin $(v))),\
    $(warning $(v) from your environment is ignored; give it on the command line: make ... $(v)=...)$(eval $(v) :=)))
BUILD  := $(or $(BUILD),build)
VENV   := $(or $(VENV),.venv)
PYTHON := $(or $(PYTHON),python3)
SITE_SOURCE := $(or $(SITE_SOURCE),notebooks)
BIN    := $(VENV)/bin
# The build folder as an environment variable, so that recipes quote it ("$$COURSE_BUILD") and a path with
# spaces or non-ASCII letters stays one word.
export COURSE_BUILD := $(BUILD)

# Offline machines keep a verified copy of MNIST beside the project (../shared/data/mnist): use it when it is
# there and MNIST_DIR is not set. (Found by the shell, so that a folder name with spaces works.)
ifeq ($(MNIST_DIR),)
SHARED_MNIST := $(shell d=../shared/data/mnist; [ -e "$$d/train-images-idx3-ubyte.gz" ] && cd "$$d" && pwd)
ifneq ($(SHARED_MNIST),)
export MNIST_DIR := $(SHARED_MNIST)
endif
endif

# No cell time limit (conftest.py lifts nbval's): under test the training notebooks replay the weights that
# `make refresh` committed (their copies get TRAIN = False), so no cell trains, and a slow CPU trips no fixed limit.

.DEFAULT_GOAL := help
.PHONY: help all setup lock run refresh test test-fast lint bench margin-sweep ablation loss-seeds assignments lab html clean distclean

help:  ## show this help
	@echo "Contrastive learning course"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Overridable: PYTHON=$(PYTHON) VENV=$(VENV) EPOCHS SEED BATCH_SIZE DATASET TRAIN ONLY (e.g. make run DATASET=fashion_mnist)"

all: setup run  ## set up everything and run the whole series (a fresh machine's first command)

setup: $(VENV)/.installed  ## create the virtual environment, install dependencies and the Jupyter kernel

# Ready only when scripts/setup_env.py verified it (TensorFlow, Keras and helpers import; pip check): an
# interrupted setup leaves no mark and is redone from scratch. Installs the exact versions of the lock.
$(VENV)/.installed: pyproject.toml requirements/lock.txt
	$(PYTHON) scripts/setup_env.py --venv "$(VENV)"

LOCK_TOOL := uv==0.13.8
lock: setup  ## re-resolve requirements/lock.txt to the newest versions pyproject.toml allows (then: make setup refresh)
	$(BIN)/python -m pip install --quiet '$(LOCK_TOOL)'
	$(BIN)/uv pip compile pyproject.toml --extra course --universal --upgrade --custom-compile-command "make lock" \
	    --python-version $(shell sed -n 's/^requires-python = ">=\([0-9.]*\),.*/\1/p' pyproject.toml) \
	    -o requirements/lock.txt

run: setup  ## execute all notebooks headless (papermill) into build/executed/, in order (TRAIN=0: shipped weights)
	$(BIN)/python scripts/run_notebooks.py --from-make --given $(GIVEN)

refresh: setup  ## re-execute the committed notebooks in place, training for real; commit notebooks/trained/ too
	$(BIN)/python scripts/run_notebooks.py --from-make --given $(GIVEN) --in-place

# Two pytest runs side by side (scripts/run_tests.py): the notebooks under nbval, in order, and everything else.
test: setup  ## unit tests, doctests, and every notebook re-executed (shipped weights) and compared by nbval; writes only build/test/
	$(BIN)/python scripts/run_tests.py --folder "$$COURSE_BUILD/test"

test-fast: setup  ## unit tests and doctests only: no training, no processes, no notebooks (under a minute)
	$(BIN)/python -m pytest tests --doctest-modules helpers solutions -m "not integration and not e2e"

lint: setup  ## ruff and notebook-metadata checks on every file (the pre-commit hooks; `pre-commit install` runs them on commit)
	$(BIN)/pre-commit run --all-files

bench: setup  ## benchmarks (not tests): CPU class, pairs, training, profile, the time ledger; JSON in build/bench/
	$(BIN)/python benchmarks/bench_cpu.py --isa all --json "$$COURSE_BUILD/bench/cpu.json"
	$(BIN)/python benchmarks/bench_pairs.py --json "$$COURSE_BUILD/bench/pairs.json"
	$(BIN)/python benchmarks/bench_training.py --repeat 3 --json "$$COURSE_BUILD/bench/training.json"
	$(BIN)/python benchmarks/bench_profile.py --json "$$COURSE_BUILD/bench/profile.json"
	@test -d "$$COURSE_BUILD/executed" || $(MAKE) run
	$(BIN)/python benchmarks/bench_notebooks.py --executed "$$COURSE_BUILD/executed" --json "$$COURSE_BUILD/bench/notebooks.json"

# Not part of `run` or `test`: minutes of training whose JSON notebooks/trained/margin_sweep_mnist.json commits.
margin-sweep: setup  ## train the article's model once per margin (0.5, 1, 2; 1 epoch each); JSON in notebooks/trained/
	$(BIN)/python scripts/margin_sweep.py

# Not part of `run` or `test`: about half an hour of training (2-core AVX-512) whose JSONs
# notebooks/trained/ablation_mnist.json and ablation_7_epochs_mnist.json commit; notebook 12 shows both.
ablation: setup  ## train notebook 12's recipe with one choice undone at a time (2 epochs each), then batch norm's at 7; JSON in notebooks/trained/
	$(BIN)/python scripts/ablation.py
	$(BIN)/python scripts/ablation.py --only "notebook 12's recipe" "no batch normalisation" --epochs 7 --seeds \
	    --out notebooks/trained/ablation_7_epochs_mnist.json

# Not part of `run` or `test`: about a quarter of an hour of training (2-core AVX-512) whose JSON
# notebooks/trained/loss_seeds_mnist.json commits; notebook 14 shows it.
loss-seeds: setup  ## train notebook 14's five losses with seeds 42, 43 and 44 (1 epoch each); JSON in notebooks/trained/
	$(BIN)/python scripts/loss_seeds.py

# For teachers: scripts/make_assignments.py says what the release holds; the README's teacher section, how to use it.
assignments: setup  ## student notebooks without solutions (checks in place) and the grading bundle, in build/assignments/
	$(BIN)/python scripts/make_assignments.py --out "$$COURSE_BUILD/assignments"

# JupyterLab refuses to run as root unless told; containers often run as root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup  ## open the series in JupyterLab
	$(BIN)/jupyter lab notebooks/ $(LAB_ROOT)

html: setup  ## static site of the executed series in build/site/ (SITE_SOURCE=build/executed after make run)
	$(BIN)/python scripts/build_site.py --notebooks "$(SITE_SOURCE)" --out "$$COURSE_BUILD/site"

clean:  ## remove build outputs (models, histories, figures, executed notebooks)
	$(PYTHON) scripts/clean.py "$$COURSE_BUILD"
	rm -rf .pytest_cache

distclean: clean  ## also remove the virtual environment
	rm -rf $(VENV)
