"""The flow's decisions on the controller, from real product homes read as product_info reads them: the
cluster's plan, the settings completed from a role's inputs, the tables a node must hold and which are
pending, the rotation plan, and the JKS-to-PKCS12 migration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.carbon.keystores.plugins.module_utils.errors import ClusterError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import dump_keystore, load_keystore
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import keystore_convert
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import cluster, products, settings
from homes import CONFIG, PACK_PASSWORD, SECURITY, apply_tables, inspect, node, params, write_keystore

PASSWORD = 'Cluster-Pass-2026'
PRODUCTS = list(CONFIG)
NEW = {'file_name': 'wso2x.jks', 'type': 'JKS', 'alias': 'wso2x'}


def _own_keystore(home, product, name='own.jks', alias='own', password=PASSWORD, subject='CN=own'):
    """Give the node a keystore of its own and point its server tables at it, as the flow would."""
    made = write_keystore(Path(home) / SECURITY / name, password, alias, subject=subject)
    info = inspect(home, product)
    tables = cluster.wanted_tables(info, product, {'path': '%s/%s' % (SECURITY, name), 'type': 'JKS', 'alias': alias},
                                   {'keystore_password': password, 'key_password': password}, keep_internal=True)
    apply_tables(info, tables)
    return made['fingerprint_sha256']


def _infos(root, product, names):
    return {name: inspect(Path(root) / name, product) for name in names}


@pytest.mark.parametrize('product', PRODUCTS)
def test_nodes_on_the_pack_default_get_one_key_generated_in_the_security_folder(tmp_path, product):
    for name in ('a', 'b', 'c'):
        node(tmp_path, product, name)
    plan = cluster.plan(_infos(tmp_path, product, 'abc'), 'tls', None, NEW)
    assert plan['action'] == 'generate' and plan['needs'] == ['a', 'b', 'c'] and plan['source'] is None
    assert (plan['path'], plan['type'], plan['alias']) == ('%s/wso2x.jks' % SECURITY, 'JKS', 'wso2x')


@pytest.mark.parametrize('product', PRODUCTS)
def test_a_node_added_later_gets_the_keystore_the_others_agree_on(tmp_path, product):
    first = node(tmp_path, product, 'a')
    fingerprint = _own_keystore(first, product)
    (tmp_path / 'b').mkdir()
    for path in first.rglob('*'):  # the second node is a copy of the first, as a cluster is
        target = tmp_path / 'b' / path.relative_to(first)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    node(tmp_path, product, 'c')
    plan = cluster.plan(_infos(tmp_path, product, 'abc'), 'tls', None, NEW)
    assert plan['action'] == 'copy' and plan['source'] == 'a' and plan['needs'] == ['c']
    assert plan['fingerprint'] == fingerprint and plan['path'] == '%s/own.jks' % SECURITY and plan['alias'] == 'own'
    converged = cluster.plan(_infos(tmp_path, product, 'ab'), 'tls', None, NEW)
    assert converged['action'] == 'keep' and converged['needs'] == []


def test_nodes_that_disagree_stop_unless_a_winner_is_named(tmp_path):
    product = 'micro_integrator'
    fingerprints = {name: _own_keystore(node(tmp_path, product, name), product, subject='CN=%s' % name) for name in 'ab'}
    infos = _infos(tmp_path, product, 'ab')
    with pytest.raises(ClusterError, match=r'The nodes disagree on their TLS keystore: a has %s.*b has %s' % (
            fingerprints['a'][:23], fingerprints['b'][:23])):
        cluster.plan(infos, 'tls', None, NEW)
    plan = cluster.plan(infos, 'tls', 'b', NEW)
    assert (plan['action'], plan['source'], plan['needs'], plan['fingerprint']) == ('copy', 'b', ['a'], fingerprints['b'])
    with pytest.raises(ClusterError, match=r'The node named to win \(z\) is not in this run'):
        cluster.plan(infos, 'tls', 'z', NEW)


def test_a_winner_without_a_keystore_of_its_own_is_refused(tmp_path):
    product = 'api_manager'
    _own_keystore(node(tmp_path, product, 'a'), product)
    node(tmp_path, product, 'b')
    with pytest.raises(ClusterError, match=r'\(b\) has no usable keystore of its own'):
        cluster.plan(_infos(tmp_path, product, 'ab'), 'tls', 'b', NEW)


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
        cluster.plan(_infos(tmp_path, product, 'ab'), 'tls', None, NEW)


def test_rotation_plans_one_new_file_for_every_node_and_needs_a_shared_key(tmp_path):
    current = {'action': 'keep', 'fingerprint': 'AB:CD', 'type': 'pkcs12', 'alias': 'wso2is', 'needs': []}
    plan = cluster.rotation_plan(current, '20261202120000', ['n2', 'n1'])
    assert plan['action'] == 'generate' and plan['needs'] == ['n1', 'n2'] and plan['old_fingerprint'] == 'AB:CD'
    assert plan['path'] == '%s/wso2is-20261202120000.p12' % SECURITY and plan['trust_alias'] == 'wso2is-20261202120000'
    with pytest.raises(ClusterError, match=r'would generate for n1'):
        cluster.rotation_plan(dict(current, action='generate', needs=['n1']), 'x', ['n1'])


INPUTS = {'product': 'identity_server', 'home': '/opt/is/', 'keystore_password': PASSWORD, 'version': '',
          'key_password': '', 'truststore_password': '', 'ca_certificates': [], 'keystore_alias': 'wso2is',
          'keystore_type': '', 'keystore_file_name': '', 'subject': '', 'subject_alt_names': [], 'key_type': 'rsa',
          'key_size': 2048, 'valid_days': 3650, 'key_usage': ['digitalSignature', 'keyEncipherment', 'dataEncipherment'],
          'migrate_to_pkcs12': False, 'fresh_install': False, 'keystore_source_node': '', 'service_name': '',
          'tenant_keystore_type': ''}


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
    ('micro_integrator', True, ['keystore.internal', 'keystore.primary', 'keystore.tls']),
    ('enterprise_integrator', True, ['keystore.internal', 'keystore.tls']),
])
def test_wanted_tables_point_the_server_at_the_new_keystore_and_keep_the_old_one_internal(tmp_path, product,
                                                                                          keep_internal, expected_tables):
    home = node(tmp_path, product, 'a')
    info = inspect(home, product)
    keystore = {'path': '%s/wso2x.jks' % SECURITY, 'type': 'jks', 'alias': 'wso2x'}
    wanted = cluster.wanted_tables(info, product, keystore, {'keystore_password': PASSWORD, 'key_password': PASSWORD},
                                   keep_internal=keep_internal)
    assert sorted(wanted) == expected_tables
    for table in expected_tables:
        if table != 'keystore.internal':
            assert wanted[table]['alias'] == 'wso2x' and wanted[table]['type'] == 'JKS'
    if keep_internal:
        assert wanted['keystore.internal'] == {'file_name': info['purposes']['internal']['file_name'], 'type': 'JKS',
                                               'password': PACK_PASSWORD, 'alias': 'wso2carbon',
                                               'key_password': PACK_PASSWORD}
    # Micro Integrator: each table keeps the style the shipped file uses for it
    if product == 'micro_integrator':
        assert wanted['keystore.tls']['file_name'] == 'wso2x.jks'
        assert wanted['keystore.primary']['file_name'] == '%s/wso2x.jks' % SECURITY


@pytest.mark.parametrize('product', PRODUCTS)
def test_tables_written_are_no_longer_pending_and_the_product_then_reads_the_new_keystore(tmp_path, product):
    home = node(tmp_path, product, 'a')
    made = write_keystore(home / SECURITY / 'wso2x.jks', PASSWORD, 'wso2x', subject='CN=new')
    info = inspect(home, product)
    wanted = cluster.wanted_tables(info, product, {'path': '%s/wso2x.jks' % SECURITY, 'type': 'JKS', 'alias': 'wso2x'},
                                   {'keystore_password': PASSWORD, 'key_password': PASSWORD}, keep_internal=True,
                                   tenant_keystore_type='PKCS12')
    assert cluster.pending_tables(info, wanted) == wanted
    assert apply_tables(info, cluster.pending_tables(info, wanted)).changed
    after = inspect(home, product)
    assert cluster.pending_tables(after, wanted) == {}
    assert after['purposes']['tls']['fingerprint_sha256'] == made['fingerprint_sha256']
    assert after['purposes']['internal']['fingerprint_sha256'] == info['purposes']['internal']['fingerprint_sha256']
    assert ('keystore.tenant' in wanted) == (product == 'identity_server')


def test_a_value_of_another_toml_type_is_still_pending(tmp_path):
    home = node(tmp_path, 'api_manager', 'a')
    info = inspect(home, 'api_manager')
    assert cluster.pending_tables(info, {'keystore.tls': {'file_name': 'wso2carbon.jks'}}) == {}
    info['config_tables']['keystore.tls']['type'] = 1
    assert cluster.pending_tables(info, {'keystore.tls': {'type': 'JKS'}}) == {'keystore.tls': {'type': 'JKS'}}
    assert cluster.pending_tables(info, {'keystore.tls': {'type': True}}) == {'keystore.tls': {'type': True}}


@pytest.mark.parametrize('product', PRODUCTS)
def test_migration_converts_every_jks_store_and_names_the_twins(tmp_path, product):
    home = node(tmp_path, product, 'a')
    _own_keystore(home, product)
    before = inspect(home, product)
    migration = cluster.pkcs12_migration(before, product)
    assert sorted(migration['stores']) == sorted({before['purposes'][p]['path'] for p in cluster.MIGRATED_PURPOSES
                                                  if p in before['purposes']})
    for source, store in migration['stores'].items():
        assert store['dest'] == source[:-4] + '.p12'
        outcome = keystore_convert.run(Path(source).read_bytes(), None, params(
            keystore_convert, src=source, path=store['dest'], type='pkcs12', password=store['password'],
            key_password=store['key_password']), source, store['dest'])
        Path(store['dest']).write_bytes(outcome.data)
    apply_tables(before, migration['tables'])
    after = inspect(home, product)
    assert cluster.migration_problems(before, after) == []
    assert {after['keystores'][after['purposes'][p]['path']]['type'] for p in ('tls', 'truststore')} == {'pkcs12'}
    assert cluster.pending_tables(after, migration['tables']) == {}


def test_a_migration_that_lost_the_key_is_named_by_purpose(tmp_path):
    product = 'api_manager'
    home = node(tmp_path, product, 'a')
    before = inspect(home, product)
    migration = cluster.pkcs12_migration(before, product)
    for source, store in migration['stores'].items():
        other = load_keystore(Path(source).read_bytes(), store['password'], source)
        if any(entry.kind == 'private_key' for entry in other):  # a twin with another key pair
            write_keystore(Path(store['dest']), store['password'], 'wso2carbon', subject='CN=impostor', type='pkcs12')
        else:
            Path(store['dest']).write_bytes(dump_keystore(other, store['password'], 'pkcs12'))
    apply_tables(before, migration['tables'])
    problems = cluster.migration_problems(before, inspect(home, product))
    assert problems and all(problem.endswith('(another key)') for problem in problems)
    assert {problem.split(' ')[0] for problem in problems} == {'primary', 'internal', 'tls'}


def test_every_product_has_a_profile_and_a_default_store_type():
    assert set(products.PRODUCTS) == set(CONFIG)
    assert products.default_store_type('identity_server', '7.0.2') == 'JKS'
    assert products.default_store_type('identity_server', '7.1.0') == 'PKCS12'
    assert {products.default_store_type(p) for p in ('api_manager', 'micro_integrator', 'enterprise_integrator')} == {'JKS'}
