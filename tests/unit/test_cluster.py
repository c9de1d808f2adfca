"""The flow's decisions on the controller, from real product homes read as product_info reads them: the
cluster's plan, the settings completed from a role's inputs, the tables a node must hold and which are
pending, the rotation plan, and the JKS-to-PKCS12 migration."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
from pathlib import Path

import pytest

from ansible_collections.carbon.keystores.plugins.module_utils.errors import ClusterError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import dump_keystore, load_keystore
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import keystore_convert
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import (
    cluster, cluster_keys, migration, node_tables, products, purposes, rotations, settings,
)
from homes import (
    CLUSTER_PASSWORD, CONFIG, FLOW_INPUTS, PACK_PASSWORD, SECURITY, apply_tables, inspect, node, params, trust, write_keystore,
)

PASSWORD = CLUSTER_PASSWORD
PRODUCTS = list(CONFIG)
NEW = {'file_name': 'wso2x.jks', 'type': 'JKS', 'alias': 'wso2x'}


def _own_keystore(home, product, name='own.jks', alias='own', password=PASSWORD, subject='CN=own'):
    """Give the node a keystore of its own and point its server tables at it, as the flow would."""
    made = write_keystore(Path(home) / SECURITY / name, password, alias, subject=subject)
    info = inspect(home, product)
    tables = node_tables.wanted_tables(info, product, {'tls': {'path': '%s/%s' % (SECURITY, name), 'type': 'JKS', 'alias': alias}},
                                       {'keystore_password': password, 'key_password': password}, keep_internal=True)
    apply_tables(info, tables)
    return made['fingerprint_sha256']


def _copy_node(home, target):
    """A second node that is a copy of the first, as the nodes of a converged cluster are."""
    shutil.copytree(home, target)


def _infos(root, product, names):
    return {name: inspect(Path(root) / name, product) for name in names}


@pytest.mark.parametrize('product', PRODUCTS)
def test_nodes_on_the_pack_default_get_one_key_generated_in_the_security_folder(tmp_path, product):
    for name in ('a', 'b', 'c'):
        node(tmp_path, product, name)
    plan = cluster_keys.plan(_infos(tmp_path, product, 'abc'), 'tls', None, NEW)
    assert plan['action'] == 'generate' and plan['needs'] == ['a', 'b', 'c'] and plan['source'] is None
    assert (plan['path'], plan['type'], plan['alias']) == ('%s/wso2x.jks' % SECURITY, 'JKS', 'wso2x')


@pytest.mark.parametrize('product', PRODUCTS)
def test_a_node_added_later_gets_the_keystore_the_others_agree_on(tmp_path, product):
    first = node(tmp_path, product, 'a')
    fingerprint = _own_keystore(first, product)
    _copy_node(first, tmp_path / 'b')
    node(tmp_path, product, 'c')
    plan = cluster_keys.plan(_infos(tmp_path, product, 'abc'), 'tls', None, NEW)
    assert plan['action'] == 'copy' and plan['source'] == 'a' and plan['needs'] == ['c']
    assert plan['fingerprint'] == fingerprint and plan['path'] == '%s/own.jks' % SECURITY and plan['alias'] == 'own'
    converged = cluster_keys.plan(_infos(tmp_path, product, 'ab'), 'tls', None, NEW)
    assert converged['action'] == 'keep' and converged['needs'] == []


def test_nodes_that_disagree_stop_unless_a_winner_is_named(tmp_path):
    product = 'micro_integrator'
    fingerprints = {name: _own_keystore(node(tmp_path, product, name), product, subject='CN=%s' % name) for name in 'ab'}
    infos = _infos(tmp_path, product, 'ab')
    with pytest.raises(ClusterError, match=r'The nodes disagree on their TLS keystore: a has %s.*b has %s.*run again with '
                                           r'-e micro_integrator_keystore_source_node=<the node whose keystore wins> '
                                           r'\(one of a, b\)\.$' % (fingerprints['a'][:23], fingerprints['b'][:23])):
        cluster_keys.plan(infos, 'tls', None, NEW)
    plan = cluster_keys.plan(infos, 'tls', 'b', NEW)
    assert (plan['action'], plan['source'], plan['needs'], plan['fingerprint']) == ('copy', 'b', ['a'], fingerprints['b'])
    with pytest.raises(ClusterError, match=r'micro_integrator_keystore_source_node=z is not a node of this run'):
        cluster_keys.plan(infos, 'tls', 'z', NEW)


def test_a_split_is_repaired_toward_the_keystore_most_nodes_name(tmp_path):
    product = 'api_manager'
    first = node(tmp_path, product, 'a')
    fingerprint = _own_keystore(first, product, subject='CN=most')
    _copy_node(first, tmp_path / 'b')
    _own_keystore(node(tmp_path, product, 'c'), product, subject='CN=fewer')
    plan = cluster_keys.plan(_infos(tmp_path, product, 'abc'), 'tls', None, NEW)
    assert (plan['action'], plan['fingerprint'], plan['needs']) == ('copy', fingerprint, ['c'])


def test_a_winner_without_a_keystore_of_its_own_is_refused(tmp_path):
    product = 'api_manager'
    _own_keystore(node(tmp_path, product, 'a'), product)
    node(tmp_path, product, 'b')
    with pytest.raises(ClusterError, match=r'api_manager_keystore_source_node=b names a node without a usable '
                                           r'keystore of its own'):
        cluster_keys.plan(_infos(tmp_path, product, 'ab'), 'tls', 'b', NEW)


@pytest.mark.parametrize('damage, reason', [
    ('secret', r'its password cannot be read back \(it is a \$secret\{\} placeholder\)'),
    ('truncated', r'its tls keystore .* cannot be used \(error\)'),
])
def test_a_node_whose_keystore_cannot_be_judged_blocks_the_plan(tmp_path, damage, reason):
    product = 'identity_server'
    home = node(tmp_path, product, 'a')
    _own_keystore(home, product)
    node(tmp_path, product, 'b')
    if damage == 'secret':
        apply_tables(inspect(home, product), {'keystore.tls': {'password': '$secret{keystore_password}'}})
    else:
        keystore = home / SECURITY / 'own.jks'
        keystore.write_bytes(keystore.read_bytes()[:700])
    with pytest.raises(ClusterError, match=r"Cannot decide the cluster's keystore: a: " + reason):
        cluster_keys.plan(_infos(tmp_path, product, 'ab'), 'tls', None, NEW)


def test_rotation_plans_one_new_file_for_every_node_and_needs_a_shared_key(tmp_path):
    current = {'action': 'keep', 'fingerprint': 'AB:CD', 'type': 'pkcs12', 'alias': 'wso2is', 'needs': []}
    plan = rotations.rotation_plan(current, '20261202120000', ['n2', 'n1'], SECURITY)
    assert plan['action'] == 'generate' and plan['needs'] == ['n1', 'n2'] and plan['old_fingerprint'] == 'AB:CD'
    assert plan['path'] == '%s/wso2is-20261202120000.p12' % SECURITY and plan['trust_alias'] == 'wso2is-20261202120000'
    with pytest.raises(ClusterError, match=r'would generate for n1'):
        rotations.rotation_plan(dict(current, action='generate', needs=['n1']), 'x', ['n1'], SECURITY)


INPUTS = FLOW_INPUTS


@pytest.mark.parametrize('version, given_type, default_type, expected', [
    ('', '', 'JKS', ('JKS', 'wso2is.jks')),            # no version: the type of the home's own profile
    ('', '', 'PKCS12', ('PKCS12', 'wso2is.p12')),
    ('7.0.0', '', 'PKCS12', ('JKS', 'wso2is.jks')),    # a version decides by products.py
    ('7.1.0', '', 'JKS', ('PKCS12', 'wso2is.p12')),
    ('7.1.0', 'jks', 'PKCS12', ('JKS', 'wso2is.jks')),  # what the operator asks wins
])
def test_settings_take_the_keystore_type_from_the_request_the_version_or_the_home(version, given_type, default_type,
                                                                                  expected):
    flow = settings.flow_settings(dict(INPUTS, version=version, keystore_type=given_type), ['n1', 'n2'])
    new = settings.new_keystore(flow, default_type)
    assert (new['type'], new['file_name']) == expected
    assert flow['home'] == '/opt/is' and flow['key_password'] == PASSWORD
    assert flow['subject'] == 'CN=n1' and flow['subject_alt_names'] == ['DNS:n1', 'DNS:n2']


@pytest.mark.parametrize('change, refusal', [
    ({'key_password': 'Other-Key-Pass'}, r'identity_server_key_password differs from identity_server_keystore_password'),
    ({'keystore_password': 'short'}, r'identity_server_keystore_password must have at least 6 characters'),
    ({'key_usage': ['digitalSignature']}, r'identity_server_key_usage must include dataEncipherment'),
    ({'keystore_file_name': '../evil.jks'}, r'identity_server_keystore_file_name must be a bare file name'),
    ({'keystore_type': 'BKS'}, r'identity_server_keystore_type must be JKS or PKCS12, not BKS'),
])
def test_requests_no_node_could_satisfy_are_refused_naming_the_variable(change, refusal):
    flow = settings.flow_settings(dict(INPUTS, **change), ['n1'])
    found = settings.refusals(flow)
    assert len(found) == 1 and re.search(refusal, found[0]), found
    assert settings.refusals(settings.flow_settings(INPUTS, ['n1'])) == []


@pytest.mark.parametrize('product, keep_internal, expected_tables', [
    ('identity_server', True, ['keystore.internal', 'keystore.primary']),
    ('identity_server', False, ['keystore.primary']),
    ('api_manager', True, ['keystore.internal', 'keystore.primary', 'keystore.tls']),
    ('micro_integrator', True, ['keystore.internal', 'keystore.primary']),
    # Enterprise Integrator 7's carbon.xml hard-codes its internal keystore: no table would change it
    ('enterprise_integrator', True, ['keystore.tls']),
])
def test_wanted_tables_point_the_server_at_the_new_keystore_and_keep_the_old_one_internal(tmp_path, product,
                                                                                          keep_internal, expected_tables):
    home = node(tmp_path, product, 'a')
    info = inspect(home, product)
    keystore = {'path': '%s/wso2x.jks' % SECURITY, 'type': 'jks', 'alias': 'wso2x'}
    wanted = node_tables.wanted_tables(info, product, {'tls': keystore}, {'keystore_password': PASSWORD, 'key_password': PASSWORD},
                                       keep_internal=keep_internal)
    assert sorted(wanted) == expected_tables
    for table in expected_tables:
        if table != 'keystore.internal':
            assert wanted[table]['alias'] == 'wso2x' and wanted[table]['type'] == 'JKS'
    if 'keystore.internal' in expected_tables:
        assert wanted['keystore.internal'] == {'file_name': info['purposes']['internal']['file_name'], 'type': 'JKS',
                                               'password': PACK_PASSWORD, 'alias': 'wso2carbon',
                                               'key_password': PACK_PASSWORD}
    # Micro Integrator 4: names relative to the home, as the shipped file writes them
    if product == 'micro_integrator':
        assert wanted['keystore.primary']['file_name'] == '%s/wso2x.jks' % SECURITY
        assert wanted['keystore.internal']['file_name'] == '%s/wso2carbon.jks' % SECURITY


@pytest.mark.parametrize('product', PRODUCTS)
def test_tables_written_are_no_longer_pending_and_the_product_then_reads_the_new_keystore(tmp_path, product):
    home = node(tmp_path, product, 'a')
    made = write_keystore(home / SECURITY / 'wso2x.jks', PASSWORD, 'wso2x', subject='CN=new')
    info = inspect(home, product)
    wanted = node_tables.wanted_tables(info, product, {'tls': {'path': '%s/wso2x.jks' % SECURITY, 'type': 'JKS', 'alias': 'wso2x'}},
                                       {'keystore_password': PASSWORD, 'key_password': PASSWORD}, keep_internal=True,
                                       tenant_keystore_type='PKCS12')
    assert node_tables.pending_tables(info, wanted) == wanted
    assert apply_tables(info, node_tables.pending_tables(info, wanted)).changed
    after = inspect(home, product)
    assert node_tables.pending_tables(after, wanted) == {}
    assert after['purposes']['tls']['fingerprint_sha256'] == made['fingerprint_sha256']
    assert after['purposes']['internal']['fingerprint_sha256'] == info['purposes']['internal']['fingerprint_sha256']
    assert ('keystore.tenant' in wanted) == (product == 'identity_server')


def test_a_value_of_another_toml_type_is_still_pending(tmp_path):
    home = node(tmp_path, 'api_manager', 'a')
    info = inspect(home, 'api_manager')
    assert node_tables.pending_tables(info, {'keystore.tls': {'file_name': 'wso2carbon.jks'}}) == {}
    info['config_tables']['keystore.tls']['type'] = 1
    assert node_tables.pending_tables(info, {'keystore.tls': {'type': 'JKS'}}) == {'keystore.tls': {'type': 'JKS'}}
    assert node_tables.pending_tables(info, {'keystore.tls': {'type': True}}) == {'keystore.tls': {'type': True}}


@pytest.mark.parametrize('product', PRODUCTS)
def test_migration_converts_every_jks_store_and_names_the_twins(tmp_path, product):
    home = node(tmp_path, product, 'a')
    _own_keystore(home, product)
    before = inspect(home, product)
    moved = migration.pkcs12_migration(before, product)
    assert sorted(moved['stores']) == sorted({before['purposes'][p]['path'] for p in purposes.MIGRATED_PURPOSES
                                              if p in before['purposes']})
    for source, store in moved['stores'].items():
        assert store['dest'] == source[:-4] + '.p12'
        outcome = keystore_convert.run(Path(source).read_bytes(), None, params(
            keystore_convert, src=source, path=store['dest'], type='pkcs12', password=store['password'],
            key_password=store['key_password']), source, store['dest'])
        Path(store['dest']).write_bytes(outcome.data)
    apply_tables(before, moved['tables'])
    after = inspect(home, product)
    assert migration.migration_problems(before, after) == []
    assert {after['keystores'][after['purposes'][p]['path']]['type'] for p in ('tls', 'truststore')} == {'pkcs12'}
    assert node_tables.pending_tables(after, moved['tables']) == {}


def test_a_migration_that_lost_the_key_is_named_by_purpose(tmp_path):
    product = 'api_manager'
    home = node(tmp_path, product, 'a')
    before = inspect(home, product)
    moved = migration.pkcs12_migration(before, product)
    for source, store in moved['stores'].items():
        other = load_keystore(Path(source).read_bytes(), store['password'], source)
        if any(entry.kind == 'private_key' for entry in other):  # a twin with another key pair
            write_keystore(Path(store['dest']), store['password'], 'wso2carbon', subject='CN=impostor', type='pkcs12')
        else:
            Path(store['dest']).write_bytes(dump_keystore(other, store['password'], 'pkcs12'))
    apply_tables(before, moved['tables'])
    problems = migration.migration_problems(before, inspect(home, product))
    assert problems and all(problem.endswith('(another key)') for problem in problems)
    assert {problem.split(' ')[0] for problem in problems} == {'primary', 'internal', 'tls'}


def test_every_product_has_a_profile_and_a_default_store_type():
    assert set(products.PRODUCTS) == set(CONFIG)
    assert products.default_store_type('identity_server', '7.0.2') == 'JKS'
    assert products.default_store_type('identity_server', '7.1.0') == 'PKCS12'
    assert {products.default_store_type(p) for p in ('api_manager', 'micro_integrator', 'enterprise_integrator')} == {'JKS'}


def _flow(product, **inputs):
    base = dict(INPUTS, product=product, home='/unused', keystore_password=PASSWORD)
    base.update(inputs)
    return settings.flow_settings(base, ['a', 'b'])


def test_a_separate_primary_keystore_is_planned_apart_from_the_tls_one(tmp_path):
    product = 'identity_server'
    _own_keystore(node(tmp_path, product, 'a'), product, name='wso2is.jks', alias='wso2is')
    _copy_node(tmp_path / 'a', tmp_path / 'b')
    flow = _flow(product, separate_primary_keystore=True)
    assert [item['purpose'] for item in flow['keystores']] == ['tls', 'primary']
    infos = _infos(tmp_path, product, 'ab')
    tls = cluster_keys.plan(infos, 'tls', None, settings.new_keystore(flow, 'JKS', 'tls'))
    primary = cluster_keys.plan(infos, 'primary', None, settings.new_keystore(flow, 'JKS', 'primary'), (tls['path'],))
    assert tls['action'] == 'keep' and tls['path'] == '%s/wso2is.jks' % SECURITY
    # the primary table still reads the TLS keystore: it has no keystore of its own yet
    assert primary['action'] == 'generate' and primary['path'] == '%s/wso2is-primary.jks' % SECURITY
    assert primary['alias'] == 'wso2is-primary' and primary['needs'] == ['a', 'b']
    wanted = node_tables.wanted_tables(infos['a'], product, {
        'tls': {'path': tls['path'], 'type': 'JKS', 'alias': 'wso2is'},
        'primary': {'path': primary['path'], 'type': 'JKS', 'alias': 'wso2is-primary'}},
        {'keystore_password': PASSWORD, 'key_password': PASSWORD}, keep_internal=True)
    assert wanted['keystore.primary']['file_name'] == 'wso2is-primary.jks'
    assert wanted['keystore.tls']['file_name'] == 'wso2is.jks', 'TLS gets a table of its own once primary moves'


def test_lacking_and_build_needed_follow_what_each_node_holds(tmp_path):
    product = 'api_manager'
    _own_keystore(node(tmp_path, product, 'a'), product)
    node(tmp_path, product, 'b')
    infos = _infos(tmp_path, product, 'ab')
    chain = infos['a']['purposes']['tls']['chain_fingerprints_sha256']
    path = '%s/own.jks' % SECURITY
    assert cluster_keys.lacking(infos, 'tls', path, chain) == ['b']
    assert cluster_keys.lacking(infos, 'tls', path, ['AA:BB']) == ['a', 'b']
    keep = {'action': 'copy', 'path': path}
    keystore = {'purpose': 'tls', 'csr_path': ''}
    assert cluster_keys.build_needed(keep, keystore, None, infos) is False
    assert cluster_keys.build_needed(keep, dict(keystore, csr_path='/x.csr'), None, infos) is True
    assert cluster_keys.build_needed(keep, keystore, {'chain_sha256': chain}, {'a': infos['a']}) is False
    assert cluster_keys.build_needed(keep, keystore, {'chain_sha256': ['AA:BB']}, infos) is True
    assert cluster_keys.build_needed(dict(keep, action='generate'), keystore, None, infos) is True


def test_password_changes_name_each_store_and_refuse_what_a_node_cannot_take(tmp_path):
    info = inspect(node(tmp_path, 'identity_server', 'a'), 'identity_server')
    flow = _flow('identity_server', internal_keystore_password='Internal-1', truststore_password='Trust-22')
    found = cluster.password_changes(info, flow, ['%s/wso2is.jks' % SECURITY])
    assert found['refusals'] == []
    assert [(c['purpose'], c['old_password'], c['password'], c['opens']) for c in found['changes']] == [
        ('internal', PACK_PASSWORD, 'Internal-1', True), ('truststore', PACK_PASSWORD, 'Trust-22', True)]
    # fresh_install: the internal keystore reads the cluster's keystore, whose password is the keystore password
    shared = cluster.password_changes(info, flow, ['%s/wso2carbon.jks' % SECURITY])
    assert shared['changes'][0]['purpose'] == 'truststore'
    assert 'identity_server_internal_keystore_password: [keystore.internal] reads the cluster\'s keystore' in \
        shared['refusals'][0]
    # Enterprise Integrator ships the internal keystore and the truststore as one file
    ei = inspect(node(tmp_path, 'enterprise_integrator', 'e'), 'enterprise_integrator')
    one_file = cluster.password_changes(ei, _flow('enterprise_integrator', internal_keystore_password='Internal-1'), [])
    assert 'is both the internal keystore and the truststore' in one_file['refusals'][0]
    two = cluster.password_changes(ei, _flow('enterprise_integrator', internal_keystore_password='Internal-1',
                                             truststore_password='Trust-22'), [])
    assert 'give enterprise_integrator_internal_keystore_password and enterprise_integrator_truststore_password the ' \
        'same value' in two['refusals'][0]
    assert cluster.password_changes(ei, _flow('enterprise_integrator', internal_keystore_password='Same-Pass-1',
                                              truststore_password='Same-Pass-1'), [])['refusals'] == []


def test_wanted_tables_carry_new_store_passwords_once_the_internal_keystore_has_a_table(tmp_path):
    product = 'micro_integrator'
    info = inspect(node(tmp_path, product, 'a'), product)
    keystores = {'tls': {'path': '%s/wso2mi.jks' % SECURITY, 'type': 'JKS', 'alias': 'wso2mi'}}
    passwords = {'keystore_password': PASSWORD, 'key_password': PASSWORD}
    wanted = node_tables.wanted_tables(info, product, keystores, passwords, keep_internal=True,
                                       internal_password='Internal-1', truststore_password='Trust-22')
    assert wanted['keystore.internal']['password'] == wanted['keystore.internal']['key_password'] == 'Internal-1'
    assert wanted['keystore.internal']['file_name'] == '%s/wso2carbon.jks' % SECURITY
    assert wanted['truststore'] == {'password': 'Trust-22'}
    following = node_tables.wanted_tables(info, product, keystores, passwords, keep_internal=False,
                                          internal_password='Internal-1')
    assert 'keystore.internal' not in following, 'an internal keystore that follows the primary gets no password of its own'


def test_refusals_name_a_foreign_password_and_a_new_key_the_internal_keystore_reads(tmp_path):
    product = 'identity_server'
    home = node(tmp_path, product, 'a')
    _own_keystore(home, product, password='Other-Pass-99')
    infos = _infos(tmp_path, product, 'a')
    flow = _flow(product)
    plans = {'tls': cluster_keys.plan(infos, 'tls', None, NEW)}
    assert 'on a is protected by another password than identity_server_keystore_password' in \
        cluster.node_refusals(infos, flow, plans)['a'][0]
    # [keystore.internal] reading the cluster's keystore, and a new key for it
    apply_tables(infos['a'], {'keystore.internal': {'file_name': 'own.jks', 'alias': 'own', 'password': 'Other-Pass-99',
                                                    'key_password': 'Other-Pass-99'}})
    infos = _infos(tmp_path, product, 'a')
    judged = {'tls': {'mode': 'import', 'same_key_as_current': False, 'problems': []}}
    assert cluster.node_refusals(infos, dict(flow, keystore_password='Other-Pass-99'), plans) == {'a': []}
    found = cluster.material_refusals(infos, dict(flow, keystore_password='Other-Pass-99'), plans, judged)
    assert found == ['identity_server_tls_private_key: it would replace the key of %s/%s/own.jks, which '
                     '[keystore.internal] also reads on a; data encrypted with that key would become unreadable. Give '
                     '[keystore.internal] a keystore of its own first (run the role without identity_server_fresh_install).'
                     % (home, SECURITY)]
    renewal = {'tls': {'mode': 'import', 'same_key_as_current': True, 'problems': []}}
    assert cluster.material_refusals(infos, dict(flow, keystore_password='Other-Pass-99'), plans, renewal) == []


def _with_contents(info):
    """``info`` as product_info returns it with return_content: the bytes and SHA-256 of the config file and of
    every file of the security folder, by absolute path."""
    home = Path(info['home'])
    paths = [Path(info['config_file'])] + sorted((home / SECURITY).iterdir())
    info['contents'] = {str(path): {'sha256': hashlib.sha256(path.read_bytes()).hexdigest(),
                                    'content': base64.b64encode(path.read_bytes()).decode('ascii')} for path in paths}
    return info


def test_the_preflight_judges_every_node_once_and_plans_nothing_while_a_node_cannot_be_read(tmp_path):
    product = 'identity_server'
    for name in ('a', 'b'):
        node(tmp_path, product, name)
    infos = _infos(tmp_path, product, 'ab')
    flow = _flow(product, internal_keystore_password='Internal-1')
    judged = cluster.preflight(infos, flow)
    assert judged['refusals'] == {'a': [], 'b': []} and judged['cluster_refusals'] == []
    assert judged['plans']['tls']['action'] == 'generate' and judged['plans'] == cluster.plan_keystores(infos, flow)
    assert [change['purpose'] for change in judged['password_changes']['a']] == ['internal']
    assert judged['reopen'] == {'a': [], 'b': []}
    unreadable = dict(infos, c={'msg': 'Cannot read /nowhere/repository/conf/deployment.toml: no such file'})
    stopped = cluster.preflight(unreadable, flow)
    assert stopped['plans'] == {} and stopped['password_changes'] == {}
    assert stopped['refusals'] == {'a': [], 'b': [], 'c': [
        'c: identity_server_home: Cannot read /nowhere/repository/conf/deployment.toml: no such file.']}, \
        'the node that cannot be read is the one refused, naming the variable that points at it'


def test_an_internal_password_that_does_not_open_the_vault_is_refused_on_each_node_naming_the_variable(tmp_path):
    product = 'api_manager'
    info = inspect(node(tmp_path, product, 'a'), product)
    closed = {'purpose': 'internal', 'code': 'secret_unresolved', 'severity': 'error',
              'message': 'The $secret{} values of x cannot be decrypted with the internal keystore and the password '
                         'given: Cannot open keystore y: the store password is wrong.'}
    one_value = dict(closed, alias='keystore_password', message='keystore.tls.password = $secret{keystore_password}')
    infos = {'a': dict(info, findings=[closed]), 'b': dict(info, findings=[one_value])}
    judged = cluster.preflight(infos, _flow(product, internal_keystore_password='Typo-Pass-1'))
    assert judged['refusals']['a'] == [
        'a: api_manager_internal_keystore_password does not open the internal keystore, whose key reads the secure '
        'vault: Cannot open keystore y: the store password is wrong. Give the password the internal keystore has now; '
        'without it the $secret{} passwords of the configuration cannot be read.']
    (value,) = judged['refusals']['b']
    assert value.startswith('b: keystore.tls.password = $secret{keystore_password} The role cannot read that store\'s '
                            'password') and 'internal_keystore_password does not open' not in value, \
        'a value that does not decrypt is refused for itself, not as a closed vault'


def test_a_key_to_generate_is_built_once_from_nothing(tmp_path):
    product = 'micro_integrator'
    for name in ('a', 'b'):
        node(tmp_path, product, name)
    infos = _infos(tmp_path, product, 'ab')
    flow = _flow(product)
    built = cluster_keys.builds(cluster.plan_keystores(infos, flow), flow, {}, infos)
    assert [(item['purpose'], item['mode'], item['content']) for item in built] == [('tls', '', '')]


def test_encrypted_tables_refer_to_the_vault_and_the_internal_password_only_once_the_file_has_it(tmp_path):
    product = 'identity_server'
    info = inspect(node(tmp_path, product, 'a'), product)
    flow = _flow(product, internal_keystore_password='Internal-1')
    keystores = {'tls': {'path': '%s/wso2is.jks' % SECURITY, 'type': 'JKS', 'alias': 'wso2is'}}
    passwords = {'keystore_password': PASSWORD, 'key_password': PASSWORD}
    tables = node_tables.wanted_tables(info, product, keystores, passwords, keep_internal=True)
    referenced, secrets = node_tables.referenced_tables(tables, info, 'Internal-1')
    assert referenced['keystore.primary']['password'] == referenced['keystore.primary']['key_password'] == \
        '$secret{keystore_password}'
    # the pack's internal keystore still opens with the pack's password: that stays in clear until passwords.yml
    assert referenced['keystore.internal']['password'] == PACK_PASSWORD
    assert referenced['truststore'] == {'password': '$secret{truststore_password}'}
    assert secrets == {'keystore_password': PASSWORD, 'truststore_password': PACK_PASSWORD}
    # passwords.yml: the internal keystore has its own password now, and the configuration names it
    later = {table: settings for table, settings in node_tables.wanted_tables(
        info, product, keystores, passwords, keep_internal=True, internal_password='Internal-1').items()
        if table in ('keystore.internal', 'truststore')}
    referenced, secrets = node_tables.referenced_tables(later, info, 'Internal-1')
    assert referenced['keystore.internal']['password'] == referenced['keystore.internal']['key_password'] == \
        '$secret{internal_keystore_password}'
    assert secrets['internal_keystore_password'] == 'Internal-1'
    kept = node_tables.vault_keystore(dict(info, contents={}), flow, {}, keep_internal=True)
    assert kept['path'] == str(tmp_path / 'a' / SECURITY / 'wso2carbon.jks') and kept['password'] == PACK_PASSWORD
    new = {'tls': {'path': '%s/wso2is.jks' % SECURITY, 'content': 'AAAA'}}
    assert node_tables.vault_keystore(info, flow, new, keep_internal=False) == {
        'path': '%s/wso2is.jks' % SECURITY, 'content': 'AAAA', 'password': PASSWORD}


def test_a_truststore_on_its_default_password_goes_into_the_vault_and_the_migration_keeps_the_reference(tmp_path):
    # API Manager ships no [truststore]: the product opens client-truststore.jks with default.json's password
    product = 'api_manager'
    info = inspect(node(tmp_path, product, 'a'), product)
    assert 'truststore' not in info['config_tables']
    keystores = {'tls': {'path': '%s/wso2am.jks' % SECURITY, 'type': 'JKS', 'alias': 'wso2am'}}
    tables = node_tables.wanted_tables(info, product, keystores, {'keystore_password': PASSWORD,
                                                                  'key_password': PASSWORD}, keep_internal=True)
    referenced, secrets = node_tables.referenced_tables(tables, info, 'Internal-1')
    assert referenced['truststore'] == {'password': '$secret{truststore_password}'}
    assert secrets['truststore_password'] == PACK_PASSWORD
    # the migration adds a table naming the twin: it states the default's password only while the file has no
    # [truststore]; once the vault wrote one, the migration names the file and type and the reference stays
    assert migration.pkcs12_migration(info, product)['tables']['truststore']['password'] == PACK_PASSWORD
    vaulted = dict(info, config_tables=dict(info['config_tables'], truststore={'password': '$secret{truststore_password}'}))
    vaulted['purposes'] = dict(info['purposes'], truststore=dict(info['purposes']['truststore'], configured_in_file=True))
    moved = migration.pkcs12_migration(vaulted, product)['tables']['truststore']
    assert moved == {'file_name': 'client-truststore.p12', 'type': 'PKCS12'}


def test_a_new_keystore_never_takes_a_name_a_node_uses_and_adopts_its_own_earlier_file(tmp_path):
    product = 'identity_server'
    for name in 'ab':
        node(tmp_path, product, name)
    flow = _flow(product)
    # an operator's keystore that nothing configures sits at the name the role would choose, on one node
    foreign = write_keystore(tmp_path / 'a' / SECURITY / 'wso2is.jks', 'Foreign-Pass-1', 'foreign')
    plans = cluster.plan_keystores(_with_infos(tmp_path, product), flow)
    assert plans['tls']['action'] == 'generate' and plans['tls']['path'] == '%s/wso2is-2.jks' % SECURITY
    assert foreign['fingerprint_sha256'] not in str(plans)
    # the operator chose that name: refused, naming the variable and what holds it
    with pytest.raises(ClusterError, match=r'identity_server_keystore_file_name=wso2is.jks names a file that exists '
                                           r'already \(a: .*wso2is.jks is a file this role did not write\)'):
        cluster.plan_keystores(_with_infos(tmp_path, product), _flow(product, keystore_file_name='wso2is.jks'))
    # this role's own keystore, left by a run that stopped (or claimed by another controller), is adopted
    (tmp_path / 'a' / SECURITY / 'wso2is.jks').unlink()
    own = write_keystore(tmp_path / 'b' / SECURITY / 'wso2is.jks', PASSWORD, 'wso2is')
    infos = _with_infos(tmp_path, product)
    plans = cluster.plan_keystores(infos, flow)
    assert (plans['tls']['action'], plans['tls']['source'], plans['tls']['fingerprint'], plans['tls']['path']) == (
        'copy', 'b', own['fingerprint_sha256'], '%s/wso2is.jks' % SECURITY)
    assert cluster.node_refusals(infos, flow, plans) == {'a': [], 'b': []}, 'it opens with the role\'s password'
    clusters = cluster_keys.cluster_keystores(plans, {}, infos)
    assert clusters['tls']['needs'] == ['a', 'b'] and clusters['tls']['entries_text'].startswith('wso2is: private key')
    # the internal keystore configured at that name is never the cluster's: another name
    apply_tables(infos['b'], {'keystore.internal': {'file_name': 'wso2is.jks', 'alias': 'wso2is', 'password': PASSWORD,
                                                    'key_password': PASSWORD}})
    plans = cluster.plan_keystores(_with_infos(tmp_path, product), flow)
    assert plans['tls']['action'] == 'generate' and plans['tls']['path'] == '%s/wso2is-2.jks' % SECURITY


def _with_infos(root, product):
    return {name: _with_contents(info) for name, info in _infos(root, product, 'ab').items()}


def _converged_cluster(tmp_path, product='identity_server'):
    """Two nodes as a run of the flow leaves them: a keystore of their own configured, its certificate in the
    truststore. (the nodes' reads, the flow's settings)."""
    home = node(tmp_path, product, 'a')
    _own_keystore(home, product)
    flow = _flow(product)
    infos = {name: _with_contents(info) for name, info in _infos(tmp_path, product, 'a').items()}
    clusters = cluster_keys.cluster_keystores(cluster.plan_keystores(infos, flow), {}, infos)
    trust(home / SECURITY / 'client-truststore.jks', PACK_PASSWORD, [('own', clusters['tls']['certificate_pem'])])
    apply_tables(infos['a'], node_tables.table_step(infos['a'], flow, clusters, settings.keep_internal(flow))['tables'])
    _copy_node(home, tmp_path / 'b')
    return _read(tmp_path), flow


def _read(root):
    return {name: _with_contents(info) for name, info in _infos(root, 'identity_server', 'ab').items()}


def test_a_cluster_is_converged_only_when_no_node_lacks_anything_the_flow_would_write(tmp_path):
    """main.yml skips every step after the preflight for a converged cluster: the judgement must see anything one
    node lacks, or the run would leave it unrepaired."""
    infos, flow = _converged_cluster(tmp_path)
    assert cluster.preflight(infos, flow, ca_certificates=[])['converged'], 'nothing to build, configure, trust or write'
    assert not cluster.preflight(infos, flow)['converged'], 'without the CA certificates judged, nothing is known'
    assert not cluster.preflight(infos, flow, 'stamp', [])['converged'], 'a rotation has everything to do'
    # one node's truststore lost the cluster's certificate
    trust_b = tmp_path / 'b' / SECURITY / 'client-truststore.jks'
    shutil.copy(tmp_path / 'a' / SECURITY / 'wso2carbon.jks', trust_b)  # a store without that certificate
    assert not cluster.preflight(_read(tmp_path), flow, ca_certificates=[])['converged']
    shutil.copy(tmp_path / 'a' / SECURITY / 'client-truststore.jks', trust_b)
    # a CA certificate handed over that no truststore holds yet
    ca = write_keystore(tmp_path / 'ca.jks', PASSWORD, 'ca', subject='CN=Example CA')['certificate_pem']
    assert not cluster.preflight(infos, flow, ca_certificates=[{'alias': 'ca', 'certificate': ca}])['converged']
    # one node's configuration edited by hand, another its keystore gone
    config_b = Path(infos['b']['config_file'])
    edited = config_b.read_text().replace('alias = "own"', 'alias = "wso2carbon"', 1)
    assert edited != config_b.read_text()
    config_b.write_text(edited)
    assert not cluster.preflight(_read(tmp_path), flow, ca_certificates=[])['converged']
    shutil.copy(infos['a']['config_file'], config_b)
    (tmp_path / 'b' / SECURITY / 'own.jks').unlink()
    assert not cluster.preflight(_read(tmp_path), flow, ca_certificates=[])['converged']
    # the steps only running them judges: the secure vault, the move to PKCS12, PEM material handed over
    for inputs in ({'encrypt_passwords': True}, {'tls_certificate': ca}):
        assert not cluster.preflight(infos, _flow('identity_server', **inputs), ca_certificates=[])['converged'], inputs
    assert not cluster.converged(infos, settings.flow_settings(dict(FLOW_INPUTS, product='identity_server',
                                                                    home='/unused', keystore_password=PASSWORD),
                                                               ['a', 'b'], True), {}, [], cluster.preflight(infos, flow))
