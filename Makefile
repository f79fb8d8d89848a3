# Mocksy developer commands. `make dev` starts Mocksy; `make test` runs every check and test.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_CONSTRAINT := $(CURDIR)/constraints.txt
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: lock help bootstrap dev stop status lint format typecheck contracts events test test-unit test-integration bench

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

lock: bootstrap  ## after changing a dependency: refresh uv.lock and write its pins to constraints.txt
	env -u UV_CONSTRAINT $(UV) lock
	@head -4 constraints.txt > constraints.tmp
	$(UV) export --frozen --all-groups --all-packages --no-hashes --no-emit-workspace --no-header --no-annotate >> constraints.tmp
	@mv constraints.tmp constraints.txt

bootstrap:  ## install uv and the Python environment (idempotent)
	@scripts/bootstrap

dev: bootstrap  ## start the real servers and every service on 127.0.0.1; Ctrl-C stops the services
	@scripts/dev

stop:  ## stop the servers `make dev` started
	@deploy/local/stack down

status:  ## what runs and where: the servers, then the services `make dev` started
	@deploy/local/stack status || true
	@scripts/status

lint: bootstrap  ## ruff lint + format check
	$(UV) run ruff check .
	$(UV) run ruff format --check .

format: bootstrap  ## apply ruff formatting and safe fixes
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

typecheck: bootstrap  ## mypy strict over every package
	$(UV) run mypy libs/common/src services/*/src clients/*/src

contracts: bootstrap  ## services never import each other
	$(UV) run lint-imports

events: bootstrap  ## regenerate docs/events from the event models
	$(UV) run mocksy-events write

test: bootstrap  ## everything CI runs: lint, types, contracts, event docs, unit + integration tests on the real stack
	@scripts/test

test-unit: bootstrap  ## unit and component tests only (no servers)
	$(UV) run pytest -m "not integration"

bench: bootstrap  ## run the benchmarks under bench/ (needs `make dev` for the server ones)
	@for b in bench/*.py; do echo "== $$b"; $(UV) run python $$b || exit 1; done
