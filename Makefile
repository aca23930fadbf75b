# Two commands on a fresh machine:
#   make run    set up .venv, build/update the index, serve the chat page
#   make test   set up .venv, run the test suite
VENV      ?= .venv
PY        := $(VENV)/bin/python
PIP       := $(PY) -m pip
STAMP     := $(VENV)/.setup-$(shell cat pyproject.toml Makefile | sha256sum | cut -c1-12)
# portable llama.cpp build (AVX2/FMA), compiled once by pip and cached as a wheel
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
PYTEST_ARGS ?=

.PHONY: setup run test index bench clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch first, pinned: the CPU wheel; a bare `torch` would pull several GB of CUDA
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev]'
	rm -f $(VENV)/.setup-*
	touch $@

run: setup
	$(VENV)/bin/qa serve

index: setup
	$(VENV)/bin/qa index

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) eval/bench_index.py
	$(PY) eval/bench_answer.py

clean-venv:
	rm -rf $(VENV)
