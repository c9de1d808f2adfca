"""The micro_integrator role on Micro Integrator 1.2 homes (WSO2's 1.2.0 deployment.toml and config-tool default.json),
judged by keytool at the paths 1.2 resolves: its carbon.xml.j2 puts ${carbon.home}/repository/resources/security/
before the [keystore.primary] and [truststore] names and hard-codes <InternalKeyStore> as the pack's wso2carbon.jks.
Check mode predicts and writes nothing, the run converges, the rerun changes nothing, and what 1.2 cannot take is
refused before any write."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import tomlkit

import mi_releases
from helpers import FIXTURES, java_class, java_keycheck, jdk_tool, keytool_entries, sha256_file
from sandbox import PACK_PASSWORD, SECURITY, build_cluster
from test_production_keystores import changed, node_files, run

PRODUCT = 'micro_integrator'
PASSWORD = 'Production-Pass-2026'
NODES = ['node1', 'node2']
DEFAULTS_FILE = 'repository/resources/conf/default.json'  # where 1.2's distribution puts its config tool's defaults


def _cluster(tmp_path):
    inventory = build_cluster(tmp_path, PRODUCT, NODES, PASSWORD)
    for name in NODES:
        home = tmp_path / name
        shutil.copyfile(FIXTURES / 'mi-1.2.deployment.toml', home / 'conf' / 'deployment.toml')
        (home / DEFAULTS_FILE).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / 'config-tool' / 'mi-1.2-default.json', home / DEFAULTS_FILE)
    return inventory


def _as_1_2_reads(home, table):
    """(path, settings) of a [keystore.primary] or [truststore] as Micro Integrator 1.2 resolves it."""
    settings = tomlkit.parse((home / 'conf' / 'deployment.toml').read_text()).unwrap()
    for part in table.split('.'):
        settings = settings[part]
    return home / SECURITY / settings['file_name'], settings


def test_micro_integrator_1_2_gets_the_cluster_key_where_it_reads_it_and_keeps_its_internal_keystore(tmp_path):
    inventory = _cluster(tmp_path)
    pack = sha256_file(tmp_path / 'node1' / SECURITY / 'wso2carbon.jks')
    before = node_files(tmp_path, NODES)
    check = run(inventory, PRODUCT, extra=['--check', '--diff'])
    assert node_files(tmp_path, NODES) == before, 'check mode writes nothing'
    assert changed(check) == changed(run(inventory, PRODUCT)), 'check mode predicts the run'
    served = set()
    for name in NODES:
        home = tmp_path / name
        path, primary = _as_1_2_reads(home, 'keystore.primary')
        assert '/' not in primary['file_name'] and path.is_file(), primary
        entry = next(e for e in keytool_entries(path, primary['password']) if e['alias'] == primary['alias'])
        assert entry['type'] == 'PrivateKeyEntry'
        served.add(entry['sha256'])
        assert sha256_file(home / SECURITY / 'wso2carbon.jks') == pack, 'the hard-coded internal keystore stays'
        truststore, trust = _as_1_2_reads(home, 'truststore')
        aliases = {e['alias']: e['sha256'] for e in keytool_entries(truststore, trust['password'])}
        assert 'wso2carbon' in aliases and aliases.get(primary['alias']) == entry['sha256'], aliases
    assert len(served) == 1, 'one key for the cluster'
    assert changed(run(inventory, PRODUCT)) == {name: 0 for name in NODES}


@pytest.mark.parametrize('version', ['1.2', '4'])
def test_no_micro_integrator_takes_a_separate_primary_keystore_for_it_reads_no_tls_table(tmp_path, version):
    inventory = _cluster(tmp_path) if version == '1.2' else build_cluster(tmp_path, PRODUCT, NODES, PASSWORD)
    before = node_files(tmp_path, NODES)
    done = run(inventory, PRODUCT, {'micro_integrator_separate_primary_keystore': True}, check=False)
    assert done.returncode != 0
    assert 'Micro Integrator %s reads no [keystore.tls]' % version in done.stdout
    assert 'micro_integrator_separate_primary_keystore would leave' in done.stdout
    assert node_files(tmp_path, NODES) == before


def test_micro_integrator_1_2_refuses_an_internal_password_of_its_own_before_any_write(tmp_path):
    inventory = _cluster(tmp_path)
    before = node_files(tmp_path, NODES)
    done = run(inventory, PRODUCT, {'micro_integrator_internal_keystore_password': 'Internal-Pass-2026'}, check=False,
               secrets=('Internal-Pass-2026',))
    assert done.returncode != 0
    assert 'Micro Integrator 1.2 reads its internal keystore as the pack ships it' in done.stdout
    assert 'micro_integrator_internal_keystore_password' in done.stdout
    assert node_files(tmp_path, NODES) == before
    assert PACK_PASSWORD in (tmp_path / 'node1' / 'conf' / 'deployment.toml').read_text()


# Each release with each thing an operator does, judged by WSO2's own rules (tests/mi_releases.py) and the JDK: every
# store the release opens, at the path it resolves, opens with the password and alias it resolves.
INTERNAL = 'Internal-Pass-2026'


def _release_cluster(tmp_path, release):
    inventory = build_cluster(tmp_path, PRODUCT, NODES, PASSWORD)
    for name in NODES:
        home = tmp_path / name
        shutil.copyfile(FIXTURES / mi_releases.RELEASES[release]['config'], home / 'conf' / 'deployment.toml')
        (home / mi_releases.DEFAULTS_IN_HOME).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / 'config-tool' / mi_releases.RELEASES[release]['defaults'],
                        home / mi_releases.DEFAULTS_IN_HOME)
    return inventory


def _judged(tmp_path, home, release, vaulted=False):
    """The stores ``release`` opens in ``home``, each opened by the JDK with what it resolves; returns them with the
    fingerprint of the primary and internal keys."""
    secrets = {}
    if vaulted:
        # the internal keystore as the release opens it: 1.2 with the pack's password it hard-codes
        internal = mi_releases.stores(home, release, secret=lambda alias: INTERNAL)['internal']
        data = tomlkit.parse((home / 'conf' / 'deployment.toml').read_text()).unwrap()
        done = subprocess.run([jdk_tool('java'), '-cp', str(java_class('SecretCheck', tmp_path)), 'SecretCheck',
                               str(internal['path']), internal['type'], internal['password'], internal['alias'],
                               internal['key_password'], 'RSA']
                              + ['%s=%s' % item for item in sorted(data['secrets'].items())],
                              capture_output=True, text=True, timeout=120, check=True)
        secrets = dict(line.split('=', 1) for line in done.stdout.splitlines())
    found = mi_releases.stores(home, release, secret=lambda alias: secrets[alias])
    for purpose in ('primary', 'internal'):
        store = found[purpose]
        checked = java_keycheck(store['path'], store['type'], store['password'], store['alias'], store['key_password'])
        assert checked.returncode == 0, (purpose, store, checked.stdout, checked.stderr)
        store['fingerprint'] = next(entry['sha256'] for entry in keytool_entries(store['path'], store['password'])
                                    if entry['alias'] == store['alias'])
    trusted = {entry['sha256'] for entry in keytool_entries(found['truststore']['path'], found['truststore']['password'])}
    assert found['primary']['fingerprint'] in trusted, 'the nodes trust the key they serve'
    if vaulted:
        text = (home / 'conf' / 'deployment.toml').read_text()
        assert PASSWORD not in text and INTERNAL not in text
    return found


@pytest.mark.parametrize('release', list(mi_releases.RELEASES))
@pytest.mark.parametrize('scenario', ['default', 'encrypt_passwords', 'migration', 'rotation'])
def test_every_release_opens_what_the_role_wrote_as_its_own_rules_resolve(tmp_path, release, scenario):
    inventory = _release_cluster(tmp_path, release)
    variables = {'micro_integrator_version': release} if release == '4.0.0' else {}
    if scenario == 'encrypt_passwords':
        variables.update(micro_integrator_encrypt_passwords=True, micro_integrator_internal_keystore_password=INTERNAL)
    if release == '1.2.0' and scenario == 'encrypt_passwords':
        # 1.2 opens its internal keystore with the pack's password whatever the file says: another one is refused
        before = node_files(tmp_path, NODES)
        refused = run(inventory, PRODUCT, variables, check=False, secrets=(INTERNAL,))
        assert refused.returncode != 0 and 'micro_integrator_internal_keystore_password cannot take effect' in \
            refused.stdout and 'Micro Integrator 1.2' in refused.stdout
        assert node_files(tmp_path, NODES) == before
        variables['micro_integrator_internal_keystore_password'] = PACK_PASSWORD  # the vault opens the key with it
    before = node_files(tmp_path, NODES)
    check = run(inventory, PRODUCT, variables, extra=['--check', '--diff'], secrets=(INTERNAL,))
    assert node_files(tmp_path, NODES) == before, 'check mode writes nothing'
    assert changed(check) == changed(run(inventory, PRODUCT, variables, secrets=(INTERNAL,)))
    vaulted = scenario == 'encrypt_passwords'
    first = {name: _judged(tmp_path, tmp_path / name, release, vaulted) for name in NODES}
    pack = sha256_file(tmp_path / 'pack' / 'wso2carbon.jks')
    for name in NODES:
        assert first[name]['internal']['path'] == tmp_path / name / SECURITY / 'wso2carbon.jks'
    assert len({found['primary']['fingerprint'] for found in first.values()}) == 1, 'one key for the cluster'
    if scenario in ('migration', 'rotation'):
        playbook = 'migrate_pkcs12.yml' if scenario == 'migration' else 'rotate.yml'
        extra = ['-e', 'product_role=%s' % PRODUCT]
        run(inventory, PRODUCT, variables, playbook=playbook, extra=extra)
        then = {name: _judged(tmp_path, tmp_path / name, release) for name in NODES}
        for name in NODES:
            if scenario == 'migration':
                assert then[name]['primary']['type'] == 'PKCS12' and then[name]['truststore']['type'] == 'PKCS12'
                # 1.2 hard-codes its internal keystore: it stays the pack's JKS file; 4.x reads the twin
                assert then[name]['internal']['type'] == ('JKS' if release == '1.2.0' else 'PKCS12')
                assert then[name]['primary']['fingerprint'] == first[name]['primary']['fingerprint']
            else:
                assert then[name]['primary']['fingerprint'] != first[name]['primary']['fingerprint']
            assert then[name]['internal']['fingerprint'] == first[name]['internal']['fingerprint'], \
                'the internal key never changes'
        if scenario == 'migration':
            again = changed(run(inventory, PRODUCT, variables, playbook=playbook, extra=extra))
            assert {name: again[name] for name in NODES} == {name: 0 for name in NODES}
    if not vaulted:  # the secure vault's internal password re-protects the file; its key stays (judged above)
        assert sha256_file(tmp_path / 'node1' / SECURITY / 'wso2carbon.jks') == pack
    assert changed(run(inventory, PRODUCT, variables, secrets=(INTERNAL,))) == {name: 0 for name in NODES}
