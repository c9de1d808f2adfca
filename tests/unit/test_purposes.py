"""The purpose registry, and the decisions that ask it: read against WSO2's real configuration files in a
temporary product home, the way product_info reads them."""

from __future__ import annotations

import dataclasses

import pytest
import tomlkit

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
    # the cluster keystores share the store password, so its vault alias; every other store has one of its own
    shared = {purposes.SECRET_ALIASES[purpose.table] for purpose in purposes.CLUSTER_KEYSTORES}
    others = [alias for table, alias in purposes.SECRET_ALIASES.items()
              if table not in {purpose.table for purpose in purposes.CLUSTER_KEYSTORES}]
    assert shared == {'keystore_password'} and len(set(others)) == len(others) and not shared & set(others)


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
    # the TLS keystore serves every purpose that follows it, directly or through the primary one
    assert [(item['purpose'], item['serves']) for item in together['keystores']] == [
        ('tls', ['tls', 'primary', 'saml', 'oauth', 'ws_federation', 'ws_trust'])]
    apart = settings.flow_settings(dict(base, separate_primary_keystore=True, primary_keystore_file_name='sign.jks'),
                                   ['a'])
    assert [(item['purpose'], item['serves'], item['alias'], item['file_name']) for item in apart['keystores']] == [
        ('tls', ['tls'], 'wso2am', ''),
        ('primary', ['primary', 'saml', 'oauth', 'ws_federation', 'ws_trust'], 'wso2am-primary', 'sign.jks')]
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


IS_BASE = {'product': 'identity_server', 'home': '/opt/wso2is', 'keystore_password': 'Cluster-Pass-2026',
           'keystore_alias': 'wso2is', 'key_size': 2048, 'valid_days': 825, 'key_usage': ['dataEncipherment']}


def test_the_saml_keystore_follows_the_primary_one_which_follows_the_tls_one():
    assert [purpose.name for purpose in purposes.CLUSTER_KEYSTORES] == [
        'tls', 'primary', 'saml', 'oauth', 'ws_federation', 'ws_trust']
    assert purposes.serving('saml', {'tls'}) == 'tls'
    assert purposes.serving('saml', {'tls', 'primary'}) == 'primary'
    assert purposes.serving('saml', {'tls', 'saml'}) == 'saml'
    saml_only = settings.flow_settings(dict(IS_BASE, separate_saml_keystore=True), ['a'])
    assert [(item['purpose'], item['serves'], item['alias']) for item in saml_only['keystores']] == [
        ('tls', ['tls', 'primary', 'oauth', 'ws_federation', 'ws_trust'], 'wso2is'), ('saml', ['saml'], 'wso2is-saml')]
    assert saml_only['keystores'][1]['labels']['private_key'] == 'identity_server_saml_private_key'
    assert settings.refusals(saml_only) == []


def test_a_saml_keystore_is_refused_where_identity_server_reads_no_saml_table():
    older = settings.refusals(settings.flow_settings(dict(IS_BASE, version='5.10.0', separate_saml_keystore=True),
                                                     ['a']))
    assert [sentence for sentence in older if sentence.startswith('identity_server_separate_saml_keystore: ')] == [
        'identity_server_separate_saml_keystore: Identity Server 5.10.0 reads no [keystore.saml], only '
        '[keystore.primary], so there is no separate SAML signing keystore to give.'], older
    assert settings.refusals(settings.flow_settings(dict(IS_BASE, version='5.11.0', separate_saml_keystore=True),
                                                    ['a'])) == []
    # PEM material for it without asking for a keystore of its own is refused, naming the switch
    given = settings.refusals(settings.flow_settings(dict(IS_BASE, saml_certificate='-----BEGIN'), ['a']))
    assert any(sentence.startswith('identity_server_saml_certificate needs identity_server_separate_saml_keystore: '
                                   'true') for sentence in given), given
    clash = settings.refusals(settings.flow_settings(dict(IS_BASE, separate_saml_keystore=True,
                                                          separate_primary_keystore=True,
                                                          saml_keystore_alias='wso2is-primary'), ['a']))
    assert any(sentence.startswith('identity_server_saml_keystore_alias and identity_server_saml_keystore_file_name '
                                   'must differ from the primary keystore') for sentence in clash), clash


def test_product_info_reads_the_saml_table_and_falls_back_to_the_primary_one(tmp_path):
    home = node(tmp_path, 'identity_server', 'node1')
    before = inspect(home, 'identity_server')
    saml = before['purposes']['saml']
    # no [keystore.saml]: Identity Server signs with the primary keystore, which the audit reports once
    assert not saml['configured_in_file'] and saml['path'] == before['purposes']['primary']['path']
    assert saml['fingerprint_sha256'] == before['purposes']['primary']['fingerprint_sha256']
    assert not purposes.read_from_own_table('saml', saml)
    apply_tables(before, {'keystore.saml': {'file_name': 'client-truststore.jks', 'password': 'wso2carbon',
                                            'type': 'JKS', 'alias': 'wso2carbon', 'key_password': 'wso2carbon'}})
    after = inspect(home, 'identity_server')['purposes']['saml']
    assert after['configured_in_file'] and after['path'].endswith('/client-truststore.jks')
    assert purposes.read_from_own_table('saml', after)


PENDING = FilterModule().filters()['pending_tables']


def test_a_custom_keystore_is_read_through_its_mapping_and_written_as_the_element_it_names(tmp_path):
    home = node(tmp_path, 'identity_server', 'node1')
    info = inspect(home, 'identity_server')
    oauth = info['purposes']['oauth']
    # no [keystore.mapping.oauth]: OAuth signs with the primary keystore
    assert not oauth['configured_in_file'] and oauth['path'] == info['purposes']['primary']['path']
    wanted = {'keystore.mapping.oauth': {'file_name': 'wso2is-oauth.jks', 'type': 'JKS', 'password': 'Oauth-Pass-1',
                                         'alias': 'wso2is-oauth', 'key_password': 'Oauth-Pass-1'}}
    pending = PENDING(info, wanted)
    # the element first, then the table that names it
    assert list(pending) == ['keystore.custom[file_name=wso2is-oauth.jks]', 'keystore.mapping.oauth']
    assert pending['keystore.mapping.oauth'] == {'keystore_file_name': 'wso2is-oauth.jks'}
    apply_tables(info, pending)
    data = tomlkit.parse((home / CONFIG['identity_server'][1]).read_text()).unwrap()
    assert data['keystore']['custom'] == [{'file_name': 'wso2is-oauth.jks', 'type': 'JKS', 'password': 'Oauth-Pass-1',
                                           'alias': 'wso2is-oauth', 'key_password': 'Oauth-Pass-1'}]
    assert data['keystore']['mapping']['oauth'] == {'keystore_file_name': 'wso2is-oauth.jks'}
    after = inspect(home, 'identity_server')
    described = after['purposes']['oauth']
    assert described['configured_in_file'] and described['path'] == str(home / SECURITY / 'wso2is-oauth.jks')
    assert described['alias'] == 'wso2is-oauth' and after['secrets']['oauth']['password'] == 'Oauth-Pass-1'
    assert after['purposes']['ws_federation']['path'] == after['purposes']['primary']['path']
    assert PENDING(after, wanted) == {}
    # a new file for it (a migration): a new element with the old one's keys, and the mapping moves to it
    moved = PENDING(after, {'keystore.mapping.oauth': {'file_name': 'wso2is-oauth.p12', 'type': 'PKCS12'}})
    assert moved == {'keystore.custom[file_name=wso2is-oauth.p12]': {
        'type': 'PKCS12', 'password': 'Oauth-Pass-1', 'alias': 'wso2is-oauth', 'key_password': 'Oauth-Pass-1'},
        'keystore.mapping.oauth': {'keystore_file_name': 'wso2is-oauth.p12'}}
    # the password alone: the element it names, nothing else
    assert PENDING(after, {'keystore.mapping.oauth': {'password': 'Other-Pass-2'}}) == {
        'keystore.custom[file_name=wso2is-oauth.jks]': {'password': 'Other-Pass-2'}}


def test_a_mapping_to_no_element_reads_the_file_it_names_with_no_password(tmp_path):
    home = node(tmp_path, 'identity_server', 'node1')
    apply_tables(inspect(home, 'identity_server'), {'keystore.mapping.ws_trust': {'keystore_file_name': 'sts.jks'}})
    described = inspect(home, 'identity_server')['purposes']['ws_trust']
    assert described['configured_in_file'] and described['path'].endswith('/sts.jks')
    assert described['keystore_status'] == 'missing'


def test_the_security_folder_is_profile_data_that_product_info_reports(tmp_path):
    info = inspect(node(tmp_path, 'micro_integrator', 'node1'), 'micro_integrator')
    profile = products.profile_for('micro_integrator')
    assert info['security_dir'] == profile.security_dir == SECURITY
    moved = dataclasses.replace(profile, security_dir='conf/keys')
    # Micro Integrator 4 reads every relative name from the home, and writes a new name under its security folder
    assert products.keystore_path(moved, '/opt/mi', 'a.jks') == '/opt/mi/a.jks'
    assert products.file_name_for(moved, None, 'b.jks') == 'conf/keys/b.jks'
    assert products.file_name_for(moved, 'a.jks', 'b.jks') == 'conf/keys/b.jks'
    assert products.keystore_path(products.profile_for('identity_server'), '/opt/is', 'a.jks') == \
        '/opt/is/%s/a.jks' % SECURITY
    assert products.file_name_for(products.profile_for('identity_server'), None, 'b.jks') == 'b.jks'
