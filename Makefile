# make venv   build .venv (Python deps, ansible-core) and link this checkout as carbon.keystores
# make test   the system packages the tests judge with (installed as root, else the command that does), then
#             unit + integration tests (pytest, nothing skipped) and ansible-test sanity
# make demo   converge a two-node Identity Server sandbox with the collection's playbook, then audit it
# make fuzz   the hypothesis fuzzers at full strength (10,000 inputs per parser; make test runs 200)
# make test-fast  the edit-test loop: unit and fuzz tests that start neither ansible-playbook nor a JVM
# make roles  write the four public roles and the flow's argument spec from tools/role_inputs.yml
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COLLECTION_LINK := $(VENV)/collections/ansible_collections/carbon/keystores
SANITY_ROOT := $(VENV)/sanity/ansible_collections/carbon/keystores
SANITY_TOOLS := $(VENV)/sanity-tools
ANSIBLE_TEST_REQUIREMENTS = $(wildcard $(SANITY_TOOLS)/lib/python3*/site-packages/ansible_test/_data/requirements)

.PHONY: venv test test-fast unit fuzz integration sanity typecheck demo build ee roles clean system-packages

venv: $(VENV)/.installed $(VENV)/wheelhouse/.built

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn ../../../.. $(COLLECTION_LINK)
	touch $@

# Wheels of what a fresh execution environment holds (the collection's requirements, ansible-core, ansible-runner):
# tests/integration/test_galaxy_and_runner.py installs the built collection into a venv of its own from them, since
# tests reach no network.
$(VENV)/wheelhouse/.built: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip wheel --quiet -w $(VENV)/wheelhouse -r requirements.txt \
	  "$$(grep '^ansible-core' requirements-dev.txt)" ansible-runner
	touch $@

# What the tests judge with (JDK 17, chromium, sshd, sudo, ...): tools/system-packages.sh installs what is missing
# when make runs as root, else stops at once with the one command that installs it.
system-packages:
	@tools/system-packages.sh

# CARBON_NO_SKIP: a test that would skip fails instead (tests/conftest.py); make test claims it ran everything.
test: export CARBON_NO_SKIP = 1
test: system-packages typecheck unit integration sanity

typecheck: venv
	cd $(VENV)/collections && $(abspath $(BIN))/python -m mypy --config-file $(abspath mypy.ini) \
	  ansible_collections/carbon/keystores/plugins

unit: venv
	$(BIN)/python -m pytest tests/unit tests/fuzz

test-fast: typecheck
	$(BIN)/python -m pytest -m 'not slow and not jvm' tests/unit tests/fuzz

roles: venv
	$(BIN)/python tools/roles.py

fuzz: venv
	CARBON_FUZZ_EXAMPLES=10000 $(BIN)/python -m pytest tests/fuzz

integration: venv
	$(BIN)/python -m pytest --durations=15 tests/integration

# ansible-test runs from its own venv with its pinned sanity requirements (they differ from ours).
$(SANITY_TOOLS)/.installed: requirements-dev.txt
	test -x $(SANITY_TOOLS)/bin/python || $(PYTHON) -m venv $(SANITY_TOOLS)
	$(SANITY_TOOLS)/bin/python -m pip install --quiet "$$(grep '^ansible-core' requirements-dev.txt)"
	cat $(SANITY_TOOLS)/lib/python3*/site-packages/ansible_test/_data/requirements/sanity.*.txt \
	  | grep -v '^#' | sort -u > $(SANITY_TOOLS)/sanity-requirements.txt
	$(SANITY_TOOLS)/bin/python -m pip install --quiet -r $(SANITY_TOOLS)/sanity-requirements.txt
	touch $@

# ansible-test wants the collection under ansible_collections/<ns>/<name>: test a copy of
# the files git knows about (tracked or not ignored). Each sanity test's own virtualenv is
# bootstrapped with tests/sanity/get_pip_offline.py instead of a download (see that file).
sanity: venv $(SANITY_TOOLS)/.installed
	rm -rf $(VENV)/sanity && mkdir -p $(SANITY_ROOT)
	git ls-files --cached --others --exclude-standard -z | xargs -0 cp --parents -t $(SANITY_ROOT)
	mkdir -p $(HOME)/.ansible/test/cache
	for version in $$(grep -ho "pip='[0-9.]*'" $(SANITY_TOOLS)/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py \
	    | grep -o "[0-9.]*[0-9]"); do \
	  cp tests/sanity/get_pip_offline.py $(HOME)/.ansible/test/cache/get_pip_$$(echo $$version | tr . _).py; done
	# a sanity test whose program is missing (shellcheck) only warns and skips: here it fails, as a skip does under
	# make test
	cd $(SANITY_ROOT) && git init -q . && git add -A && \
	  { $(abspath $(SANITY_TOOLS))/bin/ansible-test sanity --venv --python 3.11 --color no > ../sanity.log 2>&1; \
	    status=$$?; cat ../sanity.log; [ $$status -eq 0 ] && ! grep 'Required program .* not found' ../sanity.log; }

# A two-node Identity Server sandbox in a temporary folder, converged by the collection's own playbook,
# then the audit summary. The passwords (keystore, the internal keystore's own, truststore) are random and
# printed nowhere, so no pack password is left behind, and they sit in the secure vault, not in clear text.
# ansible-core 2.19's own start-up warning under cryptography 51 (README.md, Install from Galaxy)
demo: export PYTHONWARNINGS = ignore::UserWarning:ansible._internal._ssh._ssh_agent
demo: venv
	@sandbox=$$(mktemp -d -t carbon-keystores-demo.XXXXXX) && \
	  password=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(16))') && \
	  internal=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(16))') && \
	  trust=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(16))') && \
	  printf '%s\n' '[identity_server]' "node1 identity_server_home=$$sandbox/node1" \
	    "node2 identity_server_home=$$sandbox/node2" '' '[identity_server:vars]' 'ansible_connection=local' \
	    "ansible_python_interpreter=$(abspath $(BIN))/python" "identity_server_keystore_password=$$password" \
	    "identity_server_internal_keystore_password=$$internal" "identity_server_truststore_password=$$trust" \
	    "identity_server_encrypt_passwords=true" "identity_server_keystore_password_file=persist" \
	    > $$sandbox/inventory.ini && \
	  $(BIN)/ansible-playbook -i $$sandbox/inventory.ini demo/sandbox.yml && \
	  $(BIN)/ansible-playbook -i $$sandbox/inventory.ini playbooks/identity_server.yml && \
	  $(BIN)/ansible-playbook -i $$sandbox/inventory.ini playbooks/audit.yml && \
	  echo "The sandbox stays in $$sandbox"

build: venv
	$(BIN)/ansible-galaxy collection build --force .

# Tower/AWX: an ansible-builder (v3) context with the collection and its Python needs in build/ee/context.
ee: venv
	rm -rf build/ee && mkdir -p build/ee
	$(BIN)/ansible-galaxy collection build --force --output-path build/ee .
	mv build/ee/carbon-keystores-*.tar.gz build/ee/carbon-keystores.tar.gz
	cp execution-environment.yml requirements.txt build/ee/
	cd build/ee && $(abspath $(BIN))/ansible-builder create --file execution-environment.yml --context context

clean:
	rm -rf $(VENV) build carbon-keystores-*.tar.gz
