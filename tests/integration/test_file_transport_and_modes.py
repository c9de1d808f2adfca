"""How files are read and written: the modes every write leaves (documented in the modules' notes),
toml_file's tables, and read_from (a write from an earlier read stays a compare-and-swap)."""

from __future__ import annotations

import base64
import hashlib
import shutil
import stat

import tomlkit

from helpers import FIXTURES, keytool, pretty, run_playbook
from sandbox import build_cluster

PASSWORD = 'Modes-Pass-31'


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_written_files_are_never_world_readable(tmp_path):
    config = tmp_path / 'deployment.toml'
    shutil.copyfile(FIXTURES / 'is-latest.deployment.toml', config)
    config.chmod(0o644)
    shipped = tmp_path / 'shipped.jks'
    keytool('-genkeypair', '-keystore', shipped, '-storetype', 'JKS', '-storepass', PASSWORD, '-keypass', PASSWORD,
            '-alias', 'old', '-keyalg', 'EC', '-dname', 'CN=old')
    shipped.chmod(0o644)
    chosen = tmp_path / 'chosen.toml'
    shutil.copyfile(config, chosen)
    tasks = [
        {'name': 'new_keystore', 'carbon.keystores.keystore': dict(path=str(tmp_path / 'new.jks'), password=PASSWORD,
                                                                   alias='server', subject='CN=new')},
        {'name': 'new_truststore', 'carbon.keystores.truststore': dict(
            path=str(tmp_path / 'trust.p12'), password=PASSWORD, certificates=['/etc/ssl/certs/ca-certificates.crt'])},
        {'name': 'shipped_keystore', 'carbon.keystores.keystore': dict(path=str(shipped), password=PASSWORD,
                                                                       alias='added', subject='CN=added', backup=True)},
        {'name': 'config', 'carbon.keystores.toml_file': dict(path=str(config), table='keystore.tls',
                                                              settings={'password': PASSWORD}, backup=True)},
        {'name': 'chosen_mode', 'carbon.keystores.toml_file': dict(path=str(chosen), table='keystore.tls',
                                                                   settings={'alias': 'x'}, mode='0644')},
    ]
    run = run_playbook(tmp_path, tasks)
    for task in tasks:
        assert run[task['name']]['changed'] and not run[task['name']].get('failed'), pretty(run[task['name']])
    assert _mode(tmp_path / 'new.jks') == 0o600 and _mode(tmp_path / 'trust.p12') == 0o600
    assert _mode(shipped) == 0o640 and _mode(config) == 0o640
    for name in ('shipped_keystore', 'config'):
        backup = run[name]['backup_file']
        assert _mode(type(shipped)(backup)) & 0o007 == 0, '%s backup is readable by others' % name
    assert _mode(chosen) == 0o644, 'an explicit mode is the operator\'s choice'


def test_role_leaves_no_file_readable_by_others(tmp_path):
    inventory = build_cluster(tmp_path, 'identity_server', ['node1'], PASSWORD)
    home = tmp_path / 'node1'
    for path in home.rglob('*'):
        if path.is_file():
            path.chmod(0o644)
    run = run_playbook(tmp_path, [{'name': 'converge', 'ansible.builtin.include_role': {
        'name': 'carbon.keystores.identity_server'}}], hosts='identity_server', inventory=inventory, secrets=[PASSWORD])
    assert run.rc == 0, run.output[-3000:]
    written = [path for path in home.rglob('*') if path.is_file() and _mode(path) & 0o007]
    untouched = {home / 'repository/resources/security/wso2carbon.jks',  # the internal keystore is never rewritten
                 home / 'repository/conf/security/secret-conf.properties'}  # no secure vault was asked for
    assert set(written) <= untouched, 'readable by others after the role wrote them: %s' % written


def test_tables_in_one_write_and_read_from(tmp_path):
    config = tmp_path / 'deployment.toml'
    shutil.copyfile(FIXTURES / 'is-latest.deployment.toml', config)
    tables = {'keystore.primary': {'alias': 'one', 'file_name': 'one.jks'}, 'keystore.tls': {'alias': 'one'}}
    stale = config.read_bytes()
    stale_read = {str(config): {'sha256': hashlib.sha256(stale).hexdigest(),
                                'content': base64.b64encode(stale).decode()}}
    run = run_playbook(tmp_path, [
        {'name': 'both', 'carbon.keystores.toml_file': dict(path=str(config), tables=tables)},
        {'name': 'again', 'carbon.keystores.toml_file': dict(path=str(config), tables=tables)},
        # an earlier read that is out of date (the file changed since): the write must not undo 'both'
        {'name': 'stale', 'carbon.keystores.toml_file': dict(path=str(config), table='truststore',
                                                             settings={'algorithm': 'PKIX'}, read_from=stale_read)},
        {'name': 'forged', 'carbon.keystores.toml_file': dict(path=str(config), table='truststore',
                                                              settings={'type': 'JKS'}, read_from={str(config): {
                                                                  'sha256': '0' * 64, 'content': 'AAAA'}})},
    ])
    assert run['both']['changed'] and run['both']['tables'] == ['keystore.primary', 'keystore.tls']
    assert not run['again']['changed'], pretty(run['again'])
    assert run['stale']['changed'] and not run['stale'].get('failed'), pretty(run['stale'])
    data = tomlkit.parse(config.read_text()).unwrap()
    assert data['keystore']['primary']['alias'] == 'one' and data['keystore']['tls']['alias'] == 'one'
    assert data['truststore']['algorithm'] == 'PKIX'
    assert run['forged'].get('failed') and 'does not match its sha256' in run['forged']['msg']

    empty = tmp_path / 'new.toml'
    created = run_playbook(tmp_path, [{'name': 'create', 'carbon.keystores.toml_file': dict(
        path=str(empty), table='keystore.tls', create=True)}])
    assert created['create']['changed'] and empty.exists() and empty.read_text() == '', pretty(created['create'])


def test_a_write_run_reports_what_the_files_hold_after_it_and_names_the_file_that_refused_it(tmp_path):
    """remote_files' report_sha256: the SHA-256 of each file once the writes are made (in check mode, as they would be
    made), so that the roles need not read the node again; conflict_path: which file another run changed."""
    kept, written, missing = tmp_path / 'kept.txt', tmp_path / 'written.txt', tmp_path / 'missing.txt'
    kept.write_bytes(b'kept\n')
    written.write_bytes(b'old\n')
    digest = {name: hashlib.sha256(data).hexdigest() for name, data in (('kept', b'kept\n'), ('new', b'new\n'),
                                                                        ('old', b'old\n'))}
    write = {'writes': [{'path': str(written), 'content': base64.b64encode(b'new\n').decode(),
                         'expected_sha256': digest['old']}],
             'report_sha256': [str(kept), str(written), str(missing)]}
    expected = {str(kept): digest['kept'], str(written): digest['new'], str(missing): 'absent'}
    checked = run_playbook(tmp_path, [{'name': 'check', 'carbon.keystores.remote_files': write}], check=True)['check']
    assert checked['changed'] and checked['sha256s'] == expected, checked
    assert written.read_bytes() == b'old\n', 'check mode wrote nothing'
    done = run_playbook(tmp_path, [{'name': 'write', 'carbon.keystores.remote_files': write}])['write']
    assert done['changed'] and done['sha256s'] == expected and written.read_bytes() == b'new\n', done
    # another write still expecting the old bytes
    stale = dict(write, writes=[dict(write['writes'][0], content=base64.b64encode(b'other\n').decode())])
    refused = run_playbook(tmp_path, [{'name': 'stale', 'carbon.keystores.remote_files': stale}])['stale']
    assert refused['failed'] and refused['conflict'] and refused['conflict_path'] == str(written), refused
    assert 'sha256s' not in refused and written.read_bytes() == b'new\n'
