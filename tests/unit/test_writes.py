"""What one module run writes on a node (wso2/writes.py), from real product homes read as product_info reads them:
the order, the compare-and-swap each write makes, the diff each shows (secrets masked), the files check mode judges."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ansible_collections.carbon.keystores.plugins.module_utils.errors import ClusterError
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import cluster, cluster_keys, writes
from homes import SECURITY, inspect, node
from test_cluster import PASSWORD, _flow, _infos, _own_keystore, _with_contents


def _b64(data):
    return base64.b64encode(data).decode('ascii')


def test_a_node_writes_the_keystore_it_lacks_then_what_changed_each_against_the_preflights_read(tmp_path):
    product = 'api_manager'
    _own_keystore(node(tmp_path, product, 'a'), product)
    node(tmp_path, product, 'b')
    infos = {name: _with_contents(info) for name, info in _infos(tmp_path, product, 'ab').items()}
    flow = _flow(product)
    plans = cluster.plan_keystores(infos, flow)
    assert plans['tls']['action'] == 'copy' and plans['tls']['source'] == 'a'
    assert cluster_keys.builds(plans, flow, {}, infos) == [], 'a keystore the cluster has is copied, never rebuilt'
    clusters = cluster_keys.cluster_keystores(plans, {}, infos)
    own = tmp_path / 'a' / SECURITY / 'own.jks'
    assert clusters['tls']['needs'] == ['b'] and base64.b64decode(clusters['tls']['content']) == own.read_bytes()
    config_b = infos['b']['config_file']
    steps = {'config': {'changed': True, 'content': 'Y29uZmln'}, 'truststore': {'skipped': True}}
    written = writes.node_writes(infos['b'], 'b', flow, clusters, steps)
    assert [(item['path'], item['expected_sha256']) for item in written] == [
        (str(tmp_path / 'b' / SECURITY / 'own.jks'), 'absent'),
        (config_b, infos['b']['contents'][config_b]['sha256'])], 'keystore first, the configuration naming it last'
    assert written[0]['mode'] == '0600' and written[1]['content'] == 'Y29uZmln' and 'owner_like' not in written[1]
    assert all('diff' not in item for item in written), 'no diff outside diff mode'
    unchanged = {'config': {'changed': False, 'content': 'Y29uZmln'}}
    assert writes.node_writes(infos['a'], 'a', flow, clusters, unchanged) == []


def _identity_server_read(tmp_path):
    """(read with contents, its configuration's path, the configuration's bytes) of a new Identity Server node."""
    info = _with_contents(inspect(node(tmp_path, 'identity_server', 'a'), 'identity_server'))
    config = info['config_file']
    return info, config, base64.b64decode(info['contents'][config]['content'])


def test_a_configuration_written_twice_is_swapped_against_the_first_write_and_shown_once(tmp_path):
    """passwords.yml: the configuration pins the internal keystore, the keystore gets its own password, then the
    configuration names it: three writes in one module run, the second configuration compared against the first."""
    product = 'identity_server'
    info, config, original = _identity_server_read(tmp_path)
    first = original + b'\n[keystore.internal]\npassword = "wso2carbon"\n'
    second = original + b'\n[keystore.internal]\npassword = "Internal-Pass-1"\n'
    internal = str(tmp_path / 'a' / SECURITY / 'wso2carbon.jks')
    steps = {'config': {'changed': True, 'content': _b64(first)},
             'internal': [{'changed': True, 'content': 'a2V5c3RvcmU=', 'item': {'path': internal},
                           'changes': ['changed the store password'],
                           'diff': {'before': 'wso2carbon: private key\n', 'after': 'wso2carbon: private key\n'}}],
             'password_config': {'changed': True, 'content': _b64(second)}}
    written = writes.node_writes(info, 'a', _flow(product), {}, steps, diff=True)
    assert [item['path'] for item in written] == [config, internal, config]
    assert written[0]['expected_sha256'] == info['contents'][config]['sha256']
    assert written[2]['expected_sha256'] == hashlib.sha256(first).hexdigest(), 'against what the first write leaves'
    assert 'diff' not in written[0], 'a file written twice shows one diff, on its last write'
    shown = written[2]['diff']
    assert shown['before_header'] == shown['after_header'] == config
    assert 'Internal-Pass-1' not in shown['after'] and '[keystore.internal]' in shown['after']
    assert shown['before'] == writes.config_text(original) and 'password = "********"' in shown['after']
    assert written[1]['diff']['after'].endswith('(same entries; changed the store password)\n'), \
        'a keystore whose entries stay says what changed'
    assert writes.digests(written) == {config: hashlib.sha256(second).hexdigest(),
                                       internal: hashlib.sha256(b'keystore').hexdigest()}
    assert writes.overlay(written) == [{'path': config, 'content': _b64(second)},
                                       {'path': internal, 'content': 'a2V5c3RvcmU='}]


def test_the_configuration_now_is_the_last_step_that_changed_it(tmp_path):
    product = 'micro_integrator'
    info = _with_contents(inspect(node(tmp_path, product, 'a'), product))
    read = info['contents'][info['config_file']]['content']
    assert writes.config_now(info, []) == read
    assert writes.config_now(info, [{'changed': True, 'content': 'AAAA'}, {'skipped': True}, None]) == 'AAAA'
    assert writes.config_now(info, [{'changed': False, 'content': 'AAAA'}]) == read


def test_a_store_now_is_the_last_step_that_changed_that_very_file(tmp_path):
    product = 'enterprise_integrator'  # ships wso2carbon.jks as its internal keystore and its truststore
    info = _with_contents(inspect(node(tmp_path, product, 'a'), product))
    shared = info['purposes']['truststore']['path']
    assert shared == info['purposes']['internal']['path']
    read = info['contents'][shared]['content']
    assert writes.store_now(info, shared, []) == read
    trusted = {'changed': True, 'path': shared, 'content': 'AAAA'}
    assert writes.store_now(info, shared, [trusted, {'skipped': True}, None]) == 'AAAA'
    assert writes.store_now(info, shared, [dict(trusted, path=shared + '.other')]) == read
    assert writes.store_now(info, shared, [dict(trusted, changed=False)]) == read


def test_a_cluster_keystore_shows_its_entries_and_never_lands_on_someone_elses_file(tmp_path):
    product = 'api_manager'
    _own_keystore(node(tmp_path, product, 'a'), product)
    node(tmp_path, product, 'b')
    infos = {name: _with_contents(info) for name, info in _infos(tmp_path, product, 'ab').items()}
    flow = _flow(product)
    clusters = cluster_keys.cluster_keystores(cluster.plan_keystores(infos, flow), {}, infos)
    (written,) = writes.node_writes(infos['b'], 'b', flow, clusters, {}, diff=True)
    assert written['diff']['before'] == '' and written['expected_sha256'] == 'absent'
    assert written['diff']['after'].startswith("own: private key, subject \"CN=own\", SHA-256 ")
    # a file of someone else's at that name on b (put there after the preflight chose it): never overwritten
    (tmp_path / 'b' / SECURITY / 'own.jks').write_bytes(b'not a keystore this run opens')
    infos['b'] = _with_contents(inspect(tmp_path / 'b', product))
    with pytest.raises(ClusterError, match=r'^b: .*/b/repository/resources/security/own.jks holds a file that is not the '
                                           r'cluster\'s keystore .* the role never overwrites it'):
        writes.node_writes(infos['b'], 'b', flow, clusters, {})


def test_the_vault_files_a_node_writes_are_owned_like_its_configuration_and_hide_the_password(tmp_path):
    product = 'micro_integrator'
    info = _with_contents(inspect(node(tmp_path, product, 'a'), product))
    vaulted = {'properties_file': str(tmp_path / 'a/conf/security/secret-conf.properties'),
               'properties_content': _b64(b'secVault.enabled=true\n'), 'files_changed': []}
    flow = _flow(product, encrypt_passwords=True, internal_keystore_password='Internal-1', keystore_password_file='tmp')
    items = writes.vault_files(info, flow, vaulted)
    # each file against what the preflight read (none here), whatever the step that computed it started from
    assert [(item['path'], item['owner_like'], item['result']['changed']) for item in items] == [
        (vaulted['properties_file'], info['config_file'], True),
        (str(tmp_path / 'a' / 'password-tmp'), info['config_file'], True)]
    assert base64.b64decode(items[1]['result']['content']) == b'Internal-1\n'
    assert 'Internal-1' not in str(items[1]['result']['shown_diff'])
    written = dict(info, contents=dict(info['contents'], **{item['path']: {'content': item['result']['content']}
                                                            for item in items}))
    assert not any(item['result']['changed'] for item in writes.vault_files(written, flow, vaulted)), \
        'the files already say it'
    assert writes.vault_files(info, _flow(product), vaulted) == [] and writes.vault_files(info, flow, None) == []
    steps = {'config': dict(vaulted, changed=True, content=_b64(b'[secrets]\nx = "y"\n'),
                            files_changed=[vaulted['properties_file']])}
    written = writes.node_writes(info, 'a', flow, {}, steps, diff=True)
    assert [(item['path'], item.get('owner_like')) for item in written] == [
        (vaulted['properties_file'], info['config_file']), (str(tmp_path / 'a' / 'password-tmp'), info['config_file']),
        (info['config_file'], None)], 'the vault files before the configuration that refers to them'
    assert written[2]['diff']['after'] == '[secrets]\nx = "********"\n' and PASSWORD not in str(written)


def test_the_preflight_refuses_a_node_whose_file_at_the_cluster_keystores_name_is_someone_elses(tmp_path):
    product = 'api_manager'
    _own_keystore(node(tmp_path, product, 'a'), product)
    node(tmp_path, product, 'b')
    (tmp_path / 'b' / SECURITY / 'own.jks').write_bytes(b'a file of the operator\'s')
    infos = {name: _with_contents(info) for name, info in _infos(tmp_path, product, 'ab').items()}
    judged = cluster.preflight(infos, _flow(product))
    assert judged['refusals']['a'] == []
    (refusal,) = judged['refusals']['b']
    assert refusal.startswith('b: %s holds another file than the cluster\'s TLS keystore' % (
        tmp_path / 'b' / SECURITY / 'own.jks'))


def _written_own_keystore(tmp_path):
    """An Identity Server node read as the preflight reads it, then the flow's writes made for real on it: a keystore of
    its own, then the configuration that names it. (home, the read, the keystore's path, the writes)."""
    product = 'identity_server'
    home = node(tmp_path, product, 'a')
    info = _with_contents(inspect(home, product))
    _own_keystore(home, product)
    own = str(home / SECURITY / 'own.jks')
    items = [{'path': path, 'content': _b64(open(path, 'rb').read())} for path in (own, info['config_file'])]
    return home, info, own, items


def test_the_node_after_its_writes_is_what_product_info_reads_there_once_they_are_written(tmp_path):
    """node_after judges the preflight's read with the writes laid over it; the same files really written, product_info
    must read the same: the move to PKCS12 starts from it without reading the node again."""
    home, info, own, items = _written_own_keystore(tmp_path)
    after = writes.node_after(info, items)
    real = inspect(home, 'identity_server')
    assert after['purposes']['tls']['path'] == own != info['purposes']['tls']['path']
    assert {purpose: (described.get('path'), described.get('fingerprint_sha256'))
            for purpose, described in after['purposes'].items()} == {
        purpose: (described.get('path'), described.get('fingerprint_sha256'))
        for purpose, described in real['purposes'].items()}
    assert after['secrets'] == real['secrets'] and after['secrets']['tls']['password'] == PASSWORD
    assert after['contents'][own]['sha256'] == hashlib.sha256(open(own, 'rb').read()).hexdigest()
    truststore = info['purposes']['truststore']['path']
    assert after['contents'][truststore] == info['contents'][truststore], 'a file not written stays as read'
    assert info['purposes']['tls']['path'] != own and own not in info['contents'], 'the read itself is left alone'


def _on_disk(path):
    try:
        with open(path, 'rb') as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except FileNotFoundError:
        return 'absent'


def test_the_judgement_of_a_written_node_names_the_files_it_rests_on_and_holds_only_while_they_do(tmp_path):
    """verify.yml takes node_after's judgement as the node's when the write reports, for every file it rests on, the
    SHA-256 it was judged on: those must be the files the product reads, and any change to one of them must show."""
    _home, info, own, items = _written_own_keystore(tmp_path)
    config = info['config_file']
    after = writes.node_after(info, items)
    rests_on = after['rests_on']
    # what the product reads: the configuration and the stores it names
    assert {config, own, info['purposes']['truststore']['path']} <= set(rests_on)
    reported = {path: _on_disk(path) for path in rests_on}  # what remote_files' report_sha256 returns
    assert reported == rests_on and writes.write_confirms({'sha256s': reported}, after)
    # another process rewrote the truststore after the write: the judgement is no longer the node's
    truststore = info['purposes']['truststore']['path']
    with open(truststore, 'ab') as handle:
        handle.write(b'\0')
    reported = {path: _on_disk(path) for path in rests_on}
    assert not writes.write_confirms({'sha256s': reported}, after)
    assert not writes.write_confirms({}, after), 'a write that reported nothing confirms nothing'
    linked = writes.node_after(dict(info, links={own: '/elsewhere/own.jks'}), items)
    assert linked['rests_on'] is None and not writes.write_confirms({'sha256s': rests_on}, linked), \
        'a home with symbolic links is judged by a read of the node'


def test_a_later_steps_writes_follow_the_earlier_ones_in_one_run_and_a_file_shows_one_diff(tmp_path):
    """The move to PKCS12 joins the flow's own module run: its configuration is compared against what the flow's
    write of it leaves, and shows one diff, from the preflight's file to the migrated one."""
    info, config, original = _identity_server_read(tmp_path)
    flowed = original + b'\n[keystore.tls]\nfile_name = "wso2is.jks"\n'
    migrated = original + b'\n[keystore.tls]\nfile_name = "wso2is.p12"\n'
    twin = str(tmp_path / 'a' / SECURITY / 'wso2is.p12')
    earlier = writes.computed_writes(info, [{'path': config, 'text': True,
                                             'result': {'changed': True, 'content': _b64(flowed)}}], diff=True)
    after = writes.node_after(info, earlier)
    found = writes.computed_writes(after, [
        {'path': twin, 'result': {'changed': True, 'content': 'cDEy', 'diff': {'before': '', 'after': 'wso2is\n'}}},
        {'path': config, 'text': True, 'result': {'changed': True, 'content': _b64(migrated)}}], diff=True,
        earlier=earlier)
    assert [item['path'] for item in found] == [config, twin, config]
    assert [item['expected_sha256'] for item in found] == [
        info['contents'][config]['sha256'], 'absent', hashlib.sha256(flowed).hexdigest()]
    assert 'diff' not in found[0] and 'diff' in earlier[0], 'shown once, on the last write; the input is left alone'
    assert found[2]['diff']['before'] == writes.config_text(original)
    assert 'wso2is.p12' in found[2]['diff']['after'] and found[1]['diff']['after'] == 'wso2is\n'
    assert writes.digests(found)[config] == hashlib.sha256(migrated).hexdigest()
