# Developer entry points. On a fresh Debian 12 machine, as root:
#   make run    set up, then serve the platform on http://127.0.0.1:5000
#   make test   set up, then run the whole test suite (fails loudly if anything is missing)
# Set-up installs only what is missing; a second run takes a few seconds.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV  := .venv
PY    := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
STAMP := $(VENV)/.stamp-requirements
HOST  ?= 127.0.0.1
PORT  ?= 5000

# Debian packages (README.md says why each one is here). python3-venv is added when python3 has
# no ensurepip (Debian's own python3 without it cannot make a virtualenv).
APT_PACKAGES := openssl time softhsm2 postgresql poppler-utils chromium libnss3-tools \
                fonts-wqy-zenhei opensc gnutls-bin
# Programs the tests call; `make test` stops with a message naming the first one missing.
REQUIRED_TOOLS := openssl softhsm2-util pdfsig pdftoppm pdffonts certutil pkcs11-tool runuser /usr/bin/time \
                  /usr/lib/chromium/chromium

.PHONY: help run demo test setup system venv db check-tools clean clean-instance

help:
	@echo "make run             set up and serve on http://$(HOST):$(PORT) (gunicorn, gthread)"
	@echo "make demo            set up, then run one tender end to end (instance/demo/scenario/)"
	@echo "make test            set up and run the whole test suite"
	@echo "make setup           Debian packages, .venv, database migrations"
	@echo "make clean           remove .venv and caches (keeps instance/)"
	@echo "make clean-instance  remove instance/ (development database, files, dev CA, secret key)"

setup: system venv db

system:
	@missing=""; extra=""; \
	python3 -c 'import ensurepip' 2>/dev/null || extra=python3-venv; \
	for p in $(APT_PACKAGES) $$extra; do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  apt-get update -q; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	    -o DPkg::Lock::Timeout=300 $$missing; \
	fi

venv: $(STAMP)

# Rebuilt only when requirements.txt or pyproject.toml is newer than the stamp.
$(STAMP): requirements.txt pyproject.toml | system
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

db: venv
	$(FLASK) db upgrade

check-tools: system
	@for tool in $(REQUIRED_TOOLS); do \
	  command -v "$$tool" >/dev/null || { echo "MISSING: $$tool (see README.md, Debian packages)" >&2; exit 1; }; \
	done
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || { echo "MISSING: PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)" >&2; exit 1; }

# HOST and PORT reach the application too: its public base URL (EBID_BASE_URL, default
# http://$HOST:$PORT) goes into the CRL addresses of the certificates setup-dev issues and the pages.
run: export HOST := $(HOST)
run: export PORT := $(PORT)
# The scheduler process (flask scheduler: closing, opening windows, notices, housekeeping) runs
# beside the web server and stops with it.
run: setup
	$(FLASK) setup-dev
	@$(FLASK) scheduler & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	  $(VENV)/bin/gunicorn --worker-class gthread --workers 2 --threads 16 --timeout 300 \
	  --bind $(HOST):$(PORT) wsgi:app

# One tender end to end with the demo parties on a clock the command advances (flask demo scenario):
# its steps are printed (on through the evaluation, award and contract), its receipts, PDFs,
# transcript and OCDS package left in instance/demo/scenario/.
demo: setup
	$(FLASK) setup-dev
	$(FLASK) demo scenario

# Each run gets its own temporary root (pytest's default /tmp/pytest-of-root is shared, and keeps
# only the last three runs), so two runs on one machine cannot delete each other's files; the
# PostgreSQL server, SoftHSM tokens and ports of the tests are made per run too.
test: setup check-tools
	@base=$$(mktemp -d /tmp/ebid-test.XXXXXX); trap 'rm -rf "$$base"' EXIT; \
	  $(PY) -m pytest -p no:cacheprovider --basetemp="$$base/pytest" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

clean-instance:
	rm -rf instance
