.PHONY: run test test-all lint format

# Set up and run the site on http://127.0.0.1:8000 (embedded default unless DATABASE_URL/REDIS_URL are set).
run:
	scripts/run

# Set up and run the fast suite: everything but the fault scenarios and the browser tests
# (against PostgreSQL and Redis on 127.0.0.1 when they answer).
test:
	scripts/test -m "not faults and not browser"

# The whole suite: the fast one, the fault scenarios (real servers stopped and restarted) and the browser tests.
test-all:
	scripts/test

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .
