"""The micro_integrator role on Micro Integrator 1.2 homes (WSO2's 1.2.0 deployment.toml and config-tool default.json),
judged by keytool at the paths 1.2 resolves: its carbon.xml.j2 puts ${carbon.home}/repository/resources/security/
before the [keystore.primary] and [truststore] names and hard-codes <InternalKeyStore> as the pack's wso2carbon.jks.
Check mode predicts and writes nothing, the run converges, the rerun changes nothing, and what 1.2 cannot take is
refused before any write."""

from __future__ import annotations

import shutil

import pytest
import tomlkit

from helpers import FIXTURES, keytool_entries, sha256_file
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
