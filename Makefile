# make run  - create/update .venv, install Workdeck, open the window
# make translations - regenerate resources/translations (.ts from the sources, .qm)
# make test - create/update .venv with the test extra, run the whole suite offscreen
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench lint clean translations

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.stamp-app: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.stamp-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.stamp-bench: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

run: $(VENV)/.stamp-app
	$(VENV)/bin/workdeck

test: $(VENV)/.stamp-test
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest --durations=15

bench: $(VENV)/.stamp-bench
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest tests/bench -s -p no:randomly --timeout=1800

translations: $(VENV)/.stamp-app
	$(PY) tools/translations.py

clean:
	rm -rf $(VENV)
