# The two commands a newcomer needs: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck pytest demo install clean

$(STAMP): requirements.txt
	@command -v $(PY) >/dev/null 2>&1 || { echo "make: $(PY) not found (Python 3.11 or newer is needed; try make PY=python3)"; exit 2; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy core daemon console run_daemon.py run_console.py

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

# The demo daemon in the background, the console in the foreground; Ctrl-C stops both.
demo: $(STAMP)
	@$(BIN)/python run_daemon.py --demo & daemon=$$!; \
	trap 'kill $$daemon 2>/dev/null; wait $$daemon 2>/dev/null' INT TERM EXIT; \
	$(BIN)/python run_console.py --demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
