"""Identity Server, API Manager and Enterprise Integrator releases as WSO2 ships them (each release's deployment.toml
and the default.json its config mapper merges, tests/fixtures/wso2), run through the product roles and judged by
WSO2's own rules (tests/carbon_releases.py) and the JDK: every store the release opens, at the path it resolves,
opens with the password and alias it resolves; check mode predicts and writes nothing; a rerun changes nothing."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import tomlkit

import carbon_releases
from helpers import FIXTURES, java_class, java_keycheck, jdk_tool, keytool, keytool_entries
from sandbox import PACK_PASSWORD, SECURITY, build_cluster
from test_production_keystores import changed, node_files, run

PASSWORD = 'Production-Pass-2026'
INTERNAL = 'Internal-Pass-2026'
NODES = ['node1', 'node2']
RELEASES = list(carbon_releases.RELEASES)
KEY_PAIRS = ('primary', 'internal', 'tls')


def _release_cluster(tmp_path, product, release):
    """Two homes of ``release``: its shipped configuration and the pack's keystores in the type it ships."""
    inventory = build_cluster(tmp_path, product, NODES, PASSWORD)
    rules = carbon_releases.RELEASES[(product, release)]
    pkcs12 = carbon_releases.pack_type(product, release) == 'PKCS12'
    for name in NODES:
        home = tmp_path / name
        shutil.copyfile(FIXTURES / rules['config'], home / carbon_releases.CONFIG_PATH[product])
        if pkcs12:  # the pack's wso2carbon.p12 and client-truststore.p12 in place of the .jks files
            for stem in ('wso2carbon', 'client-truststore'):
                jks, p12 = home / SECURITY / (stem + '.jks'), home / SECURITY / (stem + '.p12')
                keytool('-importkeystore', '-noprompt', '-srckeystore', jks, '-srcstoretype', 'JKS', '-srcstorepass',
                        PACK_PASSWORD, '-destkeystore', p12, '-deststoretype', 'PKCS12', '-deststorepass',
                        PACK_PASSWORD)
                jks.unlink()
    return inventory


def _secrets(tmp_path, home, product, release):
    """{alias: plaintext} of every vault value the release reads, decrypted by the JDK with its internal key as it
    resolves it (the password given for it where the file has a $secret{})."""
    internal = carbon_releases.stores(home, product, release, secret=lambda alias: INTERNAL)['internal']
    data = tomlkit.parse(carbon_releases.config_file(home, product).read_text()).unwrap()
    if product == 'enterprise_integrator':  # its runtime reads cipher-text.properties, which no template renders
        values = ['@%s' % (home / 'conf' / 'security' / 'cipher-text.properties')]
    else:
        values = ['%s=%s' % item for item in sorted((data.get('secrets') or {}).items())]
    transformation = (data.get('keystore') or {}).get('internal', {}).get('cipher_transformation') or 'RSA'
    done = subprocess.run([jdk_tool('java'), '-cp', str(java_class('SecretCheck', tmp_path)), 'SecretCheck',
                           str(internal['path']), internal['type'], internal['password'], internal['alias'],
                           internal['key_password'], transformation] + values,
                          capture_output=True, text=True, timeout=120, check=True)
    return dict(line.split('=', 1) for line in done.stdout.splitlines())


def _judged(tmp_path, home, product, release, vaulted=False):
    """The stores ``release`` opens in ``home``, each key pair opened by the JDK with what the release resolves, each
    truststore listed by keytool; with the fingerprint of each key the release uses."""
    secrets = _secrets(tmp_path, home, product, release) if vaulted else {}
    found = carbon_releases.stores(home, product, release, secret=lambda alias: secrets[alias])
    for purpose, store in found.items():
        assert store['path'].is_file(), (purpose, store)
        if purpose in KEY_PAIRS or purpose == 'saml' or purpose.startswith('custom:'):
            checked = java_keycheck(store['path'], store['type'], store['password'], store['alias'],
                                    store['key_password'])
            assert checked.returncode == 0, (purpose, store, checked.stdout, checked.stderr)
        entries = keytool_entries(store['path'], store['password'])
        store['fingerprint'] = next((entry['sha256'] for entry in entries if entry['alias'] == store.get('alias')),
                                    None)
        store['trusted'] = {entry['sha256'] for entry in entries}
    assert found['tls']['fingerprint'] in found['truststore']['trusted'], 'the nodes trust the key they serve'
    if vaulted:
        text = carbon_releases.config_file(home, product).read_text()
        assert PASSWORD not in text and INTERNAL not in text, 'no password in clear'
        data = tomlkit.parse(text).unwrap()
        tables = dict((data.get('keystore') or {}), truststore=data.get('truststore') or {})
        clear = {(name, key): value for name, table in tables.items() if isinstance(table, dict)
                 for key, value in table.items() if key in ('password', 'key_password')
                 and not re.fullmatch(r'\$secret\{[^}]+\}', str(value))}
        assert not clear, 'every store password a $secret{}: %s' % sorted(clear)
        assert PASSWORD in secrets.values()
    return found


def pack_key(tmp_path):
    return next(entry['sha256'] for entry in keytool_entries(tmp_path / 'pack' / 'wso2carbon.jks', PACK_PASSWORD)
                if entry['alias'] == 'wso2carbon')


def _converged(tmp_path, inventory, product, variables, secrets=()):
    """Check mode first (it writes nothing and predicts the run), then the run."""
    before = node_files(tmp_path, NODES)
    check = run(inventory, product, variables, extra=['--check', '--diff'], secrets=secrets)
    assert node_files(tmp_path, NODES) == before, 'check mode writes nothing'
    assert changed(check) == changed(run(inventory, product, variables, secrets=secrets)), 'check mode predicts'


@pytest.mark.parametrize('product, release', RELEASES)
def test_the_judge_opens_each_pack_as_it_ships(tmp_path, product, release):
    # the rules judge the roles only if they open the untouched pack: every store at the path the release resolves,
    # with the password and alias it resolves, the pack's one key serving TLS
    _release_cluster(tmp_path, product, release)
    found = _judged(tmp_path, tmp_path / 'node1', product, release)
    assert {found[purpose]['fingerprint'] for purpose in KEY_PAIRS} == {pack_key(tmp_path)}


@pytest.mark.parametrize('product, release', RELEASES)
def test_each_release_opens_the_cluster_key_then_the_rotated_one_and_keeps_its_internal_key(
        tmp_path, product, release):
    inventory = _release_cluster(tmp_path, product, release)
    variables = {'%s_version' % product: release}
    _converged(tmp_path, inventory, product, variables)
    first = {name: _judged(tmp_path, tmp_path / name, product, release) for name in NODES}
    assert len({found['tls']['fingerprint'] for found in first.values()}) == 1, 'one key for the cluster'
    for name in NODES:
        internal = first[name]['internal']
        assert internal['path'].name.startswith('wso2carbon.') and internal['fingerprint'] == pack_key(tmp_path), \
            'the internal key stays the pack\'s'
        assert internal['fingerprint'] != first[name]['tls']['fingerprint']
    assert changed(run(inventory, product, variables)) == {name: 0 for name in NODES}

    run(inventory, product, variables, playbook='rotate.yml', extra=['-e', 'product_role=%s' % product])
    then = {name: _judged(tmp_path, tmp_path / name, product, release) for name in NODES}
    assert len({found['tls']['fingerprint'] for found in then.values()}) == 1
    for name in NODES:
        assert then[name]['tls']['fingerprint'] != first[name]['tls']['fingerprint'], 'rotated'
        assert then[name]['internal']['fingerprint'] == first[name]['internal']['fingerprint'], \
            'the internal key never changes'
    assert changed(run(inventory, product, variables)) == {name: 0 for name in NODES}


@pytest.mark.parametrize('product, release', RELEASES)
def test_each_release_reads_encrypted_passwords_of_migrated_stores_in_one_run(tmp_path, product, release):
    inventory = _release_cluster(tmp_path, product, release)
    # Enterprise Integrator 7 opens its internal keystore with the pack's password whatever the file says
    internal = PACK_PASSWORD if product == 'enterprise_integrator' else INTERNAL
    variables = {'%s_version' % product: release, '%s_encrypt_passwords' % product: True,
                 '%s_internal_keystore_password' % product: internal, '%s_migrate_to_pkcs12' % product: True}
    _converged(tmp_path, inventory, product, variables, secrets=(INTERNAL,))
    found = {name: _judged(tmp_path, tmp_path / name, product, release, vaulted=True) for name in NODES}
    for name in NODES:
        assert found[name]['tls']['type'] == 'PKCS12' and found[name]['truststore']['type'] == 'PKCS12', found[name]
    assert len({stores['tls']['fingerprint'] for stores in found.values()}) == 1
    assert changed(run(inventory, product, variables, secrets=(INTERNAL,))) == {name: 0 for name in NODES}
