"""The purpose registry, and the decisions that ask it: read against WSO2's real configuration files in a
temporary product home, the way product_info reads them."""

from __future__ import annotations

import pytest

from ansible_collections.carbon.keystores.plugins.filter.flow import FilterModule
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products, purposes, settings
from homes import CONFIG, SECURITY, apply_tables, inspect, node

BLOCKING = FilterModule().filters()['blocking_findings']


def test_every_purpose_a_profile_reads_is_in_the_registry_and_every_table_is_named_once():
    read = {name for profiles in products.PROFILES.values() for profile in profiles for name in profile.purposes}
    assert read <= set(purposes.NAMES)
    assert len(set(purposes.TABLES.values())) == len(purposes.REGISTRY)
    # a key pair is always in a file of its own kind; the truststore's password alias is its own
    assert set(purposes.KEY_PAIR_PURPOSES) <= set(purposes.STORE_PURPOSES)
    assert len(set(purposes.SECRET_ALIASES.values())) == len(purposes.SECRET_ALIASES) - 1  # primary and tls share one


@pytest.mark.parametrize('product', sorted(CONFIG))
def test_product_info_describes_each_purpose_by_its_registry_table(tmp_path, product):
    info = inspect(node(tmp_path, product, 'node1'), product)
    assert info['purposes'], info
    for name, described in info['purposes'].items():
        purpose = purposes.get(name)
        assert described['table'] == purpose.table
        assert ('path' in described) == purpose.has_file or not described.get('file_name')
        if purpose.holds_key_pair and described.get('keystore_status') == 'ok':
            assert described['fingerprint_sha256']


@pytest.mark.parametrize('product', sorted(CONFIG))
def test_a_pack_home_has_no_blocking_finding_and_a_missing_keystore_is_one(tmp_path, product):
    home = node(tmp_path, product, 'node1')
    before = inspect(home, product)
    # the pack's clear-text passwords and default keystore are warnings, never a reason to fail a node
    assert {found['code'] for found in before['findings']} & {'plaintext_password', 'pack_default_keystore'}
    trusted = [f['message'] for f in before['findings'] if f['code'] == 'tls_not_trusted']
    # Enterprise Integrator 7's shipped [truststore] is wso2carbon.jks itself, which holds the key, not its certificate
    assert BLOCKING(before) == (trusted if product == 'enterprise_integrator' else [])
    assert trusted or product != 'enterprise_integrator'
    (home / SECURITY / 'wso2carbon.jks').unlink()
    after = inspect(home, product)
    blocking = BLOCKING(after)
    missing = [f['message'] for f in after['findings'] if f['code'] == 'missing_file']
    assert missing and set(missing) <= set(blocking), (missing, blocking)
    assert all('wso2carbon.jks' in message for message in blocking), blocking


def test_a_store_type_the_file_is_not_blocks_the_node(tmp_path):
    home = node(tmp_path, 'identity_server', 'node1')
    apply_tables(inspect(home, 'identity_server'), {'truststore': {'type': 'PKCS12'}})
    blocking = BLOCKING(inspect(home, 'identity_server'))
    assert any('client-truststore.jks' in message for message in blocking), blocking


def test_labels_name_the_store_in_sentences():
    assert purposes.store_label('tls') == 'The TLS keystore'
    assert purposes.store_label('truststore') == 'The truststore'
    assert purposes.label('something_else') == 'something_else'
    assert purposes.of_setting('keystore.internal.key_password').name == 'internal'
    assert purposes.of_setting('transport.https.port') is None


UNSERVED = FilterModule().filters()['unserved_keys']


@pytest.mark.parametrize('product', sorted(CONFIG))
def test_unserved_keys_names_each_table_that_does_not_hold_the_clusters_key(tmp_path, product):
    info = inspect(node(tmp_path, product, 'node1'), product)
    held = info['purposes']['tls']['fingerprint_sha256']
    assert UNSERVED(info, {'tls': {'fingerprint': held}}) == []
    other = 'AA:' * 31 + 'AA'
    wrong = UNSERVED(info, {'tls': {'fingerprint': other}})
    # every table of a cluster keystore the product reads names the pack's file, which is not the cluster's
    tables = ['[%s]' % purposes.get(name).table for name in ('tls', 'primary') if name in info['purposes']]
    assert sorted(sentence.split(' ')[0] for sentence in wrong) == sorted(tables), wrong
    assert all(other in sentence and held in sentence for sentence in wrong)
    if 'primary' in info['purposes']:
        # a primary keystore of its own is judged against its own key, the TLS table against the TLS one
        separate = UNSERVED(info, {'tls': {'fingerprint': held}, 'primary': {'fingerprint': other}})
        assert [sentence.split(' ')[0] for sentence in separate] == ['[keystore.primary]'], separate


def test_the_cluster_keystores_come_from_the_registry_with_the_role_inputs_it_names():
    base = {'product': 'api_manager', 'home': '/opt/wso2am', 'keystore_password': 'Cluster-Pass-2026',
            'keystore_alias': 'wso2am', 'key_size': 2048, 'valid_days': 825, 'key_usage': ['dataEncipherment']}
    together = settings.flow_settings(base, ['a'])
    assert [(item['purpose'], item['serves']) for item in together['keystores']] == [('tls', ['tls', 'primary'])]
    apart = settings.flow_settings(dict(base, separate_primary_keystore=True, primary_keystore_file_name='sign.jks'),
                                   ['a'])
    assert [(item['purpose'], item['serves'], item['alias'], item['file_name']) for item in apart['keystores']] == [
        ('tls', ['tls'], 'wso2am', ''), ('primary', ['primary'], 'wso2am-primary', 'sign.jks')]
    assert apart['keystores'][1]['labels']['certificate'] == 'api_manager_primary_certificate'
    # Enterprise Integrator 7 reads no [keystore.primary]: a separate one is refused, naming the variable
    refused = settings.refusals(settings.flow_settings(dict(base, product='enterprise_integrator',
                                                            separate_primary_keystore=True), ['a']))
    assert any(sentence.startswith('enterprise_integrator_separate_primary_keystore: ') and '[keystore.tls]' in sentence
               for sentence in refused), refused
    clash = settings.refusals(settings.flow_settings(dict(base, separate_primary_keystore=True,
                                                          primary_keystore_alias='wso2am'), ['a']))
    assert any(sentence.startswith('api_manager_primary_keystore_alias and api_manager_primary_keystore_file_name')
               for sentence in clash), clash
