# Forum: `make run` serves the forum; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := FLASK_APP=wsgi $(VENV)/bin/flask
export FORUM_SHARED_DIR ?= $(abspath ../shared)

.PHONY: run test setup db serve clean bench bench-scale

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

setup: $(VENV)/.installed

db: setup
	$(FLASK) db upgrade
	$(FLASK) forum seed-demo --if-empty

run: db
	@echo "Serving the forum at http://127.0.0.1:5000 (and the worker beside it; Ctrl-C stops both)"
	trap 'kill 0' EXIT INT TERM; $(FLASK) forum worker & $(FLASK) run --host 127.0.0.1 --port 5000

test: setup
	$(VENV)/bin/ruff check forum tests bench migrations wsgi.py
	FORUM_ENV=test $(PY) -m pytest $(PYTEST_ARGS)

# Not part of `make test` or CI: wrk against gunicorn on the reference data (bench/README.md).
bench: setup
	$(PY) bench/run.py $(if $(FULL),--full) $(BENCH_ARGS)

bench-scale: setup
	$(PY) bench/run.py --million $(if $(FULL),--full) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
