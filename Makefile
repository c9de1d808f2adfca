# make venv   build .venv (Python deps, ansible-core) and link this checkout as carbon.keystores
# make test   unit + integration tests (pytest) and ansible-test sanity
# make demo   create a keystore in a sandbox Identity Server home and describe it
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COLLECTION_LINK := $(VENV)/collections/ansible_collections/carbon/keystores
SANITY_ROOT := $(VENV)/sanity/ansible_collections/carbon/keystores

.PHONY: venv test unit integration sanity demo build clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn ../../../.. $(COLLECTION_LINK)
	touch $@

test: unit integration sanity

unit: venv
	$(BIN)/python -m pytest tests/unit

integration: venv
	$(BIN)/python -m pytest tests/integration

# ansible-test wants the collection under ansible_collections/<ns>/<name>: test a copy of
# the files git knows about (tracked or not ignored).
sanity: venv
	rm -rf $(VENV)/sanity && mkdir -p $(SANITY_ROOT)
	git ls-files --cached --others --exclude-standard -z | xargs -0 cp --parents -t $(SANITY_ROOT)
	cd $(SANITY_ROOT) && git init -q . && git add -A && \
	  $(abspath $(BIN))/ansible-test sanity --venv --python 3.11 --color no

demo: venv
	$(BIN)/python tests/demo/run_demo.py

build: venv
	$(BIN)/ansible-galaxy collection build --force .

clean:
	rm -rf $(VENV) build carbon-keystores-*.tar.gz
