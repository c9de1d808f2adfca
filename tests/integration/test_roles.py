"""The product roles on sandbox clusters of three (then four) local nodes, judged by the JDK."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import tomlkit
import yaml

from helpers import (
    FIXTURES, ROOT, VENV_BIN, command_secrets, java_keycheck, keytool, keytool_entries, scan_for_secrets, sha256_file,
    tls_handshake,
)
from sandbox import CONFIG, PACK_PASSWORD, SECURITY, build_cluster, build_node, write_inventory

PASSWORD = 'Cluster-Pass-2026'
PRODUCTS = list(CONFIG)


def play(inventory, product, *extra, playbook=None, env=None, cwd=ROOT, check=True):
    command = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory),
               str(playbook or ROOT / 'playbooks' / ('%s.yml' % product)), *extra]
    environment = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0')
    environment.update(env or {})
    run = subprocess.run(command, capture_output=True, text=True, cwd=str(cwd), env=environment, check=False)
    scan_for_secrets(run.stdout + run.stderr, command_secrets(command, inventory) | {PASSWORD}, [Path(inventory).parent])
    if check:
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    return run


def recap(output):
    """{host: {'ok': n, 'changed': n, 'failed': n, ...}} from the PLAY RECAP."""
    hosts = {}
    for line in output.split('PLAY RECAP')[-1].splitlines():
        match = re.match(r'(\S+)\s+:\s+(.*)$', line.strip())
        if match:
            hosts[match.group(1)] = {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', match.group(2))}
    return hosts


def tls_settings(home, product):
    """What the product will read for TLS, from the resulting config file (read here with tomlkit)."""
    config = home / CONFIG[product][1]
    if product == 'enterprise_integrator' and (home / 'conf' / 'ei.toml').exists():
        config = home / 'conf' / 'ei.toml'
    data = tomlkit.parse(config.read_text()).unwrap()
    keystores = data.get('keystore', {})
    table = keystores.get('tls') or keystores.get('primary')
    # No [truststore] table: WSO2's documented default truststore.
    truststore = data.get('truststore') or {'file_name': 'client-truststore.jks', 'password': PACK_PASSWORD}

    def path(file_name):
        if '/' in file_name:  # Micro Integrator's home-relative style
            return home / file_name
        return home / SECURITY / file_name
    return {
        'keystore': path(table['file_name']), 'type': table.get('type', 'JKS'), 'password': table['password'],
        'alias': table['alias'], 'key_password': table['key_password'],
        'truststore': path(truststore['file_name']), 'truststore_type': truststore.get('type', 'JKS'),
        'truststore_password': truststore['password'],
    }, data


def pack_fingerprint(root):
    return next(e['sha256'] for e in keytool_entries(root / 'pack' / 'wso2carbon.jks', PACK_PASSWORD)
                if e['alias'] == 'wso2carbon')


@pytest.mark.parametrize('product', PRODUCTS)
def test_cluster_converges_stays_converged_and_takes_a_new_node(tmp_path, product):
    nodes = ['node1', 'node2', 'node3']
    inventory = build_cluster(tmp_path, product, nodes, PASSWORD)
    first = play(inventory, product)
    assert all(counts['failed'] == 0 and counts['changed'] > 0 for counts in recap(first.stdout).values())

    second = play(inventory, product)
    assert {host: counts['changed'] for host, counts in recap(second.stdout).items()} == {n: 0 for n in nodes}

    # A fresh controller: a copy of the playbook folder, a fresh HOME, nothing left from earlier runs.
    copy = tmp_path / 'controller'
    shutil.copytree(ROOT / 'playbooks', copy / 'playbooks')
    (copy / 'home').mkdir()
    env = {'HOME': str(copy / 'home'), 'ANSIBLE_COLLECTIONS_PATH': str(ROOT / '.venv' / 'collections'),
           'ANSIBLE_CONFIG': str(copy / 'none.cfg')}
    third = play(inventory, product, playbook=copy / 'playbooks' / ('%s.yml' % product), env=env, cwd=copy)
    assert {host: counts['changed'] for host, counts in recap(third.stdout).items()} == {n: 0 for n in nodes}

    # Every node serves the same new key, from the keystore its configuration names, trusted by its own truststore.
    served = set()
    for name in nodes:
        home = tmp_path / name
        tls, _data = tls_settings(home, product)
        assert tls['keystore'].parent == home / SECURITY
        keycheck = java_keycheck(tls['keystore'], tls['type'], tls['password'], tls['alias'], tls['key_password'])
        assert keycheck.returncode == 0, keycheck.stdout + keycheck.stderr
        ok, fingerprint = tls_handshake(tmp_path, tls['keystore'], tls['type'], tls['password'], tls['key_password'],
                                        tls['truststore'], tls['truststore_type'], tls['truststore_password'])
        assert ok, fingerprint
        served.add(fingerprint)
    assert len(served) == 1 and pack_fingerprint(tmp_path) not in served
    keystore_file = tls_settings(tmp_path / 'node1', product)[0]['keystore']
    digest = sha256_file(keystore_file)

    # A fourth node joins later: it receives the same keystore; the others change nothing.
    build_node(tmp_path, product, 'node4', tmp_path / 'pack')
    inventory = write_inventory(tmp_path, product, nodes + ['node4'], PASSWORD)
    fourth = play(inventory, product)
    counts = recap(fourth.stdout)
    assert {n: counts[n]['changed'] for n in nodes} == {n: 0 for n in nodes}, fourth.stdout[-4000:]
    assert counts['node4']['changed'] > 0
    new_tls, _data = tls_settings(tmp_path / 'node4', product)
    assert sha256_file(new_tls['keystore']) == digest
    ok, fingerprint = tls_handshake(tmp_path, new_tls['keystore'], new_tls['type'], new_tls['password'],
                                    new_tls['key_password'], new_tls['truststore'], new_tls['truststore_type'],
                                    new_tls['truststore_password'])
    assert ok and fingerprint in served, fingerprint

    # The cluster converged, a rerun skips every step after the preflight; a node whose truststore then loses the
    # cluster's certificate (by hand) is no longer converged, and the next run trusts it again there, only there.
    nodes.append('node4')
    assert "skipping: [node2]" in _task_output(play(inventory, product).stdout, WRITE_STEPS)
    cluster_certificate = keytool_entries(new_tls['keystore'], new_tls['password'])[0]['sha256']
    trusted = keytool_entries(new_tls['truststore'], new_tls['truststore_password'])
    alias = next(entry['alias'] for entry in trusted if entry['sha256'] == cluster_certificate)
    keytool('-delete', '-alias', alias, '-keystore', new_tls['truststore'], '-storepass', new_tls['truststore_password'])
    repaired = play(inventory, product)
    assert {n: counts['changed'] > 0 for n, counts in recap(repaired.stdout).items()} == {
        n: n == 'node4' for n in nodes}, repaired.stdout[-4000:]
    trusted = keytool_entries(new_tls['truststore'], new_tls['truststore_password'])
    assert cluster_certificate in [entry['sha256'] for entry in trusted]


WRITE_STEPS = 'Build, configure, trust and write what the cluster lacks, then verify'


def _task_output(stdout, task):
    """What the play printed for the task whose name ends with ``task``."""
    block = re.search(r'TASK \[[^\]]*%s\] \*+\n(.*?)(?=\nTASK \[|\nPLAY RECAP)' % re.escape(task), stdout, re.S)
    assert block, 'no task %r in the output' % task
    return block.group(1)


def _internal_fingerprint(home, product):
    _tls, data = tls_settings(home, product)
    internal = data['keystore']['internal']
    path = home / SECURITY / internal['file_name'] if '/' not in internal['file_name'] else home / internal['file_name']
    return next(e['sha256'] for e in keytool_entries(path, internal['password']) if e['alias'] == internal['alias'])


def test_internal_keystore_is_kept_and_never_replaced(tmp_path):
    product = 'identity_server'
    inventory = build_cluster(tmp_path, product, ['node1', 'node2'], PASSWORD)
    play(inventory, product)
    pack = pack_fingerprint(tmp_path)
    # Separating the internal keystore keeps the old key as the internal one (API Manager's advice).
    assert _internal_fingerprint(tmp_path / 'node1', product) == pack
    tls_before = tls_settings(tmp_path / 'node1', product)[0]
    served_before = sha256_file(tls_before['keystore'])
    changed = play(inventory, product, '-e', 'identity_server_subject="CN=other.example.org"',
                   '-e', 'identity_server_key_size=4096')
    assert all(counts['changed'] == 0 for counts in recap(changed.stdout).values())
    assert _internal_fingerprint(tmp_path / 'node1', product) == pack
    assert sha256_file(tls_before['keystore']) == served_before

    # Only the explicit variable gives a fresh install a new internal key: the new key serves as internal too.
    fresh = tmp_path / 'fresh'
    inventory = build_cluster(fresh, product, ['node1'], PASSWORD, {'identity_server_fresh_install': 'true',
                                                                    'identity_server_tenant_keystore_type': 'PKCS12'})
    play(inventory, product)
    data = tomlkit.parse((fresh / 'node1' / CONFIG[product][1]).read_text()).unwrap()
    assert 'internal' not in data['keystore']
    assert data['keystore']['tenant'] == {'type': 'PKCS12'}


def test_api_manager_key_password_mismatch_fails_in_preflight_and_changes_nothing(tmp_path):
    product = 'api_manager'
    nodes = ['node1', 'node2', 'node3']
    inventory = build_cluster(tmp_path, product, nodes, PASSWORD, {'api_manager_key_password': 'Different-Key-Pass'})
    before = {p: sha256_file(p) for p in tmp_path.rglob('*') if p.is_file() and 'pack' not in p.parts}
    run = play(inventory, product, check=False)
    assert run.returncode != 0
    assert 'api_manager_key_password differs from api_manager_keystore_password' in run.stdout
    assert 'Nothing was changed on any node' in run.stdout
    after = {p: sha256_file(p) for p in tmp_path.rglob('*') if p.is_file() and 'pack' not in p.parts}
    assert {p: d for p, d in after.items() if p in before} == before
    assert not [p for p in after if p not in before and p.suffix in ('.jks', '.p12', '.toml')]
    assert PASSWORD not in run.stdout and 'Different-Key-Pass' not in run.stdout


def test_nodes_that_disagree_stop_the_run_unless_a_winner_is_named(tmp_path):
    product = 'micro_integrator'
    inventory = build_cluster(tmp_path / 'a', product, ['node1'], PASSWORD)
    play(inventory, product)
    inventory = build_cluster(tmp_path / 'b', product, ['node2'], PASSWORD)
    play(inventory, product)
    # One cluster made of the two nodes, each with a key of its own.
    shutil.move(str(tmp_path / 'b' / 'node2'), str(tmp_path / 'a' / 'node2'))
    inventory = write_inventory(tmp_path / 'a', product, ['node1', 'node2'], PASSWORD)
    before = sha256_file(tmp_path / 'a' / 'node2' / SECURITY / 'wso2mi.jks')
    run = play(inventory, product, check=False)
    assert run.returncode != 0 and 'The nodes disagree on their TLS keystore' in run.stdout
    assert sha256_file(tmp_path / 'a' / 'node2' / SECURITY / 'wso2mi.jks') == before
    play(inventory, product, '-e', 'micro_integrator_keystore_source_node=node1')
    assert sha256_file(tmp_path / 'a' / 'node2' / SECURITY / 'wso2mi.jks') == \
        sha256_file(tmp_path / 'a' / 'node1' / SECURITY / 'wso2mi.jks')


def test_a_micro_integrator_1_2_file_kept_on_4_x_gets_names_4_x_resolves(tmp_path):
    """4.x reads every relative name from the home: a 1.2-era file's bare [truststore] name finds no truststore there.
    The preflight refuses it before any write, naming the fix; with the fix, the table the run writes names its
    store from the home, and the [keystore.tls] no 4.x template reads stays as it was."""
    product = 'micro_integrator'
    inventory = build_cluster(tmp_path, product, ['node1'], PASSWORD)
    config = tmp_path / 'node1' / CONFIG[product][1]
    shutil.copyfile(FIXTURES / 'mi-1.2-dev.deployment.toml', config)
    before = {p: sha256_file(p) for p in (tmp_path / 'node1').rglob('*') if p.is_file()}
    refused = play(inventory, product, check=False)
    assert refused.returncode != 0
    assert 'Set file_name = "repository/resources/security/client-truststore.jks"' in refused.stdout
    assert {p: sha256_file(p) for p in (tmp_path / 'node1').rglob('*') if p.is_file()} == before
    config.write_text(config.read_text().replace('file_name = "client-truststore.jks"',
                                                 'file_name = "repository/resources/security/client-truststore.jks"'))
    play(inventory, product)
    data = tomlkit.parse(config.read_text()).unwrap()
    assert data['keystore']['primary']['file_name'] == 'repository/resources/security/wso2mi.jks'
    assert data['keystore']['tls']['file_name'] == 'wso2carbon.jks', '4.x reads no [keystore.tls]: left as it was'
    primary = data['keystore']['primary']
    assert any(e['alias'] == primary['alias'] and e['type'] == 'PrivateKeyEntry' for e in
               keytool_entries(tmp_path / 'node1' / primary['file_name'], primary['password']))
    assert recap(play(inventory, product).stdout)['node1']['changed'] == 0


def test_the_cluster_keystore_is_written_as_a_compare_and_swap(tmp_path):
    """Another writer puts a file where the cluster's keystore goes on node2 after the preflight read the
    node: the flow's write there is refused and the other writer's file stays; node1 is written."""
    product = 'identity_server'
    inventory = build_cluster(tmp_path, product, ['node1', 'node2'], PASSWORD)
    flow = [{'name': 'Flow step %s' % step, 'ansible.builtin.import_role': {
        'name': 'carbon.keystores.keystore_flow', 'tasks_from': step}} for step in ('inputs.yml', 'preflight.yml', 'judgement.yml')]
    meanwhile = {'name': 'Another writer', 'ansible.builtin.copy': {
        'content': 'written meanwhile\n', 'dest': '{{ identity_server_home }}/%s/wso2is.jks' % SECURITY, 'mode': '0600'},
        'when': "inventory_hostname == 'node2'"}
    # the cluster keystore is built on the controller, then written by the node's one write run
    keypair = [{'name': 'Flow step %s' % step, 'ansible.builtin.import_role': {
        'name': 'carbon.keystores.keystore_flow', 'tasks_from': step}} for step in ('cluster_keystores.yml', 'write.yml')]
    playbook = tmp_path / 'interleaved.yml'
    # the product role's defaults and the inputs it hands the flow, as its own entry points do
    role = ROOT / 'roles' / product
    playbook.write_text(yaml.safe_dump([{'hosts': product, 'gather_facts': False,
                                         'vars_files': [str(role / 'defaults' / 'main.yml'), str(role / 'vars' / 'main.yml')],
                                         'vars': {'keystore_flow_inputs': '{{ __%s_flow_inputs }}' % product},
                                         'tasks': flow + [meanwhile] + keypair}], sort_keys=False))
    run = play(inventory, product, playbook=playbook, check=False)
    assert run.returncode != 0
    assert 'changed while this task worked on it' in run.stdout, run.stdout[-4000:]
    # the node is read again (rewrite.yml), and the other writer's file is no cluster keystore to overwrite
    assert 'node2: %s holds a file that is not the cluster\'s keystore' % (tmp_path / 'node2' / SECURITY / 'wso2is.jks') \
        in run.stdout, run.stdout[-4000:]
    assert (tmp_path / 'node2' / SECURITY / 'wso2is.jks').read_text() == 'written meanwhile\n'
    assert keytool_entries(tmp_path / 'node1' / SECURITY / 'wso2is.jks', PASSWORD)[0]['alias'] == 'wso2is'
