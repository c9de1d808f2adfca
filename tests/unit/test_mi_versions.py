"""Micro Integrator 1.2 and 4.x read as each version reads its configuration (WSO2's 1.2.0 and 4.x config-tool files
in tests/fixtures/wso2): the home tells which version it is by its config tool's default.json; 1.2 reads bare names
after the security folder, hard-codes its internal keystore and serves TLS from [keystore.primary]; what a 1.2 node
cannot take is refused before any write, naming the version and the variable."""

from __future__ import annotations

import shutil

import pytest

from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import cluster, migration, node_tables, products
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import home as wso2_home, settings
from helpers import FIXTURES
from homes import CLUSTER_PASSWORD, FLOW_INPUTS, SECURITY, apply_tables, inspect, node, write_keystore

PRODUCT = 'micro_integrator'


def _home(root, name, version):
    """A Micro Integrator home of ``version`` ('1.2' or '4'): its shipped deployment.toml and its config tool's
    default.json where the distribution puts them, the pack's keystores."""
    home = node(root, PRODUCT, name)
    config, defaults = {'1.2': ('mi-1.2.deployment.toml', 'mi-1.2-default.json'),
                        '4': ('mi-4.3.deployment.toml', 'mi-default.json')}[version]
    shutil.copyfile(FIXTURES / config, home / 'conf' / 'deployment.toml')
    (home / 'repository' / 'resources' / 'conf').mkdir(parents=True)
    shutil.copyfile(FIXTURES / 'config-tool' / defaults, home / products.MI_DEFAULTS_FILE)
    return home


def _flow(**inputs):
    return settings.flow_settings(dict(FLOW_INPUTS, product=PRODUCT, keystore_password=CLUSTER_PASSWORD, **inputs),
                                  ['a'])


def test_the_home_tells_its_version_and_1_2_reads_every_store_as_its_templates_do(tmp_path):
    assert inspect(_home(tmp_path, 'four', '4'), PRODUCT)['profile'] == 'Micro Integrator 4'
    home = _home(tmp_path, 'old', '1.2')
    info = inspect(home, PRODUCT)
    assert info['profile'] == 'Micro Integrator 1.2'
    security = '%s/%s' % (home, SECURITY)
    purposes = info['purposes']
    assert purposes['primary']['path'] == purposes['internal']['path'] == '%s/wso2carbon.jks' % security
    assert purposes['truststore']['path'] == '%s/client-truststore.jks' % security
    assert wso2_home.blocking_findings(info) == []
    # what an operator is told: the shipped [keystore.tls], which 1.2 never reads, exposes no password; the internal
    # keystore's default password is one only a later release lets them change
    assert [found['purpose'] for found in info['findings'] if found['code'] == 'plaintext_password'] == [
        'truststore']
    internal = [found['message'] for found in info['findings']
                if found['code'] == 'pack_default_keystore' and found['purpose'] == 'internal']
    assert internal == ["The internal keystore still uses the pack's documented default password; Micro Integrator 1.2 "
                        "hard-codes it (its carbon.xml), so only a later release can change it."]
    # 1.2 serves TLS from [keystore.primary] and hard-codes <InternalKeyStore>: the shipped [keystore.tls] and a
    # [keystore.internal] an operator adds name files the product never opens
    write_keystore(home / SECURITY / 'wso2mi.jks', CLUSTER_PASSWORD, 'wso2mi')
    apply_tables(info, {'keystore.primary': {'file_name': 'wso2mi.jks', 'password': CLUSTER_PASSWORD,
                                             'alias': 'wso2mi', 'key_password': CLUSTER_PASSWORD},
                        'keystore.internal': {'file_name': 'elsewhere.jks', 'password': 'another-password'}})
    purposes = inspect(home, PRODUCT)['purposes']
    assert purposes['primary']['path'] == purposes['tls']['path'] == '%s/wso2mi.jks' % security
    assert purposes['tls']['keystore_status'] == 'ok'
    assert purposes['internal']['path'] == '%s/wso2carbon.jks' % security
    assert purposes['internal']['keystore_status'] == 'ok' and purposes['internal']['password_state'] == 'default'
    # a version given picks the profile whatever the home says
    assert inspect(home, PRODUCT, version='4.2.0')['profile'] == 'Micro Integrator 4'


def test_a_new_keystore_is_named_in_the_form_each_version_resolves(tmp_path):
    keystores = {'tls': {'path': '%s/wso2mi.jks' % SECURITY, 'type': 'JKS', 'alias': 'wso2mi'}}
    passwords = {'keystore_password': CLUSTER_PASSWORD, 'key_password': CLUSTER_PASSWORD}
    old = node_tables.wanted_tables(inspect(_home(tmp_path, 'old', '1.2'), PRODUCT), PRODUCT, keystores, passwords,
                                    keep_internal=True)
    new = node_tables.wanted_tables(inspect(_home(tmp_path, 'new', '4'), PRODUCT), PRODUCT, keystores, passwords,
                                    keep_internal=True)
    assert old['keystore.primary']['file_name'] == 'wso2mi.jks', '1.2 puts the security folder before the name'
    assert new['keystore.primary']['file_name'] == '%s/wso2mi.jks' % SECURITY, '4.x reads the name from the home'
    assert 'keystore.internal' not in old, '1.2 keeps the pack\'s internal keystore whatever a table would say'
    assert new['keystore.internal']['file_name'] == '%s/wso2carbon.jks' % SECURITY


@pytest.mark.parametrize('inputs, variable', [
    ({'internal_keystore_password': 'Internal-Pass-1'}, 'micro_integrator_internal_keystore_password'),
    ({'internal_keystore_password': 'Internal-Pass-1', 'encrypt_passwords': True},
     'micro_integrator_encrypt_passwords'),
    ({'separate_primary_keystore': True}, 'micro_integrator_separate_primary_keystore'),
])
def test_what_1_2_cannot_take_is_refused_naming_the_version_and_the_variable(tmp_path, inputs, variable):
    flow = _flow(**inputs)
    old = {'a': inspect(_home(tmp_path, 'old', '1.2'), PRODUCT)}
    new = {'a': inspect(_home(tmp_path, 'new', '4'), PRODUCT)}
    refused = cluster.node_refusals(old, flow, {})['a']
    assert any(sentence.startswith('a: Micro Integrator 1.2 ') and variable in sentence for sentence in refused), \
        refused
    assert not any('Micro Integrator 1.2' in sentence for sentence in cluster.node_refusals(new, flow, {})['a'])


def test_the_pkcs12_migration_of_1_2_leaves_the_hard_coded_internal_keystore_alone(tmp_path):
    home = _home(tmp_path, 'old', '1.2')
    before = inspect(home, PRODUCT)
    planned = migration.pkcs12_migration(before, PRODUCT)
    assert sorted(planned['tables']) == ['keystore.primary', 'truststore']
    assert planned['tables']['keystore.primary']['file_name'] == 'wso2carbon.p12'
    assert sorted(planned['stores']) == ['%s/%s/%s' % (home, SECURITY, name)
                                         for name in ('client-truststore.jks', 'wso2carbon.jks')]
    assert planned['stores']['%s/%s/wso2carbon.jks' % (home, SECURITY)]['purposes'] == ['primary'], 'not the unread [keystore.tls]'
    # after it, the internal keystore is still the pack's JKS file, and that is no problem of the migration
    assert migration.migration_problems(before, before) == ['primary (%s/%s/wso2carbon.jks is not a PKCS12 store it '
                                                            'can open)' % (home, SECURITY),
                                                            'truststore (%s/%s/client-truststore.jks is not a PKCS12 '
                                                            'store it can open)' % (home, SECURITY)]


def test_4_x_reads_no_tls_table_and_refuses_a_bare_truststore_name_that_finds_nothing(tmp_path):
    home = _home(tmp_path, 'new', '4')
    info = inspect(home, PRODUCT)
    refused = cluster.node_refusals({'a': info}, _flow(separate_primary_keystore=True), {})['a']
    assert [sentence for sentence in refused if 'Micro Integrator 4 reads no [keystore.tls]' in sentence], refused
    assert cluster.node_refusals({'a': info}, _flow(), {})['a'] == []
    # a 1.2-era file kept on a 4.x home: its bare names resolve from the home, where there is no such file
    shutil.copyfile(FIXTURES / 'mi-1.2-dev.deployment.toml', home / 'conf' / 'deployment.toml')
    kept = inspect(home, PRODUCT)
    assert kept['purposes']['truststore']['path'] == '%s/client-truststore.jks' % home
    assert kept['purposes']['tls']['path'] == kept['purposes']['primary']['path'] == \
        '%s/%s/wso2carbon.jks' % (home, SECURITY), 'TLS is what [keystore.primary] names, whatever [keystore.tls] says'
    kept['contents'] = {'%s/%s/client-truststore.jks' % (home, SECURITY): {'sha256': 'f' * 64}}
    refused = cluster.node_refusals({'a': kept}, _flow(), {})['a']
    assert refused == ['a: [truststore] file_name = "client-truststore.jks" in %s/conf/deployment.toml names '
                       '%s/client-truststore.jks, which does not exist: Micro Integrator 4 reads a name without a '
                       'folder from the home, not from %s as Micro Integrator 1.2 did. Set file_name = '
                       '"%s/client-truststore.jks" to keep the truststore and its entries in %s/%s/client-truststore.jks.'
                       % (home, home, SECURITY, SECURITY, home, SECURITY)]
