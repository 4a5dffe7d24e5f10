# Contrastive learning course — `make help` lists the targets.
#
# Variables you may override:  make run EPOCHS=1 SEED=7   make run TRAIN=0   make setup PYTHON=python3.11
PYTHON ?= python3
VENV   ?= .venv
BUILD  ?= build
BIN    := $(VENV)/bin
SITE_SOURCE ?= notebooks

# Notebook parameters passed to papermill only when set (otherwise each notebook's own defaults apply).
PARAMS := $(if $(EPOCHS),-p EPOCHS $(EPOCHS)) $(if $(SEED),-p SEED $(SEED)) \
          $(if $(BATCH_SIZE),-p BATCH_SIZE $(BATCH_SIZE)) $(if $(DATASET),-p DATASET $(DATASET)) \
          $(if $(TRAIN),-p TRAIN $(TRAIN)) $(if $(ONLY),--only $(ONLY))

# Offline machines keep a verified copy of MNIST beside the project; use it when it is there.
SHARED_MNIST := $(abspath ../shared/data/mnist)
ifneq ($(wildcard $(SHARED_MNIST)/train-images-idx3-ubyte*),)
export MNIST_DIR ?= $(SHARED_MNIST)
endif

# No cell time limit (tests/conftest.py lifts nbval's): under test the training notebooks replay the weights
# that `make refresh` committed (COURSE_REPLAY=1), so no cell trains, and a slow CPU trips no fixed limit.
NBVAL_OPTS := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.DEFAULT_GOAL := help
.PHONY: help all setup run refresh test test-fast lint bench lab html clean distclean

help:  ## show this help
	@echo "Contrastive learning course"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Overridable: PYTHON=$(PYTHON) VENV=$(VENV) EPOCHS SEED BATCH_SIZE DATASET TRAIN ONLY (e.g. make run DATASET=fashion_mnist)"

all: setup run  ## set up everything and run the whole series (a fresh machine's first command)

setup: $(VENV)/.installed  ## create the virtual environment, install dependencies and the Jupyter kernel

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "Python 3.11 or newer is needed: make setup PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --editable '.[course]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (contrastive course)" >/dev/null
	@touch $@
	@echo "Environment ready in $(VENV)/"

run: setup  ## execute all notebooks headless (papermill) into build/executed/, in order (TRAIN=0: shipped weights)
	$(BIN)/python scripts/run_notebooks.py --output-dir $(BUILD)/executed -p BUILD_DIR '"$(abspath $(BUILD))"' $(PARAMS)

refresh: setup  ## re-execute the committed notebooks in place, training for real; commit notebooks/trained/ too
	$(BIN)/python scripts/run_notebooks.py --in-place $(if $(ONLY),--only $(ONLY))

test: setup  ## unit tests, doctests, and every notebook re-executed (shipped weights) and compared by nbval
	COURSE_REPLAY=1 $(BIN)/python -m pytest tests --doctest-modules helpers solutions notebooks $(NBVAL_OPTS) \
	    --junitxml=$(BUILD)/test-report.xml

test-fast: setup  ## unit tests and doctests only (no notebooks)
	$(BIN)/python -m pytest tests --doctest-modules helpers solutions

lint: setup  ## ruff and notebook-metadata checks on every file (the pre-commit hooks; `pre-commit install` runs them on commit)
	$(BIN)/pre-commit run --all-files

bench: setup  ## benchmarks (not tests): CPU class, pairs, training, profile, the time ledger; JSON in build/bench/
	$(BIN)/python benchmarks/bench_cpu.py --isa all --json $(BUILD)/bench/cpu.json
	$(BIN)/python benchmarks/bench_pairs.py --json $(BUILD)/bench/pairs.json
	$(BIN)/python benchmarks/bench_training.py --repeat 3 --json $(BUILD)/bench/training.json
	$(BIN)/python benchmarks/bench_profile.py --json $(BUILD)/bench/profile.json
	@test -d $(BUILD)/executed || $(MAKE) run
	$(BIN)/python benchmarks/bench_notebooks.py --executed $(BUILD)/executed --json $(BUILD)/bench/notebooks.json

# JupyterLab refuses to run as root unless told; containers often run as root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup  ## open the series in JupyterLab
	$(BIN)/jupyter lab notebooks/ $(LAB_ROOT)

html: setup  ## static site of the executed series in build/site/ (SITE_SOURCE=build/executed after make run)
	$(BIN)/python scripts/build_site.py --notebooks $(SITE_SOURCE) --out $(BUILD)/site

clean:  ## remove build outputs (models, histories, figures, executed notebooks)
	rm -rf $(BUILD) .pytest_cache

distclean: clean  ## also remove the virtual environment
	rm -rf $(VENV)
