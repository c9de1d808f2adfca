"""The product roles' flow filters as the flow calls them (plugins/filter/flow.py), on real product homes in a
temporary folder: what they return, and an operator's error as the filter's own sentence."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.carbon.keystores.plugins.filter.flow import FilterModule
from homes import CLUSTER_PASSWORD, FLOW_INPUTS, SECURITY, apply_tables, inspect, node, trust, write_keystore

FILTERS = FilterModule().filters()
PASSWORD = CLUSTER_PASSWORD
INPUTS = FLOW_INPUTS


def _own_keystore(home, subject):
    """A node that serves a keystore of its own (wso2is.jks), its tables written by the flow's own filter."""
    write_keystore(Path(home) / SECURITY / 'wso2is.jks', PASSWORD, 'wso2is', subject=subject)
    info = inspect(home, 'identity_server')
    tables = FILTERS['wanted_tables'](info, 'identity_server', {
        'tls': {'path': '%s/wso2is.jks' % SECURITY, 'type': 'JKS', 'alias': 'wso2is'}},
        {'keystore_password': PASSWORD, 'key_password': PASSWORD}, keep_internal=True)
    apply_tables(info, tables)


def test_nodes_that_disagree_fail_the_preflight_with_the_variable_that_settles_it(tmp_path):
    for name, subject in (('a', 'CN=a'), ('b', 'CN=b')):
        _own_keystore(node(tmp_path, 'identity_server', name), subject)
    infos = {name: inspect(tmp_path / name, 'identity_server') for name in 'ab'}
    flow = FILTERS['flow_settings'](INPUTS, ['a', 'b'])
    judged = FILTERS['preflight'](infos, flow)
    assert judged['plans'] == {} and not any(judged['refusals'].values())
    (sentence,) = judged['cluster_refusals']
    assert 'disagree on their TLS keystore' in sentence and '-e identity_server_keystore_source_node=' in sentence
    # naming the node settles it: the other node gets a copy of its keystore
    settled = FILTERS['preflight'](infos, FILTERS['flow_settings'](dict(INPUTS, keystore_source_node='a'), ['a', 'b']))
    assert settled['plans']['tls']['action'] == 'copy' and settled['plans']['tls']['needs'] == ['b']


def test_a_module_utils_error_becomes_the_filters_sentence_not_a_traceback(tmp_path):
    node(tmp_path, 'identity_server', 'a')
    infos = {'a': inspect(tmp_path / 'a', 'identity_server')}
    flow = FILTERS['flow_settings'](dict(INPUTS, keystore_source_node='c'), ['a'])
    judged = FILTERS['preflight'](infos, flow)
    assert judged['cluster_refusals'] == ['identity_server_keystore_source_node=c is not a node of this run; run it '
                                          'with that node.']
    with pytest.raises(AnsibleFilterError, match='product must be one of'):
        FILTERS['flow_refusals'](FILTERS['flow_settings'](dict(INPUTS, product='banana'), ['a']))


def test_the_flow_refuses_before_reading_any_node_naming_each_variable():
    refused = FILTERS['flow_refusals'](FILTERS['flow_settings'](dict(INPUTS, keystore_password='short',
                                                                     keystore_file_name='../x.jks'), ['a']))
    assert [sentence.split(' ')[0] for sentence in refused] == ['identity_server_keystore_password',
                                                                'identity_server_keystore_file_name']


def test_a_copied_node_is_no_refusal_and_keeps_its_key(tmp_path):
    _own_keystore(node(tmp_path, 'identity_server', 'a'), 'CN=a')
    shutil.copytree(tmp_path / 'a', tmp_path / 'b')
    infos = {name: inspect(tmp_path / name, 'identity_server') for name in 'ab'}
    judged = FILTERS['preflight'](infos, FILTERS['flow_settings'](INPUTS, ['a', 'b']))
    assert judged['plans']['tls']['action'] == 'keep' and judged['plans']['tls']['needs'] == []
    assert judged['refusals'] == {'a': [], 'b': []} and judged['cluster_refusals'] == []


def test_the_internal_keystore_is_kept_unless_a_fresh_install_lets_it_follow_and_a_rotation_always_pins_it():
    keep = FILTERS['keep_internal']
    assert keep(FILTERS['flow_settings'](INPUTS, ['a'])) is True
    fresh = FILTERS['flow_settings'](dict(INPUTS, fresh_install=True), ['a'])
    assert keep(fresh) is False and keep(fresh, True) is True


def test_a_table_step_says_what_to_write_what_the_vault_needs_and_nothing_once_the_file_holds_it(tmp_path):
    home = node(tmp_path, 'identity_server', 'a')
    write_keystore(Path(home) / SECURITY / 'wso2is.jks', PASSWORD, 'wso2is', subject='CN=a')
    properties = Path(home) / 'repository' / 'conf' / 'security' / 'secret-conf.properties'
    properties.parent.mkdir(parents=True)
    properties.write_text('secVault.enabled=false\n')
    # the bytes of the vault's file as product_info returns them with return_content
    info = dict(inspect(home, 'identity_server'),
                contents={str(properties): {'content': base64.b64encode(properties.read_bytes()).decode()}})
    clusters = {'tls': {'path': '%s/wso2is.jks' % SECURITY, 'type': 'JKS', 'alias': 'wso2is'}}
    flow = FILTERS['flow_settings'](dict(INPUTS, encrypt_passwords=True, internal_keystore_password='Internal-1'), ['a'])
    step = FILTERS['table_step'](info, flow, clusters)
    assert step['keep_internal'] is True and step['pending'] == step['tables']
    assert step['tables']['keystore.primary']['password'] == '$secret{keystore_password}'
    assert step['secrets']['keystore_password'] == PASSWORD
    assert base64.b64decode(step['vault_files']['properties']) == properties.read_bytes()
    assert step['vault_files']['cipher_text'] == ''
    # the passwords step: only the internal keystore's and the truststore's tables
    assert set(FILTERS['table_step'](info, flow, clusters, new_passwords=True)['tables']) <= {'keystore.internal',
                                                                                              'truststore'}
    # a fresh install lets the internal keystore follow the new key; once written, nothing is pending
    plain = FILTERS['flow_settings'](dict(INPUTS, fresh_install=True), ['a'])
    fresh = FILTERS['table_step'](info, plain, clusters)
    assert fresh['keep_internal'] is False and fresh['secrets'] == {} and 'keystore.internal' not in fresh['tables']
    apply_tables(info, fresh['pending'])
    assert FILTERS['table_step'](inspect(home, 'identity_server'), plain, clusters)['pending'] == {}


def test_the_verdict_after_a_change_names_a_changed_internal_key_unless_a_fresh_install_lets_it_follow(tmp_path):
    home = node(tmp_path, 'identity_server', 'a')
    before = inspect(home, 'identity_server')
    kept = FILTERS['flow_settings'](INPUTS, ['a'])
    serving = {'tls': {'fingerprint': before['purposes']['tls']['fingerprint_sha256']}}
    assert FILTERS['verify_problems'](before, before, kept, serving) == []
    # the pack's keystore replaced by another key under the same name: the internal key the product's data needs is gone
    (Path(home) / SECURITY / 'wso2carbon.jks').unlink()
    write_keystore(Path(home) / SECURITY / 'wso2carbon.jks', 'wso2carbon', 'wso2carbon', subject='CN=other')
    after = inspect(home, 'identity_server')
    (problem,) = [item for item in FILTERS['verify_problems'](after, before, kept, {}) if 'internal key' in item]
    assert before['purposes']['internal']['fingerprint_sha256'] in problem
    fresh = FILTERS['flow_settings'](dict(INPUTS, fresh_install=True), ['a'])
    assert not [item for item in FILTERS['verify_problems'](after, before, fresh, {}) if 'internal key' in item]
    assert FILTERS['verify_problems'](after, before, fresh, {}, pinned=True), 'a rotation pins it'


def _with_content(home, path):
    """The node's read with the bytes of ``path`` as product_info returns them with return_content."""
    return dict(inspect(home, 'identity_server'),
                contents={str(path): {'content': base64.b64encode(Path(path).read_bytes()).decode()}})


def test_the_trust_step_runs_only_while_a_certificate_is_missing_or_the_password_changes(tmp_path):
    home = node(tmp_path, 'identity_server', 'a')
    made = write_keystore(Path(home) / SECURITY / 'wso2is.jks', PASSWORD, 'wso2is', subject='CN=a')
    clusters = {'tls': {'trust_alias': 'wso2is', 'certificate_pem': made['certificate_pem']}}
    truststore = Path(home) / SECURITY / 'client-truststore.jks'
    flow = FILTERS['flow_settings'](INPUTS, ['a'])
    step = FILTERS['trust_step'](_with_content(home, truststore), flow, clusters, [])
    assert step['needed'] is True and step['path'] == str(truststore)
    assert step['certificates'] == [{'alias': 'wso2is', 'certificate': made['certificate_pem']}]
    assert base64.b64decode(step['content']) == truststore.read_bytes()
    assert step['password'] == 'wso2carbon' and step['old_password'] is None
    # once the truststore holds the cluster's certificate, nothing to do
    trust(truststore, 'wso2carbon', [('wso2is', made['certificate_pem'])])
    info = _with_content(home, truststore)
    assert FILTERS['trust_step'](info, flow, clusters, [])['needed'] is False
    # a CA certificate it lacks, even second in a PEM whose first it holds, makes the step run
    other = write_keystore(tmp_path / 'ca.jks', PASSWORD, 'ca', subject='CN=Some CA')
    bundle = made['certificate_pem'] + other['certificate_pem']
    assert FILTERS['trust_step'](info, flow, clusters, [{'alias': None, 'certificate': bundle}])['needed'] is True
    # a new truststore password: the step runs, with the old password to open it
    renamed = FILTERS['flow_settings'](dict(INPUTS, truststore_password='Trust-Pass-2026'), ['a'])
    changed = FILTERS['trust_step'](info, renamed, clusters, [], [{'purpose': 'truststore'}])
    assert changed['needed'] is True and changed['password'] == 'Trust-Pass-2026'
    assert changed['old_password'] == 'wso2carbon'


def test_the_move_to_pkcs12_is_asked_by_the_role_or_by_its_playbook_and_then_the_read_holds_the_twins():
    plain = FILTERS['flow_settings'](INPUTS, ['a'])
    assert plain['migrate_to_pkcs12'] is False and '*.p12' not in plain['read_also']
    for asked in (FILTERS['flow_settings'](dict(INPUTS, migrate_to_pkcs12=True), ['a']),
                  FILTERS['flow_settings'](INPUTS, ['a'], migrate=True)):
        assert asked['migrate_to_pkcs12'] is True and '*.p12' in asked['read_also']
        assert set(plain['read_also']) < set(asked['read_also'])


def test_each_step_records_its_result_under_its_own_name_and_the_write_writes_what_they_recorded(tmp_path):
    home = node(tmp_path, 'identity_server', 'a')
    config = Path(inspect(home, 'identity_server')['config_file'])
    info = dict(_with_content(home, config), home=str(home))
    info['contents'][str(config)]['sha256'] = 'read'
    flow = FILTERS['flow_settings'](INPUTS, ['a'])
    content = base64.b64encode(config.read_bytes() + b'\n# the step\n').decode()
    steps = FILTERS['step_results']({}, config={'changed': True, 'content': content})
    steps = FILTERS['step_results'](steps, truststore={'skipped': True}, internal=[])
    assert set(steps) == {'config', 'truststore', 'internal'}
    (written,) = FILTERS['node_writes'](info, 'a', flow, {}, steps)
    assert written['path'] == str(config) and written['content'] == content and written['expected_sha256'] == 'read'
    assert FILTERS['node_writes'](info, 'a', flow, {}, FILTERS['step_results']({}, config={'skipped': True})) == []
    with pytest.raises(AnsibleFilterError, match='no step configuration'):
        FILTERS['step_results'](steps, configuration={'changed': True})
