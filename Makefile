# The two commands a new user runs (see README.md). Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= runs/demo
DEMO_MINUTES ?= 5

.PHONY: setup demo test clean

$(BIN)/recur: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch 2.13.0 first: a CPU build; a looser pin would pull a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/recur

setup: $(BIN)/recur

# Train a char-level LSTM on the bundled Tiny Shakespeare for a few minutes, then print a sample.
demo: setup
	@if [ -d $(DEMO_OUT)/last ]; then echo "$(DEMO_OUT) is trained already: sampling from it (remove it to train again)"; \
	else $(BIN)/recur train charlm --out $(DEMO_OUT) --minutes $(DEMO_MINUTES); fi
	$(BIN)/recur sample $(DEMO_OUT) --prime "ROMEO:" --length 600 --temperature 0.8 --seed 1; echo

test: setup
	RECUR_DATA=$${RECUR_DATA:-$(abspath ../shared/data)} $(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs
