"""Lifecycle, judged by keytool and the JDK: a JKS cluster moved to PKCS12 (playbooks/migrate_pkcs12.yml),
and the key pair of a three-node cluster rotated with no moment where two nodes distrust each other
(playbooks/rotate.yml)."""

from __future__ import annotations

import os
import subprocess
import time

import tomlkit

from helpers import ROOT, VENV_BIN, command_secrets, keytool_entries, scan_for_secrets, sha256_file, tls_handshake
from sandbox import PACK_PASSWORD, SECURITY, build_cluster
from test_roles import play, recap, tls_settings

PASSWORD = 'Lifecycle-Pass-2026'
NODES = ['node1', 'node2']
STORES = {'wso2is.jks': PASSWORD, 'wso2carbon.jks': PACK_PASSWORD, 'client-truststore.jks': PACK_PASSWORD}


def _entries(path, password):
    return sorted((entry['alias'], entry['type'], entry['sha256']) for entry in keytool_entries(path, password))


def test_jks_cluster_moves_to_pkcs12_with_the_same_entries(tmp_path):
    inventory = build_cluster(tmp_path, 'identity_server', NODES, PASSWORD)
    play(inventory, 'identity_server')
    before, digests = {}, {}
    for node in NODES:
        security = tmp_path / node / SECURITY
        for name, password in STORES.items():
            before[node, name] = _entries(security / name, password)
            digests[node, name] = sha256_file(security / name)

    migrate = ROOT / 'playbooks' / 'migrate_pkcs12.yml'
    first = play(inventory, 'identity_server', '-e', 'product_role=identity_server', playbook=migrate)
    assert all(recap(first.stdout)[node]['changed'] > 0 for node in NODES), first.stdout[-3000:]
    for node in NODES:
        home = tmp_path / node
        security = home / SECURITY
        for name, password in STORES.items():
            twin = security / (name[:-4] + '.p12')
            assert keytool_entries(twin, password) and _entries(twin, password) == before[node, name], name
            assert sha256_file(security / name) == digests[node, name], 'the JKS file must stay as it was'
            assert twin.stat().st_mode & 0o077 == 0
        config = tomlkit.parse((home / 'repository/conf/deployment.toml').read_text()).unwrap()
        tables = [config['keystore'][name] for name in ('primary', 'tls', 'internal') if name in config['keystore']]
        assert len(tables) >= 2 and 'truststore' in config  # [keystore.tls] falls back to primary in this config
        for table in tables + [config['truststore']]:
            assert table['file_name'].endswith('.p12') and table['type'] == 'PKCS12', table
        tls, _data = tls_settings(home, 'identity_server')
        assert tls['keystore'].name == 'wso2is.p12' and tls['truststore'].name == 'client-truststore.p12'
        ok, served = tls_handshake(tmp_path, tls['keystore'], 'PKCS12', tls['password'], tls['key_password'],
                                   tls['truststore'], 'PKCS12', tls['truststore_password'])
        assert ok, served

    again = play(inventory, 'identity_server', '-e', 'product_role=identity_server', playbook=migrate)
    assert {node: recap(again.stdout)[node]['changed'] for node in NODES} == {n: 0 for n in NODES}
    # the product playbook itself leaves the migrated cluster alone
    product_run = play(inventory, 'identity_server')
    assert {host: counts['changed'] for host, counts in recap(product_run.stdout).items()} == {n: 0 for n in NODES}


def _tls(home):
    tls, _data = tls_settings(home, 'identity_server')
    return tls


def _serve(tmp_path, server_home, client_home):
    """The JDK serves ``server_home``'s TLS key as its config names it; a client trusting only
    ``client_home``'s truststore connects. Returns (ok, fingerprint or failure)."""
    server, client = _tls(server_home), _tls(client_home)
    return tls_handshake(tmp_path, server['keystore'], server['type'], server['password'], server['key_password'],
                         client['truststore'], client['truststore_type'], client['truststore_password'],
                         alias=server['alias'])


def test_rotation_switches_three_nodes_without_a_gap(tmp_path):
    nodes = ['node1', 'node2', 'node3']
    inventory = build_cluster(tmp_path, 'identity_server', nodes, PASSWORD)
    play(inventory, 'identity_server')
    internal = {node: _entries(tmp_path / node / SECURITY / 'wso2carbon.jks', PACK_PASSWORD) for node in nodes}
    internal_digest = {node: sha256_file(tmp_path / node / SECURITY / 'wso2carbon.jks') for node in nodes}
    ok, old = _serve(tmp_path, tmp_path / 'node1', tmp_path / 'node3')
    assert ok, old

    hold = tmp_path / 'canary'
    command = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(ROOT / 'playbooks' / 'rotate.yml'),
               '-e', 'product_role=identity_server', '-e', 'rotate_canary_file=%s' % hold,
               '-e', 'rotate_remove_old_certificate=true']
    log = tmp_path / 'rotation.log'  # a file, not a pipe: -vvv output would fill a pipe nobody reads yet
    with open(log, 'w') as sink:
        rotation = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, text=True, cwd=str(ROOT),
                                    env=dict(os.environ, ANSIBLE_NOCOLOR='1'))
    try:
        for _tick in range(1200):
            if hold.exists() or rotation.poll() is not None:
                break
            time.sleep(0.5)
        assert hold.exists(), 'the rotation never reached its canary hold: %s' % log.read_text()[-4000:]
        # node1 switched, node3 not yet: each trusts the other
        ok, new = _serve(tmp_path, tmp_path / 'node1', tmp_path / 'node3')
        assert ok and new != old, new
        ok, still_old = _serve(tmp_path, tmp_path / 'node3', tmp_path / 'node1')
        assert ok and still_old == old, still_old
    finally:
        if hold.exists():
            hold.unlink()
        rotation.wait(timeout=600)
    output = log.read_text()
    scan_for_secrets(output, command_secrets(command, inventory) | {PASSWORD}, [tmp_path])
    assert rotation.returncode == 0, output[-5000:]

    for node in nodes:
        home = tmp_path / node
        for peer in nodes:
            ok, served = _serve(tmp_path, home, tmp_path / peer)
            assert ok and served == new, (node, peer, served)
        trusted = [entry['sha256'] for entry in keytool_entries(_tls(home)['truststore'], PACK_PASSWORD)]
        assert old not in trusted and new in trusted, 'the old certificate must leave the truststore (opt-in given)'
        assert _entries(home / SECURITY / 'wso2carbon.jks', PACK_PASSWORD) == internal[node]
        assert sha256_file(home / SECURITY / 'wso2carbon.jks') == internal_digest[node], 'internal keystore touched'
    # the product playbook accepts the rotated cluster as it is
    after = play(inventory, 'identity_server')
    assert {host: counts['changed'] for host, counts in recap(after.stdout).items()} == {n: 0 for n in nodes}
