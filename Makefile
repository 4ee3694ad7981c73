# The two commands of the README: `make demo` and `make test`. Both set everything up on first
# use (tools/bootstrap.sh; a second run skips what is done).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stamps/ready

# Fast DDS drops almost every best-effort camera image between processes with its default
# transports on these machines; LARGE_DATA (shared memory + TCP) delivers them (docs/ros.md).
export FASTDDS_BUILTIN_TRANSPORTS ?= LARGE_DATA
# Discovery stays on this machine.
export ROS_AUTOMATIC_DISCOVERY_RANGE ?= LOCALHOST
export PYTHONUNBUFFERED := 1

.PHONY: setup demo test lint typecheck clean

setup:
	@bash tools/bootstrap.sh

demo: setup
	$(VENV)/bin/unipixel-ros demo

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check unipixel_ros test launch tools benchmarks
	$(VENV)/bin/ruff format --check unipixel_ros test launch benchmarks

typecheck: setup
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) build install log out
