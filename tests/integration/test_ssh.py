"""The product roles over real SSH (tests/ssh.py): an unprivileged login account, become (sudo) to the wso2
account that owns the product homes, homes named with ~, pipelining, a managed host Python with the
standard library only, and a controller whose HOME is another folder. The restart handler restarts a small
sysv-style service per node, which counts its restarts."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import uuid
from pathlib import Path

import pytest

from helpers import ROOT, VENV_BIN, command_secrets, keytool_entries, scan_for_secrets, sha256_file, tls_handshake
from sandbox import PACK_PASSWORD, SECURITY, build_node
from ssh import PRODUCT_USER, inventory
from test_crash_and_concurrency import PAIRS, _certificates, _pair_playbook
from test_crash_and_concurrency import PASSWORD as PAIR_PASSWORD
from test_roles import recap, tls_settings
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import load_keystore

PRODUCT = 'identity_server'
PASSWORD = 'Ssh-Fleet-Pass-2026'
NODES = ['node1', 'node2', 'node3']
INIT = Path('/etc/init.d')


def controller_env(tmp_path, **extra):
    """A controller whose HOME is a folder of its own: a ~ that the controller expanded would land there."""
    home = tmp_path / 'controller-home'
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), ANSIBLE_PIPELINING='True', ANSIBLE_NOCOLOR='1',
               ANSIBLE_SSH_ARGS='-o ControlMaster=auto -o ControlPersist=60s',
               ANSIBLE_SSH_CONTROL_PATH_DIR=str(tmp_path / 'cp'), ANSIBLE_LOCAL_TEMP=str(tmp_path / 'local-tmp'))
    env.update(extra)
    return env


def play(tmp_path, inventory_file, playbook, *extra, check=True, env=None):
    command = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory_file), str(ROOT / 'playbooks' / playbook), *extra]
    done = subprocess.run(command, capture_output=True, text=True, cwd=str(ROOT), env=env or controller_env(tmp_path),
                          check=False)
    scan_for_secrets(done.stdout + done.stderr, command_secrets(command, inventory_file) | {PASSWORD}, [])
    if check:
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    return done


def changed(done):
    return {host: counts['changed'] for host, counts in recap(done.stdout).items()}


class Services:
    """One sysv-style init script per node (/etc/init.d), which counts its restarts in a file of wso2's."""

    def __init__(self, fleet_):
        self.fleet = fleet_
        self.names = {}

    def add(self, node):
        name = 'carbon-test-%s-%s' % (uuid.uuid4().hex[:6], node)
        counter = self.fleet.homes / ('%s.restarts' % node)
        script = INIT / name
        # ansible.builtin.service restarts a sysv service as stop, then start: each start counts
        script.write_text('#!/bin/sh\n# carbon.keystores test service: counts its (re)starts\n'
                          'case "$1" in\n  stop|status) exit 0 ;;\n'
                          '  start|restart) n=$(cat %s 2>/dev/null || echo 0); echo $((n + 1)) > %s ;;\n'
                          '  *) exit 1 ;;\nesac\n' % (counter, counter))
        script.chmod(0o755)
        self.names[node] = name
        return name

    def restarts(self, node):
        counter = self.fleet.homes / ('%s.restarts' % node)
        return int(counter.read_text()) if counter.exists() else 0

    def remove(self):
        for name in self.names.values():
            (INIT / name).unlink(missing_ok=True)


@pytest.fixture()
def services(fleet):
    made = Services(fleet)
    yield made
    made.remove()


def _nodes(fleet_, services_, names, tmp_path, extra_vars=None):
    for name in names:
        if not fleet_.home_of(name).exists():
            build_node(fleet_.homes, PRODUCT, name, fleet_.homes / 'pack')
            services_.add(name)
    fleet_.give_to_product_user()
    homes = {name: '~/%s/%s' % (fleet_.relative, name) for name in names}
    services = {name: {'identity_server_service_name': services_.names[name]} for name in names}
    variables = {'identity_server_keystore_password': PASSWORD}
    variables.update(extra_vars or {})
    return inventory(tmp_path / 'inventory.ini', PRODUCT, names, fleet_, homes, variables, services)


def _owned_by_product_user(path, mode):
    info = path.stat()
    assert info.st_uid == fleet_uid() and stat.S_IMODE(info.st_mode) == mode, \
        '%s: owner %d, mode %o; wanted %s and %o' % (path, info.st_uid, stat.S_IMODE(info.st_mode), PRODUCT_USER, mode)


def fleet_uid():
    import pwd
    return pwd.getpwnam(PRODUCT_USER).pw_uid


def test_the_role_over_ssh_with_become_converges_reruns_takes_a_node_restarts_and_rotates(fleet, services, tmp_path):
    inventory_file = _nodes(fleet, services, NODES, tmp_path)
    first = play(tmp_path, inventory_file, 'identity_server.yml')
    assert all(count > 0 for count in changed(first).values())
    assert {name: services.restarts(name) for name in NODES} == {name: 1 for name in NODES}, 'one restart per node'
    # ~ was the wso2 account's home on the node, never the controller's
    assert not any((tmp_path / 'controller-home').rglob('*.jks'))
    for name in NODES:
        home = fleet.home_of(name)
        tls, _data = tls_settings(home, PRODUCT)
        assert tls['keystore'] == home / SECURITY / 'wso2is.jks'
        _owned_by_product_user(tls['keystore'], 0o600)                         # a new keystore
        _owned_by_product_user(home / 'repository/conf/deployment.toml', 0o640)  # rewritten: others lose access
        _owned_by_product_user(home / SECURITY / 'client-truststore.jks', 0o640)
        ok, served = tls_handshake(tmp_path, tls['keystore'], 'JKS', tls['password'], tls['key_password'],
                                   home / SECURITY / 'client-truststore.jks', 'JKS', PACK_PASSWORD)
        assert ok, served
    keystore = sha256_file(fleet.home_of('node1') / SECURITY / 'wso2is.jks')

    second = play(tmp_path, inventory_file, 'identity_server.yml')
    assert changed(second) == {name: 0 for name in NODES}
    assert {name: services.restarts(name) for name in NODES} == {name: 1 for name in NODES}

    inventory_file = _nodes(fleet, services, NODES + ['node4'], tmp_path)
    fourth = play(tmp_path, inventory_file, 'identity_server.yml')
    counts = changed(fourth)
    assert {name: counts[name] for name in NODES} == {name: 0 for name in NODES} and counts['node4'] > 0
    assert sha256_file(fleet.home_of('node4') / SECURITY / 'wso2is.jks') == keystore
    assert services.restarts('node4') == 1 and services.restarts('node1') == 1

    audit = play(tmp_path, inventory_file, 'audit.yml')
    for name in NODES + ['node4']:
        assert 'identity_server at %s' % fleet.home_of(name) in audit.stdout, audit.stdout[-3000:]

    rotated = play(tmp_path, inventory_file, 'rotate.yml', '-e', 'product_role=identity_server')
    assert 'failed=0' in rotated.stdout.split('PLAY RECAP')[-1]
    served = set()
    for name in NODES + ['node4']:
        tls, _data = tls_settings(fleet.home_of(name), PRODUCT)
        assert tls['keystore'].name != 'wso2is.jks' and tls['keystore'].stat().st_uid == fleet_uid()
        served.add(next(e['sha256'] for e in keytool_entries(tls['keystore'], PASSWORD) if e['alias'] == 'wso2is'))
        # once when its truststore learned the new certificate (before any node switched), once when it switched
        assert services.restarts(name) == 3, '%s restarted %d times' % (name, services.restarts(name))
    assert len(served) == 1


def test_a_tilde_path_is_the_node_accounts_home_not_the_controllers(fleet, services, tmp_path):
    inventory_file = _nodes(fleet, services, ['node1'], tmp_path)
    env = controller_env(tmp_path, ANSIBLE_VERBOSITY='0')
    relative = '~/%s/node1' % fleet.relative
    ad_hoc = subprocess.run([str(VENV_BIN / 'ansible'), '-i', str(inventory_file), 'node1', '-m',
                             'carbon.keystores.product_info', '-a', 'product=identity_server home=%s' % relative],
                            capture_output=True, text=True, cwd=str(ROOT), env=env, check=False)
    assert ad_hoc.returncode == 0, ad_hoc.stdout + ad_hoc.stderr
    result = json.loads(ad_hoc.stdout.split('=>', 1)[1])
    assert result['home'] == str(fleet.home_of('node1')) and env['HOME'] not in ad_hoc.stdout
    assert result['config_file'] == str(fleet.home_of('node1') / 'repository/conf/deployment.toml')
    info = subprocess.run([str(VENV_BIN / 'ansible'), '-i', str(inventory_file), 'node1', '-m',
                           'carbon.keystores.keystore_info', '-a', 'path=%s/%s/wso2carbon.jks password=%s'
                           % (relative, SECURITY, PACK_PASSWORD)], capture_output=True, text=True, cwd=str(ROOT),
                          env=env, check=False)
    assert info.returncode == 0 and '"kind": "private_key"' in info.stdout, info.stdout + info.stderr


def test_two_controllers_over_ssh_lose_nothing(fleet, services, tmp_path):
    inventory_file = _nodes(fleet, services, ['node1'], tmp_path)
    certificates = _certificates(tmp_path / 'certificates', 2 * PAIRS)
    shared = fleet.homes / 'shared'
    shared.mkdir()
    truststore, config = shared / 'client-truststore.jks', shared / 'deployment.toml'
    shutil.copyfile(fleet.home_of('node1') / 'repository/conf/deployment.toml', config)
    fleet.give_to_product_user()
    lost = []
    for number in range(1, PAIRS + 1):
        runs = []
        for side, certificate in (('a', certificates[2 * number - 2]), ('b', certificates[2 * number - 1])):
            playbook = _pair_playbook(tmp_path, side, number, certificate, truststore, config, hosts='node1')
            (tmp_path / side).mkdir(exist_ok=True)
            env = controller_env(tmp_path / side, TMPDIR=str(tmp_path / side))  # a lock folder of its own
            runs.append(subprocess.Popen([str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory_file), str(playbook)],
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=str(ROOT),
                                         env=env))
        for run in runs:
            output = run.communicate()[0]
            scan_for_secrets(output, {PASSWORD, PAIR_PASSWORD}, [])
            assert run.returncode == 0, output[-4000:]
        aliases = {entry.alias for entry in load_keystore(truststore.read_bytes(), PAIR_PASSWORD, str(truststore))}
        lost.extend('after pair %d: pair-%02d-%s' % (number, earlier, side) for side in 'ab'
                    for earlier in range(1, number + 1) if 'pair-%02d-%s' % (earlier, side) not in aliases)
    import tomlkit
    data = tomlkit.parse(config.read_text()).unwrap()['keystore']
    assert data['tls']['pair_a'] == PAIRS and data['primary']['pair_b'] == PAIRS
    print('two controllers over SSH: %d pairs, %d lost entries' % (PAIRS, len(lost)))
    assert not lost, '\n'.join(lost)
    assert truststore.stat().st_uid == fleet_uid()
