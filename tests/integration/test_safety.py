"""Nothing lost, no one in: a link planted where the role writes never makes it write elsewhere (locally as root, and
over SSH as the product's account), a keystore already at the name the role would choose is never overwritten, two
controllers converging one cluster at once agree, a rotation killed at any point is finished by the next run, and a
security folder full of old copies costs the controller no memory."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import tomlkit
from cryptography import x509
from cryptography.hazmat.primitives import hashes

import pki
from helpers import ROOT, VENV_BIN, command_secrets, keytool, keytool_entries, scan_for_secrets, sha256_file
from sandbox import PACK_PASSWORD, SECURITY, build_cluster
from test_roles import recap, tls_settings

PASSWORD = 'Safety-Pass-2026'
INTERNAL = 'Safety-Internal-71'
NODES = ['node1', 'node2']


def _play(inventory, playbook='identity_server.yml', *extra, check=None):
    command = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(ROOT / 'playbooks' / playbook), *extra]
    run = subprocess.run(command, capture_output=True, text=True, cwd=str(ROOT), check=False,
                         env=dict(os.environ, ANSIBLE_NOCOLOR='1'))
    output = run.stdout + run.stderr
    scan_for_secrets(output, command_secrets(command, inventory) | {PASSWORD, INTERNAL}, [Path(inventory).parent])
    if check is not None:
        assert (run.returncode == 0) == check, output[-5000:]
    return run.returncode, output


def _state(path):
    """What a link's victim is: bytes (a folder: its names), owner, group, mode."""
    info = os.lstat(path)
    held = sorted(os.listdir(path)) if Path(path).is_dir() else Path(path).read_bytes()
    return held, info.st_uid, info.st_gid, info.st_mode


def _files(root, nodes):
    return {str(path): (sha256_file(path), os.lstat(path).st_mode) for node in nodes
            for path in sorted((Path(root) / node).rglob('*')) if path.is_file() and not path.is_symlink()}


def _served(home):
    tls, _data = tls_settings(home, 'identity_server')
    (entry,) = [e for e in keytool_entries(tls['keystore'], tls['password']) if e['alias'] == tls['alias']]
    return entry['sha256']


def _move_out(planted, victim, copy, mode):
    """Make ``victim`` what a link at ``planted`` will point at: the file or folder that was there (``copy``), or a
    file of root's the role has no business with; ``mode`` for its files."""
    if copy == 'folder':
        shutil.copytree(planted, victim)
        shutil.rmtree(planted)
    elif copy:
        shutil.copyfile(planted, victim)
        planted.unlink()
    else:
        victim.write_bytes(b'a file of root\'s the role must never touch\n')
        planted.unlink(missing_ok=True)
    for path in [victim] + sorted(victim.rglob('*')):
        path.chmod(0o755 if path.is_dir() else mode)


# Each file the role writes on a node (with the secure vault and the password file on), and what the planted link
# points at: a copy of what the file holds (so that the preflight reads on through the link) or any other file.
LINKS = {
    'new keystore': (SECURITY + '/wso2is.jks', None),
    'truststore': (SECURITY + '/client-truststore.jks', SECURITY + '/client-truststore.jks'),
    'configuration': ('repository/conf/deployment.toml', 'repository/conf/deployment.toml'),
    'secure vault properties': ('repository/conf/security/secret-conf.properties', None),
    'password file': ('password-persist', None),
    'folder of the configuration': ('repository/conf/security', 'folder'),
}


@pytest.mark.parametrize('case', sorted(LINKS))
def test_a_link_where_the_role_writes_is_refused_before_any_write_and_its_target_untouched(tmp_path, case):
    where, copy = LINKS[case]
    inventory = build_cluster(tmp_path, 'identity_server', NODES, PASSWORD, {
        'identity_server_internal_keystore_password': INTERNAL, 'identity_server_encrypt_passwords': 'true',
        'identity_server_keystore_password_file': 'persist'})
    planted = tmp_path / 'node2' / where
    victim = tmp_path / 'outside' / Path(where).name
    victim.parent.mkdir()
    _move_out(planted, victim, copy, 0o600)
    planted.symlink_to(victim)
    before_victim = {str(path): _state(path) for path in [victim] + sorted(victim.rglob('*'))}
    before = _files(tmp_path, NODES)
    rc, output = _play(inventory)
    assert rc != 0 and re.search(r'node2: .*%s is a symbolic link \(?to %s' % (re.escape(where), re.escape(
        str(victim))), output), output[-4000:]
    assert re.search(r'the collection (never writes|neither reads nor writes keystores) through', output)
    failed = {host: counts['failed'] for host, counts in recap(output).items()}
    assert failed == {'node1': 0, 'node2': 1}, 'the node with the link fails, the other stops'
    assert {str(path): _state(path) for path in [victim] + sorted(victim.rglob('*'))} == before_victim
    assert _files(tmp_path, NODES) == before, 'a refusal before any write'


def test_over_ssh_links_and_a_folder_of_another_account_are_refused_before_any_write(fleet, tmp_path):
    """As WSO2 nodes are reached: an unprivileged login becoming the product's account (sudo). The product's account
    plants a link to a file of root's where the role writes; the role refuses, and root's file stays as it was."""
    from ssh import inventory as ssh_inventory
    from sandbox import build_node
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_PIPELINING='True')
    variables = {'identity_server_keystore_password': PASSWORD, 'identity_server_encrypt_passwords': 'true',
                 'identity_server_internal_keystore_password': INTERNAL,
                 'identity_server_keystore_password_file': 'persist'}
    homes = {node: '~/%s/%s' % (fleet.relative, node) for node in NODES}
    inventory = ssh_inventory(tmp_path / 'inventory.ini', 'identity_server', NODES, fleet, homes, variables)
    command = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(ROOT / 'playbooks' / 'identity_server.yml')]
    owner = (fleet.product_user.pw_uid, fleet.product_user.pw_gid)
    for case in sorted(LINKS):
        where, copy = LINKS[case]
        shutil.rmtree(fleet.homes, ignore_errors=True)
        for node in NODES:
            build_node(fleet.homes, 'identity_server', node, fleet.homes / 'pack')
        planted = fleet.home_of('node2') / where
        victim = fleet.work / ('root-%s' % Path(where).name)  # root's, readable by all
        shutil.rmtree(victim, ignore_errors=True)
        victim.unlink(missing_ok=True)
        _move_out(planted, victim, copy, 0o644)
        fleet.give_to_product_user()
        planted.symlink_to(victim)
        os.lchown(planted, *owner)
        before_victim = {str(path): _state(path) for path in [victim] + sorted(victim.rglob('*'))}
        before = _files(fleet.homes, NODES)
        run = subprocess.run(command, capture_output=True, text=True, cwd=str(ROOT), env=env, check=False)
        scan_for_secrets(run.stdout + run.stderr, {PASSWORD, INTERNAL}, [])
        assert run.returncode != 0 and re.search(r'node2: .*%s is a symbolic link \(?to %s' % (
            re.escape(where), re.escape(str(victim))), run.stdout), case + run.stdout[-4000:]
        assert {str(path): _state(path) for path in [victim] + sorted(victim.rglob('*'))} == before_victim, case
        assert _files(fleet.homes, NODES) == before, case
    # the security folder of node2 belongs to root: the product's account cannot create the keystore there
    shutil.rmtree(fleet.homes, ignore_errors=True)
    for node in NODES:
        build_node(fleet.homes, 'identity_server', node, fleet.homes / 'pack')
    fleet.give_to_product_user()
    security = fleet.home_of('node2') / SECURITY
    os.chown(security, 0, 0)
    security.chmod(0o755)
    before = _files(fleet.homes, NODES)
    run = subprocess.run(command, capture_output=True, text=True, cwd=str(ROOT), env=env, check=False)
    assert run.returncode != 0, run.stdout[-3000:]
    assert 'node2: the account the role writes as cannot create files in %s' % security in run.stdout, run.stdout[-3000:]
    assert _files(fleet.homes, NODES) == before, 'nothing written on any node'


@pytest.mark.parametrize('occupant', ['internal', 'unconfigured'])
def test_a_keystore_at_the_name_the_role_would_choose_is_never_overwritten(tmp_path, occupant):
    inventory = build_cluster(tmp_path, 'identity_server', NODES, PASSWORD)
    home = tmp_path / 'node1'
    taken = home / SECURITY / 'wso2is.jks'
    keytool('-genkeypair', '-keystore', taken, '-storetype', 'JKS', '-storepass', 'Occupant-Pass-3', '-keypass',
            'Occupant-Pass-3', '-alias', 'occupant', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=occupant',
            '-ext', 'KeyUsage=digitalSignature,keyEncipherment,dataEncipherment')
    if occupant == 'internal':
        config = home / 'repository/conf/deployment.toml'
        config.write_text(config.read_text() + '\n[keystore.internal]\nfile_name = "wso2is.jks"\ntype = "JKS"\n'
                          'password = "Occupant-Pass-3"\nalias = "occupant"\nkey_password = "Occupant-Pass-3"\n')
    kept = sha256_file(taken)
    _play(inventory, check=True)
    assert sha256_file(taken) == kept, 'the keystore already at that name is untouched'
    served = set()
    for node in NODES:
        tls, data = tls_settings(tmp_path / node, 'identity_server')
        assert tls['keystore'].name == 'wso2is-2.jks', 'the cluster keystore has another name on every node'
        served.add(_served(tmp_path / node))
    assert len(served) == 1
    if occupant == 'internal':
        assert tomlkit.parse((home / 'repository/conf/deployment.toml').read_text())['keystore']['internal'][
            'file_name'] == 'wso2is.jks'
    code, output = _play(inventory, check=True)
    assert {host: counts['changed'] for host, counts in recap(output).items()} == {node: 0 for node in NODES}


def _together(inventory, extra_a=(), extra_b=()):
    """Two ansible-playbook runs started at once, each as a controller of its own (its own temporary folder)."""
    runs = []
    for side, extra in (('a', extra_a), ('b', extra_b)):
        controller = Path(inventory).parent / ('controller-%s' % side)
        controller.mkdir(exist_ok=True)
        command = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory),
                   str(ROOT / 'playbooks' / 'identity_server.yml'), *extra]
        runs.append((command, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                               cwd=str(ROOT), env=dict(os.environ, TMPDIR=str(controller),
                                                                       ANSIBLE_NOCOLOR='1'))))
    done = []
    for command, run in runs:
        output = run.communicate()[0]
        scan_for_secrets(output, command_secrets(command, inventory) | {PASSWORD}, [Path(inventory).parent])
        done.append((run.returncode, output))
    return done


def _fingerprint(pem):
    certificate = x509.load_pem_x509_certificate(pem.encode())
    return certificate.fingerprint(hashes.SHA256()).hex(':').upper()


def _trusted(home):
    return {entry['sha256'] for entry in keytool_entries(home / SECURITY / 'client-truststore.jks', PACK_PASSWORD)}


def test_two_controllers_at_once_agree_on_one_key_and_lose_no_certificate(tmp_path):
    nodes = ['node1', 'node2', 'node3']
    for attempt in range(10):
        root = tmp_path / ('fresh-%d' % attempt)
        inventory = build_cluster(root, 'identity_server', nodes, PASSWORD)
        runs = _together(inventory)
        assert any(rc == 0 for rc, _output in runs), runs[0][1][-3000:] + runs[1][1][-3000:]
        for rc, output in runs:
            assert rc == 0 or 'Another run wrote the cluster\'s new keystore on node1 first' in output, output[-3000:]
        assert len({_served(root / node) for node in nodes}) == 1, 'one TLS key on every node'
        code, output = _play(inventory, check=True)
        assert {host: counts['changed'] for host, counts in recap(output).items()} == {node: 0 for node in nodes}

    # a converged cluster, two controllers each adding a CA of its own: both land everywhere
    root = tmp_path / 'converged'
    inventory = build_cluster(root, 'identity_server', nodes, PASSWORD)
    _play(inventory, check=True)
    for attempt in range(10):
        files = []
        for side in ('a', 'b'):
            path = root / ('ca-%d-%s.pem' % (attempt, side))
            path.write_text(pki.pem(pki.make_ca('Concurrent CA %d %s' % (attempt, side))[1]))
            files.append(path)
        runs = _together(inventory, ['-e', '{"identity_server_ca_certificates": ["%s"]}' % files[0]],
                         ['-e', '{"identity_server_ca_certificates": ["%s"]}' % files[1]])
        for rc, output in runs:
            assert rc == 0, output[-4000:]
        wanted = {_fingerprint(path.read_text()) for path in files}
        for node in nodes:
            assert wanted <= _trusted(root / node), 'node %s lost a certificate in attempt %d' % (node, attempt)
    assert len({_served(root / node) for node in nodes}) == 1
    code, output = _play(inventory, check=True)
    assert {host: counts['changed'] for host, counts in recap(output).items()} == {node: 0 for node in nodes}


def test_a_rotation_killed_at_any_point_is_finished_by_the_next_run(tmp_path):
    inventory = build_cluster(tmp_path, 'identity_server', NODES, PASSWORD)
    _play(inventory, check=True)
    internal = {node: next(e['sha256'] for e in keytool_entries(tmp_path / node / SECURITY / 'wso2carbon.jks',
                                                                PACK_PASSWORD)) for node in NODES}
    rotate = ('rotate.yml', '-e', 'product_role=identity_server', '-e', 'rotate_remove_old_certificate=true')
    started = time.time()
    _play(inventory, *rotate, check=True)
    duration = time.time() - started
    generator = random.Random(2026)
    kills = 0
    for attempt in range(20):
        before = _served(tmp_path / 'node1')
        command = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(ROOT / 'playbooks' / rotate[0]),
                   *rotate[1:]]
        run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(ROOT),
                               env=dict(os.environ, ANSIBLE_NOCOLOR='1'), start_new_session=True)
        time.sleep(generator.uniform(1.0, duration))
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            kills += 1
        run.wait()
        code, output = _play(inventory, *rotate)
        assert code == 0, 'attempt %d: the run after the kill did not finish the rotation:\n%s' % (attempt, output[-4000:])
        served = {_served(tmp_path / node) for node in NODES}
        assert len(served) == 1 and served != {before}, 'attempt %d: every node serves one new key' % attempt
        for node in NODES:
            now = next(e['sha256'] for e in keytool_entries(tmp_path / node / SECURITY / 'wso2carbon.jks',
                                                            PACK_PASSWORD))
            assert now == internal[node], 'the internal key never changes'
    assert kills >= 15, 'most runs must have been killed midway for the test to mean anything'
    code, output = _play(inventory, check=True)
    assert {host: counts['changed'] for host, counts in recap(output).items()} == {node: 0 for node in NODES}


def test_old_copies_in_the_security_folder_cost_the_controller_no_memory(tmp_path):
    inventory = build_cluster(tmp_path, 'identity_server', NODES, PASSWORD)
    for node in NODES:
        for number in range(150):  # 300 MB of keystore-named files no configuration names
            (tmp_path / node / SECURITY / ('old-copy-%03d.jks' % number)).write_bytes(os.urandom(1024 * 1024))
    # the run in a process of its own, whose children are only this run's: their peak resident memory is the controller's
    measure = ('import resource, subprocess, sys; run = subprocess.run(sys.argv[1:], capture_output=True, text=True); '
               'print(run.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)')
    command = [str(VENV_BIN / 'python'), '-c', measure, str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory),
               str(ROOT / 'playbooks' / 'identity_server.yml')]
    done = subprocess.run(command, capture_output=True, text=True, cwd=str(ROOT), check=True,
                          env=dict(os.environ, ANSIBLE_NOCOLOR='1'))
    code, peak_kb = map(int, done.stdout.split())
    assert code == 0
    assert all(_served(tmp_path / node) for node in NODES)
    print('controller peak RSS with 300 MB of unrelated files in each security folder: %.0f MB' % (peak_kb / 1024))
    assert peak_kb / 1024 < 300, peak_kb
