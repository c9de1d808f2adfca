"""Reads where the managed host is the controller itself (local connection, no become): the action
plugins read the files in their own process instead of a remote_files module run. Every task must
give exactly what the module run gives, become must still read as the become user, and
carbon_keystores_local_reads=false must bring the module run back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import cacerts_path, run_playbook
from sandbox import build_cluster, build_node
from test_roles import play, recap

MODULE_RUN = 'AnsiballZ_remote_files.py'
CACERTS_PASSWORD = 'changeit'


def _task(name, module, local_reads, **args):
    task = {'name': name, 'carbon.keystores.' + module: args}
    if local_reads is not None:
        task['vars'] = {'carbon_keystores_local_reads': local_reads}
    return task


def _both_ways(tmp_path, name, module, **args):
    """(in-process result, module-run result, output of each): one playbook each, at -vvv (conftest)."""
    results, outputs = [], []
    for local_reads in (None, False):  # None: the default
        task = _task(name, module, local_reads, **args)
        if args.get('return_content'):
            task['no_log'] = True  # as product_info's documentation asks: contents hold the files' bytes
        run = run_playbook(tmp_path, [task])
        results.append(run[name])
        outputs.append(run.output)
    return results, outputs


def _comparable(result):
    """A result without what differs between any two runs (Ansible's own keys)."""
    return {key: value for key, value in result.items() if key not in ('invocation', '_ansible_no_log')}


def test_keystore_info_reads_in_process_and_gives_what_the_module_run_gives(tmp_path):
    (local, module), (local_output, module_output) = _both_ways(
        tmp_path, 'cacerts', 'keystore_info', path=str(cacerts_path()), password=CACERTS_PASSWORD)
    assert MODULE_RUN not in local_output, 'the default read on a local connection started a module run'
    assert MODULE_RUN in module_output, 'carbon_keystores_local_reads=false did not read through remote_files'
    assert not local.get('failed') and len(local['entries']) > 100
    assert _comparable(local) == _comparable(module)
    # JDK cacerts holds roots with serial number 0 (Starfield, Go Daddy): cryptography's deprecation
    # warning about them must not reach the task's stderr
    for output in (local_output, module_output):
        assert 'CryptographyDeprecationWarning' not in output and 'errantly sent data' not in output, output[-3000:]


@pytest.mark.parametrize('case', ['missing', 'directory', 'too_large', 'not_a_keystore'])
def test_a_file_problem_fails_with_the_same_sentence_either_way(tmp_path, case):
    path = tmp_path / 'store.jks'
    if case == 'directory':
        path.mkdir()
    elif case == 'too_large':
        with open(path, 'wb') as handle:
            handle.truncate(33 * 1024 * 1024)  # sparse: bigger than the 32 MiB limit, costs no disk
    elif case == 'not_a_keystore':
        path.write_bytes(b'not a keystore\n' * 10)
    (local, module), _outputs = _both_ways(tmp_path, 'info', 'keystore_info', path=str(path), password='x-pass-1')
    assert local['failed'] and module['failed']
    assert local['msg'] == module['msg'], (local['msg'], module['msg'])
    assert str(path) in local['msg']


def test_product_info_reads_a_whole_home_in_process_with_the_same_result(tmp_path):
    home = build_node(tmp_path, 'identity_server', 'node1', tmp_path / 'pack')
    (home / 'repository/resources/security/notes.txt').write_text('not a keystore, not listed\n')
    (local, module), (local_output, module_output) = _both_ways(
        tmp_path, 'product', 'product_info', product='identity_server', home=str(home), return_content=True)
    assert MODULE_RUN not in local_output and MODULE_RUN in module_output
    assert not local.get('failed'), local.get('msg')
    assert set(local['contents']) >= {str(home / 'repository/conf/deployment.toml'),
                                      str(home / 'repository/resources/security/wso2carbon.jks')}
    assert _comparable(local) == _comparable(module)


def _python_for(user):
    """A Python ``user`` can run (the venv's may live in root's home), or None."""
    for candidate in ('/usr/bin/python3', os.path.realpath(sys.executable)):
        probe = subprocess.run(['su', '-s', '/bin/sh', user, '-c', '%s -c pass' % candidate],
                               capture_output=True, check=False)
        if probe.returncode == 0:
            return candidate
    return None


def test_become_reads_as_the_become_user_through_a_module_run(tmp_path):
    if os.geteuid() != 0 or not shutil.which('su'):
        pytest.skip('needs root and su to become another user without a password')
    python = _python_for('nobody')
    if python is None:
        pytest.skip('no Python the user nobody can run')
    tmp_path.chmod(0o755)
    store = tmp_path / 'root-only.jks'
    shutil.copyfile(cacerts_path(), store)
    store.chmod(0o600)  # root may read it, nobody may not
    as_nobody = _task('as_nobody', 'keystore_info', None, path=str(store), password=CACERTS_PASSWORD)
    as_nobody.update(become=True, become_method='su', become_user='nobody', become_flags='-s /bin/sh')
    # pipelining: the module reaches nobody through su's stdin, not through a file in root's temporary folder
    as_nobody['vars'] = {'ansible_python_interpreter': python, 'ansible_pipelining': True}
    as_root = _task('as_root', 'keystore_info', None, path=str(store), password=CACERTS_PASSWORD)
    run = run_playbook(tmp_path, [as_root, as_nobody])
    assert not run['as_root'].get('failed') and run['as_root']['entries']
    # read in this (root) process, the file would have opened; read as nobody, it must not
    assert run['as_nobody'].get('failed'), run['as_nobody']
    assert 'Permission denied' in run['as_nobody']['msg'], run['as_nobody']['msg']


def test_a_cluster_converged_through_module_runs_is_unchanged_when_read_in_process(tmp_path):
    inventory = build_cluster(tmp_path, 'identity_server', ['node1', 'node2'], 'Local-Reads-2026',
                              extra_vars={'carbon_keystores_local_reads': 'false'})
    first = play(inventory, 'identity_server')
    assert all(counts['changed'] > 0 for counts in recap(first.stdout).values())
    assert MODULE_RUN in first.stdout
    # the same cluster, now read in-process: the decisions must be the same, so nothing changes
    Path(inventory).write_text(Path(inventory).read_text().replace('carbon_keystores_local_reads=false\n', ''))
    again = play(inventory, 'identity_server')
    assert all(counts['changed'] == 0 for counts in recap(again.stdout).values()), again.stdout[-4000:]
    assert MODULE_RUN not in again.stdout, 'a no-op rerun read in-process still started a remote_files run'


def test_a_local_reads_value_that_is_not_a_boolean_fails_with_a_sentence(tmp_path):
    run = run_playbook(tmp_path, [_task('info', 'keystore_info', 'sometimes', path=str(cacerts_path()),
                                        password=CACERTS_PASSWORD)])
    assert run['info']['failed']
    assert run['info']['msg'] == "carbon_keystores_local_reads must be true or false, not 'sometimes'."
