"""Check mode that predicts: on a 3-node Identity Server and API Manager cluster, every state an operator takes it
through (fresh, converged, a node added, a CSR and the CA's reply, a CA certificate added, a separate primary keystore,
new internal and truststore passwords, the move to PKCS12, the secure vault, a rotation) is first run with
--check --diff, which must change no byte and no mode of any file anywhere (the nodes' homes and the controller's
folder), and report per node the changed count of the real run that follows. The diff is a diff: deployment.toml as a
unified diff with its passwords masked, the truststore's added entries; the secret scan covers every run."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

import pki
from sandbox import build_cluster, build_node, write_inventory
from test_production_keystores import PASSWORD, changed, run

NODES = ['node1', 'node2', 'node3']
INTERNAL = 'Check-Internal-Pass-41'
TRUST = 'Check-Trust-Pass-42'


def tree(root):
    """Every file under ``root`` (the nodes' homes and the controller's folder): its SHA-256 and its mode."""
    import hashlib
    found = {}
    for path in sorted(Path(root).rglob('*')):
        if path.is_file() and not path.name.startswith(('vars-', 'results-')):
            found[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(), stat.S_IMODE(path.stat().st_mode))
    return found


def predicted(tmp_path, inventory, product, variables, playbook=None, extra_secrets=()):
    """--check --diff, then the real run: the check run wrote nothing and predicted the changed count per node."""
    before = tree(tmp_path)
    check = run(inventory, product, variables, playbook=playbook, secrets=extra_secrets, extra=['--check', '--diff'])
    after_check = tree(tmp_path)
    assert after_check == before, 'check mode changed %s' % sorted(
        path for path in set(before) | set(after_check) if before.get(path) != after_check.get(path))
    real = run(inventory, product, variables, playbook=playbook, secrets=extra_secrets)
    assert changed(check) == changed(real), 'check mode predicted %s, the run changed %s' % (
        changed(check), changed(real))
    return check, real


def _diffs(output):
    """{path: unified diff text} of the diffs the output shows."""
    found = {}
    for match in re.finditer(r'^--- before: (\S+)\n\+\+\+ after: \S+\n(.*?)(?=^--- before: |^changed: |^ok: |\Z)',
                             output, re.M | re.S):
        found.setdefault(match.group(1), '')
        found[match.group(1)] += match.group(2)
    return found


@pytest.mark.parametrize('product', ['identity_server', 'api_manager'])
def test_check_mode_predicts_every_state_and_shows_a_real_diff(tmp_path, product):
    inventory = build_cluster(tmp_path, product, NODES, PASSWORD)
    variables = {}

    # fresh: the diff shows deployment.toml as a unified diff, passwords masked, and the truststore's new entry
    check, real = predicted(tmp_path, inventory, product, variables)
    diffs = _diffs(check.stdout)
    config = next(text for path, text in diffs.items() if path.endswith('/node1/repository/conf/deployment.toml'))
    assert re.search(r'^@@ .* @@', config, re.M) and re.search(r'^\+file_name = +"wso2(is|am)\.jks"', config, re.M)
    assert re.search(r'^\+password = +"\*\*\*\*\*\*\*\*"', config, re.M) and PASSWORD not in check.stdout
    truststore = next(text for path, text in diffs.items()
                      if path.endswith('/node1/repository/resources/security/client-truststore.jks'))
    assert re.search(r'^\+wso2(is|am): trusted certificate, subject "CN=node1", SHA-256 [0-9A-F:]{95}, expires ',
                     truststore, re.M), truststore
    assert 'debug' not in check.stdout.split('TASK [carbon.keystores.keystore_flow : Write the node')[1][:200]
    assert set(changed(real).values()) != {0}

    # converged: nothing to do, nothing predicted
    check, real = predicted(tmp_path, inventory, product, variables)
    assert set(changed(check).values()) == {0}

    # a node added later
    build_node(tmp_path, product, 'node4', tmp_path / 'pack')
    inventory = write_inventory(tmp_path, product, NODES + ['node4'], PASSWORD)
    check, real = predicted(tmp_path, inventory, product, variables)
    assert changed(real)['node4'] > 0 and changed(real)['node1'] == 0

    # a CSR for the cluster's key, written on the controller (not in check mode), then the CA's reply and a CA
    controller = tmp_path / 'controller'
    controller.mkdir()
    csr = controller / 'cluster.csr'
    variables['%s_csr_path' % product] = str(csr)
    predicted(tmp_path, inventory, product, variables)
    assert csr.exists()
    root = pki.make_ca('Check Root CA')
    corporate = pki.make_ca('Check Corporate CA')
    (controller / 'reply.pem').write_text(pki.pem(pki.sign_csr(csr.read_text(), root)))
    (controller / 'root.pem').write_text(pki.pem(root[1]))
    (controller / 'corporate.pem').write_text(pki.pem(corporate[1]))
    variables.update({'%s_tls_certificate' % product: str(controller / 'reply.pem'),
                      '%s_tls_certificate_chain' % product: [str(controller / 'root.pem')],
                      '%s_ca_certificates' % product: [str(controller / 'corporate.pem')]})
    check, real = predicted(tmp_path, inventory, product, variables)
    truststore = next(text for path, text in _diffs(check.stdout).items()
                      if path.endswith('/node2/repository/resources/security/client-truststore.jks'))
    assert re.search(r'^\+check-corporate-ca: trusted certificate, subject "CN=Check Corporate CA', truststore, re.M), \
        'adding a CA shows the truststore entry it adds:\n' + truststore

    # a separate primary keystore
    variables['%s_separate_primary_keystore' % product] = True
    predicted(tmp_path, inventory, product, variables)

    # the internal keystore and the truststore get passwords of their own: two writes of deployment.toml in one run
    variables.update({'%s_internal_keystore_password' % product: INTERNAL, '%s_truststore_password' % product: TRUST})
    check, real = predicted(tmp_path, inventory, product, variables)
    internal = next(text for path, text in _diffs(check.stdout).items()
                    if path.endswith('/node1/repository/resources/security/wso2carbon.jks'))
    assert '(same entries; changed the store password' in internal

    # the move to PKCS12
    predicted(tmp_path, inventory, product, dict(variables, product_role=product), playbook='migrate_pkcs12.yml',
              extra_secrets={INTERNAL, TRUST})
    # the secure vault
    variables.update({'%s_encrypt_passwords' % product: True, '%s_keystore_password_file' % product: 'persist'})
    check, real = predicted(tmp_path, inventory, product, variables)
    assert re.search(r'^\+password = +"\$secret\{keystore_password\}"', check.stdout, re.M)
    assert INTERNAL not in check.stdout and TRUST not in check.stdout

    # a rotation (stage, each switch, finish): its own key pair, so without the CA's certificate
    rotation = {key: value for key, value in variables.items()
                if not key.endswith(('_tls_certificate', '_tls_certificate_chain', '_csr_path'))}
    rotation.update({'product_role': product, 'rotate_remove_old_certificate': True})
    predicted(tmp_path, inventory, product, rotation, playbook='rotate.yml')
    # and the cluster converged after all of it
    check, real = predicted(tmp_path, inventory, product, rotation)
    assert set(changed(real).values()) == {0}, changed(real)
    assert os.path.exists(csr)
