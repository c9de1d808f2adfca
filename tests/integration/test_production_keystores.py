"""Production keystores through the product roles: a CA-signed TLS keystore from PEM (and its renewal), a
CSR and the CA's reply, a separate primary keystore, and no pack password left behind. A test CA made here
with cryptography; keytool and a JDK TLS handshake judge the nodes."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
import tomlkit
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

import pki
from helpers import (
    ROOT, VENV_BIN, command_secrets, java_keycheck, keytool, keytool_entries, scan_for_secrets, sha256_file, tls_handshake,
)
from sandbox import CONFIG, PACK_PASSWORD, SECURITY, build_cluster
from test_roles import recap, tls_settings

PASSWORD = 'Production-Pass-2026'
PASSPHRASE = 'Key-Passphrase-77'
NODES = ['node1', 'node2', 'node3']


def run(inventory, product, variables=None, playbook=None, check=True, secrets=(), extra=()):
    """The product playbook with ``variables`` in a vars file (-e @file), scanned for every secret it holds;
    ``extra``: more arguments (--check, --diff)."""
    command = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory),
               str(ROOT / 'playbooks' / (playbook or '%s.yml' % product))] + list(extra)
    if variables:
        path = Path(inventory).parent / ('vars-%d.yml' % len(list(Path(inventory).parent.glob('vars-*.yml'))))
        path.write_text(yaml.safe_dump(variables))
        command += ['-e', '@%s' % path]
    done = subprocess.run(command, capture_output=True, text=True, cwd=str(ROOT), check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR='1'))
    output = done.stdout + done.stderr
    scan_for_secrets(output, command_secrets(command, inventory) | {PASSWORD, PASSPHRASE} | set(secrets),
                     [Path(inventory).parent])
    if check:
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    return done


def changed(done):
    return {host: counts['changed'] for host, counts in recap(done.stdout).items()}


def node_files(root, nodes):
    return {path: sha256_file(path) for node in nodes for path in sorted((root / node).rglob('*')) if path.is_file()}


def root_truststore(tmp_path, root_cert):
    """A JKS truststore that holds only the CA's root: what a client of the cluster would have."""
    (tmp_path / 'root.pem').write_text(pki.pem(root_cert))
    path = tmp_path / 'clients.jks'
    if not path.exists():
        keytool('-importcert', '-noprompt', '-keystore', path, '-storetype', 'JKS', '-storepass', 'clients',
                '-alias', 'root', '-file', tmp_path / 'root.pem')
    return path


def serves(tmp_path, home, product, trust, alias=None):
    tls, _data = tls_settings(home, product)
    ok, served = tls_handshake(tmp_path, tls['keystore'], tls['type'], tls['password'], tls['key_password'], trust,
                               'JKS', 'clients', alias or tls['alias'])
    assert ok, served
    return served, tls


def public_key(home, product):
    """SHA-256 of the public key keytool exports from the node's TLS keystore: it stays when a certificate is renewed."""
    tls, _data = tls_settings(home, product)
    exported = keytool('-exportcert', '-rfc', '-keystore', tls['keystore'], '-storepass', tls['password'],
                       '-alias', tls['alias']).stdout
    spki = x509.load_pem_x509_certificate(exported.encode()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def _sha256(cert):
    """The certificate's SHA-256 fingerprint as keytool and TlsCheck print it."""
    return ':'.join('%02X' % byte for byte in cert.fingerprint(hashes.SHA256()))


@pytest.mark.parametrize('product', ['identity_server', 'api_manager'])
def test_a_ca_signed_tls_keystore_from_pem_serves_every_node_and_renews_keeping_the_key(tmp_path, product):
    inventory = build_cluster(tmp_path, product, NODES, PASSWORD)
    root = pki.make_ca('Production Root CA')
    intermediate = pki.make_ca('Production Issuing CA', parent=root)
    key = pki.new_key()
    first = pki.issue(key.public_key(), 'cluster.example.org', intermediate, sans=['localhost', 'cluster.example.org'])
    (tmp_path / 'tls.crt').write_text(pki.pem(first))
    (tmp_path / 'issuing.pem').write_text(pki.pem(intermediate[1]))
    (tmp_path / 'root-ca.pem').write_text(pki.pem(root[1]))
    variables = {'%s_tls_certificate' % product: str(tmp_path / 'tls.crt'),
                 '%s_tls_private_key' % product: pki.key_pem(key, PASSPHRASE),  # inline, as from a vault
                 '%s_tls_private_key_passphrase' % product: PASSPHRASE,
                 '%s_tls_certificate_chain' % product: [str(tmp_path / 'root-ca.pem'), str(tmp_path / 'issuing.pem')]}
    converged = run(inventory, product, variables)
    assert all(count > 0 for count in changed(converged).values())
    trust = root_truststore(tmp_path, root[1])
    keys = set()
    for name in NODES:
        served, tls = serves(tmp_path, tmp_path / name, product, trust)
        assert served == _sha256(first)
        (entry,) = [e for e in keytool_entries(tls['keystore'], tls['password']) if e['alias'] == tls['alias']]
        assert entry['type'] == 'PrivateKeyEntry' and entry['chain_length'] == 3
        keys.add(public_key(tmp_path / name, product))
    assert len(keys) == 1

    assert changed(run(inventory, product, variables)) == {name: 0 for name in NODES}

    # A renewed certificate for the same key: the chain is replaced on every node, the key stays.
    renewed = pki.issue(key.public_key(), 'cluster.example.org', intermediate, days=400,
                        sans=['localhost', 'cluster.example.org'])
    (tmp_path / 'tls.crt').write_text(pki.pem(renewed))
    run(inventory, product, variables)
    for name in NODES:
        served, _tls = serves(tmp_path, tmp_path / name, product, trust)
        assert served == _sha256(renewed) and public_key(tmp_path / name, product) in keys
    assert changed(run(inventory, product, variables)) == {name: 0 for name in NODES}


def test_a_csr_is_written_once_for_the_cluster_and_the_reply_imported_on_every_node(tmp_path):
    product = 'identity_server'
    inventory = build_cluster(tmp_path, product, NODES, PASSWORD)
    csr = tmp_path / 'controller' / 'cluster.csr'
    csr.parent.mkdir()
    run(inventory, product, {'identity_server_csr_path': str(csr)})
    assert csr.read_text().startswith('-----BEGIN CERTIFICATE REQUEST-----')
    written = sha256_file(csr)
    assert changed(run(inventory, product, {'identity_server_csr_path': str(csr)})) == {name: 0 for name in NODES}
    assert sha256_file(csr) == written, 'the request is written once per cluster'
    before = {name: public_key(tmp_path / name, product) for name in NODES}
    assert len(set(before.values())) == 1

    # A reply for another key fails in the preflight, and no file changes on any node.
    root = pki.make_ca('Reply Root CA')
    (tmp_path / 'root.pem').write_text(pki.pem(root[1]))
    stranger = pki.issue(pki.new_key().public_key(), 'node.example.org', root)
    (tmp_path / 'stranger.pem').write_text(pki.pem(stranger))
    files = node_files(tmp_path, NODES)
    refused = run(inventory, product, {'identity_server_tls_certificate': str(tmp_path / 'stranger.pem'),
                                       'identity_server_tls_certificate_chain': [str(tmp_path / 'root.pem')]}, check=False)
    assert refused.returncode != 0
    assert 'identity_server_tls_certificate: the certificate "CN=node.example.org, O=Carbon Tests" is not for the key' \
        in refused.stdout
    assert node_files(tmp_path, NODES) == files

    reply = pki.sign_csr(csr.read_text(), root)
    (tmp_path / 'reply.pem').write_text(pki.pem(reply))
    reply_vars = {'identity_server_tls_certificate': str(tmp_path / 'reply.pem'),
                  'identity_server_tls_certificate_chain': [str(tmp_path / 'root.pem')]}
    run(inventory, product, reply_vars)
    trust = root_truststore(tmp_path, root[1])
    for name in NODES:
        tls, _data = tls_settings(tmp_path / name, product)
        (entry,) = [e for e in keytool_entries(tls['keystore'], tls['password']) if e['alias'] == tls['alias']]
        assert entry['type'] == 'PrivateKeyEntry' and entry['chain_length'] == 2
        assert public_key(tmp_path / name, product) == before[name]
        served, _tls = serves(tmp_path, tmp_path / name, product, trust)
        assert served == _sha256(reply)
    assert changed(run(inventory, product, reply_vars)) == {name: 0 for name in NODES}


# (Micro Integrator reads no [keystore.tls]: test_mi_versions.py shows the role refuse a separate primary keystore there)
@pytest.mark.parametrize('product', ['identity_server', 'api_manager'])
def test_a_separate_primary_keystore_has_its_own_key_and_file_on_every_node(tmp_path, product):
    inventory = build_cluster(tmp_path, product, NODES, PASSWORD)
    run(inventory, product)  # first without: primary and TLS share the cluster's key pair
    pack = next(e['sha256'] for e in keytool_entries(tmp_path / 'pack' / 'wso2carbon.jks', PACK_PASSWORD))
    tls_before = {name: sha256_file(tls_settings(tmp_path / name, product)[0]['keystore']) for name in NODES}
    separate = {'%s_separate_primary_keystore' % product: True}
    run(inventory, product, separate)
    primaries, tls_keys = set(), set()
    for name in NODES:
        home = tmp_path / name
        data = tomlkit.parse((home / CONFIG[product][1]).read_text()).unwrap()['keystore']
        primary, tls = data['primary'], data['tls']
        assert primary['file_name'] != tls['file_name']

        def path(file_name):
            return home / file_name if '/' in file_name else home / SECURITY / file_name
        primary_entry = next(e for e in keytool_entries(path(primary['file_name']), primary['password'])
                             if e['alias'] == primary['alias'])
        tls_entry = next(e for e in keytool_entries(path(tls['file_name']), tls['password']) if e['alias'] == tls['alias'])
        primaries.add(primary_entry['sha256'])
        tls_keys.add(tls_entry['sha256'])
        assert sha256_file(path(tls['file_name'])) == tls_before[name], 'the TLS keystore stays as it was'
        internal = data['internal']
        assert next(e['sha256'] for e in keytool_entries(path(internal['file_name']), internal['password'])
                    if e['alias'] == internal['alias']) == pack
    assert len(primaries) == 1 and len(tls_keys) == 1 and primaries != tls_keys
    assert changed(run(inventory, product, separate)) == {name: 0 for name in NODES}


def test_no_pack_password_is_left_behind(tmp_path):
    product = 'api_manager'
    inventory = build_cluster(tmp_path, product, NODES, PASSWORD)
    truststore = tmp_path / 'node1' / SECURITY / 'client-truststore.jks'
    count = len(keytool_entries(truststore, PACK_PASSWORD))
    pack = next(e['sha256'] for e in keytool_entries(tmp_path / 'pack' / 'wso2carbon.jks', PACK_PASSWORD))
    passwords = {'api_manager_internal_keystore_password': 'Internal-Own-Pass-1',
                 'api_manager_truststore_password': 'Trust-Own-Pass-2'}
    run(inventory, product, passwords)
    for name in NODES:
        security = tmp_path / name / SECURITY
        (entry,) = keytool_entries(security / 'wso2carbon.jks', 'Internal-Own-Pass-1')
        assert entry['sha256'] == pack, 'the internal key and certificate stay'
        assert keytool('-list', '-keystore', security / 'wso2carbon.jks', '-storepass', PACK_PASSWORD,
                       check=False).returncode != 0
        # one more trusted certificate: the cluster's own
        assert len(keytool_entries(security / 'client-truststore.jks', 'Trust-Own-Pass-2')) == count + 1
        data = tomlkit.parse((tmp_path / name / CONFIG[product][1]).read_text()).unwrap()
        assert data['keystore']['internal']['password'] == data['keystore']['internal']['key_password'] == \
            'Internal-Own-Pass-1'
        assert data['truststore']['password'] == 'Trust-Own-Pass-2'
    assert changed(run(inventory, product, passwords)) == {name: 0 for name in NODES}
    audit = run(inventory, product, playbook='audit.yml')
    assert 'documented default password' not in audit.stdout and 'pack_default_keystore' not in audit.stdout
    assert 'finding' in audit.stdout  # the audit ran and printed its findings line


def test_a_run_that_stopped_after_re_protecting_the_internal_keystore_is_finished_by_the_next(tmp_path):
    """As if a run died between the file and the configuration: the internal keystore already opens with the new
    password only, the configuration still names the old one. The next run accepts it and writes the configuration."""
    product = 'identity_server'
    inventory = build_cluster(tmp_path, product, ['node1', 'node2'], PASSWORD)
    run(inventory, product)
    security = tmp_path / 'node1' / SECURITY
    keytool('-storepasswd', '-keystore', security / 'wso2carbon.jks', '-storepass', PACK_PASSWORD, '-new', 'Internal-New-1')
    keytool('-keypasswd', '-keystore', security / 'wso2carbon.jks', '-storepass', 'Internal-New-1', '-alias', 'wso2carbon',
            '-keypass', PACK_PASSWORD, '-new', 'Internal-New-1')
    finished = run(inventory, product, {'identity_server_internal_keystore_password': 'Internal-New-1'},
                   secrets={'Internal-New-1'})
    assert changed(finished)['node1'] > 0
    for name in ('node1', 'node2'):
        data = tomlkit.parse((tmp_path / name / CONFIG[product][1]).read_text()).unwrap()
        assert data['keystore']['internal']['password'] == 'Internal-New-1'
        assert keytool_entries(tmp_path / name / SECURITY / 'wso2carbon.jks', 'Internal-New-1')[0]['alias'] == 'wso2carbon'
    # and a node whose internal keystore opens with neither password stops every node before any change
    keytool('-storepasswd', '-keystore', tmp_path / 'node2' / SECURITY / 'wso2carbon.jks', '-storepass', 'Internal-New-1',
            '-new', 'Someone-Else-9')
    files = node_files(tmp_path, ['node1', 'node2'])
    refused = run(inventory, product, {'identity_server_internal_keystore_password': 'Internal-Newer-2'}, check=False,
                  secrets={'Internal-Newer-2', 'Someone-Else-9'})
    assert refused.returncode != 0 and 'opens neither with the password the configuration names nor with ' \
        'identity_server_internal_keystore_password' in refused.stdout
    assert node_files(tmp_path, ['node1', 'node2']) == files


def test_signing_keystores_of_their_own_are_one_key_for_the_cluster_trusted_and_audited(tmp_path):
    """Identity Server's [keystore.saml], and a custom keystore mapped to OAuth."""
    product = 'identity_server'
    nodes = NODES[:2]
    inventory = build_cluster(tmp_path, product, nodes, PASSWORD)
    run(inventory, product)
    for name in nodes:
        # without the switch no [keystore.saml] is written: Identity Server signs with the primary keystore
        assert 'saml' not in tomlkit.parse((tmp_path / name / CONFIG[product][1]).read_text()).unwrap()['keystore']
    saml = {'identity_server_separate_saml_keystore': True}

    before = node_files(tmp_path, nodes)
    predicted = run(inventory, product, saml, extra=('--check', '--diff'))
    assert node_files(tmp_path, nodes) == before, 'check mode writes nothing'
    assert '[keystore.saml]' in predicted.stdout, 'the diff shows the new table'
    applied = run(inventory, product, saml)
    assert changed(applied) == changed(predicted) and all(changed(applied).values())

    keys, trusted = set(), []
    for name in nodes:
        home = tmp_path / name
        data = tomlkit.parse((home / CONFIG[product][1]).read_text()).unwrap()
        table = data['keystore']['saml']
        assert table['file_name'] == 'wso2is-saml.jks' and table['alias'] == 'wso2is-saml'
        entry = next(e for e in keytool_entries(home / SECURITY / table['file_name'], table['password'])
                     if e['alias'] == table['alias'])
        assert entry['type'] == 'PrivateKeyEntry'
        keycheck = java_keycheck(home / SECURITY / table['file_name'], table['type'], table['password'],
                                 table['alias'], table['key_password'])
        assert keycheck.returncode == 0, keycheck.stdout + keycheck.stderr
        tls, _data = tls_settings(home, product)
        served = next(e['sha256'] for e in keytool_entries(tls['keystore'], tls['password'])
                      if e['alias'] == tls['alias'])
        assert entry['sha256'] != served, 'SAML assertions are signed with a key of their own'
        keys.add(entry['sha256'])
        trusted.append({e['sha256'] for e in keytool_entries(tls['truststore'], tls['truststore_password'])})
    (saml_key,) = keys
    assert all(saml_key in found for found in trusted), 'every node trusts the SAML signing certificate'

    assert changed(run(inventory, product, saml)) == {name: 0 for name in nodes}
    # asked for a primary keystore and an OAuth one of their own as well, the SAML one stays as it is; the OAuth key
    # is a [[keystore.custom]] element that [keystore.mapping.oauth] names
    kept = node_files(tmp_path, nodes)
    more = dict(saml, identity_server_separate_primary_keystore=True, identity_server_separate_oauth_keystore=True)
    run(inventory, product, more)
    oauth_keys = set()
    for name in nodes:
        home = tmp_path / name
        path = home / SECURITY / 'wso2is-saml.jks'
        assert sha256_file(path) == kept[path]
        data = tomlkit.parse((home / CONFIG[product][1]).read_text()).unwrap()
        assert data['keystore']['mapping'] == {'oauth': {'keystore_file_name': 'wso2is-oauth.jks'}}
        (element,) = data['keystore']['custom']
        assert element['file_name'] == 'wso2is-oauth.jks' and element['alias'] == 'wso2is-oauth'
        keycheck = java_keycheck(home / SECURITY / element['file_name'], element['type'], element['password'],
                                 element['alias'], element['key_password'])
        assert keycheck.returncode == 0, keycheck.stdout + keycheck.stderr
        oauth_keys.add(next(e['sha256'] for e in keytool_entries(home / SECURITY / element['file_name'],
                                                                 element['password']) if e['alias'] == element['alias']))
        tls, _data = tls_settings(home, product)
        assert oauth_keys <= {e['sha256'] for e in keytool_entries(tls['truststore'], tls['truststore_password'])}
    (oauth_key,) = oauth_keys
    assert oauth_key != saml_key
    assert changed(run(inventory, product, more)) == {name: 0 for name in nodes}

    report_dir = tmp_path / 'report'
    run(inventory, product, {'audit_report_dir': str(report_dir)}, playbook='audit.yml')
    report = yaml.safe_load((report_dir / 'report.json').read_text())
    for host in report['hosts']:
        rows = {row['purpose']: row for row in host['rows']}
        assert rows['saml']['table'] == 'keystore.saml' and rows['saml']['fingerprint_sha256'] == saml_key
        assert rows['oauth']['table'] == 'keystore.mapping.oauth' and rows['oauth']['fingerprint_sha256'] == oauth_key
        assert rows['saml']['state'] == rows['oauth']['state'] == 'ok'
        assert 'ws_federation' not in rows, 'a protocol without a keystore of its own is the primary keystore\'s row'
