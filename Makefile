# Two commands on a fresh machine:
#   make run    set up .venv, build/update the index, serve the chat page
#   make test   set up .venv, run the test suite
VENV      ?= .venv
PY        := $(VENV)/bin/python
PIP       := $(PY) -m pip
STAMP     := $(VENV)/.setup-$(shell cat pyproject.toml Makefile constraints.txt | sha256sum | cut -c1-12)
# llama.cpp is compiled from source once per CPU type, for the vector extensions
# this CPU lists (AVX2/FMA always; AVX-512 and VNNI when /proc/cpuinfo has them:
# about 1.3x the prompt speed of the AVX2 build on this machine, see README),
# and kept as a wheel in a wheelhouse named after those flags. Never AMX and never
# -march=native: AMX is listed here but faults ("Illegal instruction") in this VM.
LLAMA_CPP_VERSION := 0.3.36
CPUFLAGS := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has = $(if $(strip $(filter-out $(CPUFLAGS),$(1))),OFF,ON)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
  -DGGML_AVX_VNNI=$(call has,avx_vnni) \
  -DGGML_AVX512=$(call has,avx512f avx512cd avx512vl avx512dq avx512bw) \
  -DGGML_AVX512_VBMI=$(call has,avx512f avx512vbmi) -DGGML_AVX512_VNNI=$(call has,avx512f avx512_vnni) \
  -DGGML_AVX512_BF16=$(call has,avx512f avx512_bf16) -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
WHEELHOUSE ?= $(HOME)/.cache/qa-assistant/wheels/llama-cpp-$(LLAMA_CPP_VERSION)-$(shell echo '$(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-10)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
PYTEST_ARGS ?=

.PHONY: setup run test lint format lock index bench clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch first, pinned: the CPU wheel; a bare `torch` would pull several GB of CUDA
	$(PIP) install --quiet torch==2.13.0
	test -n "$$(ls $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl 2>/dev/null)" || \
	  CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)' $(PIP) wheel --quiet --no-deps --no-cache-dir --no-binary llama-cpp-python \
	    llama-cpp-python==$(LLAMA_CPP_VERSION) -w $(WHEELHOUSE)
	$(PIP) install --quiet --no-deps --force-reinstall $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(PIP) install --quiet --find-links $(WHEELHOUSE) -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.setup-*
	touch $@

run: setup
	$(VENV)/bin/qa serve

index: setup
	$(VENV)/bin/qa index

# the whole suite runs the transformers test in a process of its own: it holds the model
# dequantised to bfloat16 (5.5 GB), so neither process peaks much above one model (docs/serving.md)
test: setup
ifeq ($(strip $(PYTEST_ARGS)),)
	$(PY) -m pytest --ignore=tests/test_backends_transformers.py
	$(PY) -m pytest tests/test_backends_transformers.py
else
	$(PY) -m pytest $(PYTEST_ARGS)
endif

# ruff (lint + format check) and mypy; .ci/run calls this before the tests
lint: setup
	$(VENV)/bin/ruff check qa tests eval ui.py
	$(VENV)/bin/ruff format --check qa tests eval ui.py
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff check --fix qa tests eval ui.py
	$(VENV)/bin/ruff format qa tests eval ui.py

# constraints.txt pins every tested version. `make lock` upgrades the project's
# direct dependencies to the newest releases pyproject allows and writes the
# result; run `make test` after it and commit both.
# torch and llama-cpp-python are pinned by the install steps above, not here.
lock: setup
	$(PIP) install --quiet --upgrade --find-links $(WHEELHOUSE) -e '.[dev]'
	{ echo '# Tested versions, used by `make setup` (pip -c). Refresh: make lock'; \
	  $(PIP) freeze --exclude-editable | grep -viE '^(torch|llama[-_]cpp[-_]python|pip|setuptools|wheel)( |=|@)'; } > constraints.txt

bench: setup
	$(PY) eval/bench_index.py
	$(PY) eval/bench_answer.py

clean-venv:
	rm -rf $(VENV)
