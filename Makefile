# Workflow Monitor: the commands. Each target is a script in scripts/ (see README.md).
#   make demo    build (once) and serve the demo on http://127.0.0.1:8069
#   make test    THE test command (also run by .ci/run); make test ARGS="-k name"
#   make i18n    regenerate the translation templates <module>/i18n/<module>.pot
SHELL := /bin/bash
ARGS ?=

.PHONY: help setup demo test test-slow test-n8n lint i18n bench load clean distclean

help:
	@echo "make setup | demo | test [ARGS='pytest args'] | test-slow | test-n8n | lint | i18n | bench | load | clean | distclean"

setup:
	bash scripts/bootstrap.sh

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh $(ARGS)

# Slow reliability tests (real odoo-bin processes: crash/restart, install/uninstall, -u all)
test-slow:
	bash scripts/test_slow.sh $(ARGS)

# Opt-in end-to-end test with a real n8n (Node 24 + n8n in /opt/wm-n8n, about 2 GB):
# ARGS=install|start|run, default all steps
test-n8n:
	bash scripts/n8n_e2e.sh $(ARGS)

lint:
	bash scripts/lint.sh

# Translation templates from Odoo's exporter, on a fresh database wm_i18n with the modules
# of make test (WM_I18N_DB=wm_test make i18n: from that database, e.g. after make test);
# tests/test_i18n.py fails when a committed template is out of date.
i18n:
	bash scripts/i18n.sh

bench:
	bash scripts/bench.sh

# Load test (about 15 minutes, not part of make bench): Locust drives a prefork Odoo on
# 127.0.0.1 with and without the suite (bench/load.py; WM_LOAD_SECONDS, WM_LOAD_ROUNDS...)
load:
	bash scripts/load.sh

# Stops and deletes the private PostgreSQL cluster (all its databases) and the filestore;
# keeps .venv and node_modules (make distclean removes those too).
clean:
	bash scripts/pg.sh remove
	rm -rf .odoo-data .odoo.conf

distclean: clean
	rm -rf .venv node_modules logs
