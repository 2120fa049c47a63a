# Two commands do all the set-up on a fresh machine (Python >= 3.10):
#   make run    install into .venv (when missing) and run the main job
#   make test   install into .venv (when missing) and run the tests and checks (.ci/run)
VENV ?= .venv
ARGS ?=

.PHONY: install run test

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -e ".[all,dev]" -c constraints.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(VENV)/bin/infertime run $(ARGS)

test: install
	$(VENV)/bin/python -m pytest -n 2
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
