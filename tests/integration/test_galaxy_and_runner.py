"""The collection as an AWX job meets it: the built artifact installed with ansible-galaxy into a folder outside the
checkout, a virtual environment of its own (nothing of the checkout on any path), the role and the audit run through
ansible-runner (what AWX runs) with a private data dir, the passwords from the custom credential type that
docs/awx/credential-type.yml documents (its injector rendered as AWX renders it) and from vault-encrypted group_vars;
every job event searched for every secret."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import jinja2
import yaml

from helpers import ROOT, VENV_BIN, scan_for_secrets
from sandbox import build_cluster

WHEELHOUSE = ROOT / '.venv' / 'wheelhouse'
KEYSTORE_PASSWORD = 'Runner-Keystore-Pass-31'
INTERNAL_PASSWORD = 'Runner-Internal-Pass-32'
TRUSTSTORE_PASSWORD = 'Runner-Trust-Pass-33'
VAULT_PASSWORD = 'Runner-Vault-Pass-34'
SECRETS = (KEYSTORE_PASSWORD, INTERNAL_PASSWORD, TRUSTSTORE_PASSWORD, VAULT_PASSWORD)


def _run(command, env, cwd, check=True):
    run = subprocess.run([str(part) for part in command], capture_output=True, text=True, env=env, cwd=str(cwd),
                         check=False)
    if check:
        assert run.returncode == 0, '%s failed:\n%s%s' % (command, run.stdout[-4000:], run.stderr[-3000:])
    return run


def _clean_env(tmp_path, venv):
    """What a job's process gets: the venv's tools, a home of its own, nothing of the checkout."""
    home = tmp_path / 'home'
    home.mkdir(exist_ok=True)
    return {'PATH': '%s:/usr/bin:/bin' % (venv / 'bin'), 'HOME': str(home), 'LANG': 'C.UTF-8'}


def _injected_extra_vars(values):
    """The extra variables AWX injects for a credential of the documented type: its injector's templates rendered
    with the credential's fields (AWX renders them with Jinja, an unset field as an empty string)."""
    credential_type = yaml.safe_load((ROOT / 'docs' / 'awx' / 'credential-type.yml').read_text())
    fields = {field['id'] for field in credential_type['inputs']['fields']}
    assert set(credential_type['inputs']['required']) <= set(values) <= fields
    inputs = {field: values.get(field, '') for field in fields}
    return {key: jinja2.Template(template).render(**inputs)
            for key, template in credential_type['injectors']['extra_vars'].items()}


def _events(data_dir, ident):
    return [json.loads(Path(path).read_text()) for path in
            sorted(glob.glob(str(data_dir / 'artifacts' / ident / 'job_events' / '*.json')))]


def _changed_by_host(events):
    (stats,) = [event for event in events if event['event'] == 'playbook_on_stats']
    hosts = set(stats['event_data'].get('ok') or {}) | set(stats['event_data'].get('changed') or {})
    return {host: (stats['event_data'].get('changed') or {}).get(host, 0) for host in hosts}, stats['event_data']


def test_the_built_collection_runs_under_ansible_runner_with_awx_credentials_and_vault(tmp_path):
    assert WHEELHOUSE.is_dir(), 'make venv builds the wheelhouse this test installs from (no network in tests)'
    # the artifact, built from the checkout as a release is
    built = _run([VENV_BIN / 'ansible-galaxy', 'collection', 'build', '--output-path', tmp_path, ROOT],
                 dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / 'none.cfg')), tmp_path)
    (tarball,) = tmp_path.glob('carbon-keystores-*.tar.gz')

    # a virtual environment of its own, as an execution environment has: the collection's requirements, ansible-core
    # and ansible-runner, installed from wheels (make venv made them; tests reach no network)
    venv = tmp_path / 'venv'
    _run([sys.executable, '-m', 'venv', venv], dict(os.environ), tmp_path)
    env = _clean_env(tmp_path, venv)
    requirements = (ROOT / 'requirements-dev.txt').read_text()
    core = next(line for line in requirements.splitlines() if line.startswith('ansible-core'))
    _run([venv / 'bin' / 'pip', 'install', '--quiet', '--no-index', '--find-links', WHEELHOUSE, core, 'ansible-runner'],
         env, tmp_path)
    collections = tmp_path / 'collections'
    _run([venv / 'bin' / 'ansible-galaxy', 'collection', 'install', tarball, '-p', collections], env, tmp_path)
    installed = collections / 'ansible_collections' / 'carbon' / 'keystores'
    # what the README tells a Galaxy user: pip install -r the installed collection's requirements.txt
    _run([venv / 'bin' / 'pip', 'install', '--quiet', '--no-index', '--find-links', WHEELHOUSE,
          '-r', installed / 'requirements.txt'], env, tmp_path)
    assert built.returncode == 0

    # the nodes, and a private data dir as AWX writes one for a job
    cluster = tmp_path / 'cluster'
    build_cluster(cluster, 'identity_server', ['node1', 'node2', 'node3'], 'unused')
    data = tmp_path / 'job'
    (data / 'inventory' / 'group_vars' / 'identity_server').mkdir(parents=True)
    (data / 'env').mkdir()
    (data / 'project').mkdir()
    (data / 'inventory' / 'hosts').write_text(
        '[identity_server]\n' + ''.join('%s identity_server_home=%s\n' % (node, cluster / node)
                                        for node in ('node1', 'node2', 'node3'))
        + '\n[identity_server:vars]\nansible_connection=local\nansible_python_interpreter=%s\n' % (venv / 'bin' / 'python'))
    (data / 'inventory' / 'group_vars' / 'identity_server' / 'main.yml').write_text(yaml.safe_dump({
        'identity_server_encrypt_passwords': True, 'identity_server_keystore_password_file': 'persist'}))
    # the same passwords in a vault-encrypted file, for the jobs that run with a vault credential only
    vault_file = data / 'inventory' / 'group_vars' / 'identity_server' / 'vault.yml'
    vault_file.write_text(yaml.safe_dump({'identity_server_keystore_password': KEYSTORE_PASSWORD,
                                          'identity_server_internal_keystore_password': INTERNAL_PASSWORD,
                                          'identity_server_truststore_password': TRUSTSTORE_PASSWORD}))
    (tmp_path / 'vault-id').write_text(VAULT_PASSWORD + '\n')
    _run([venv / 'bin' / 'ansible-vault', 'encrypt', '--vault-password-file', tmp_path / 'vault-id', vault_file],
         env, tmp_path)
    assert KEYSTORE_PASSWORD not in vault_file.read_text()
    (tmp_path / 'vault-id').unlink()  # from here on the vault password comes only at the prompt, as AWX answers it
    # the job at the highest verbosity an operator uses, with diffs: what the secret scan reads
    (data / 'env' / 'envvars').write_text(yaml.safe_dump({'ANSIBLE_COLLECTIONS_PATH': str(collections),
                                                          'ANSIBLE_VERBOSITY': '3', 'ANSIBLE_DIFF_ALWAYS': 'true'}))
    # AWX answers the vault prompt of --ask-vault-pass with the vault credential's password
    (data / 'env' / 'passwords').write_text(yaml.safe_dump({r'^Vault password:\s*?$': VAULT_PASSWORD}))
    (data / 'env' / 'cmdline').write_text('--ask-vault-pass')

    def job(ident, playbook, extra_vars=None):
        extravars = data / 'env' / 'extravars'
        if extra_vars:
            extravars.write_text(yaml.safe_dump(extra_vars))
        elif extravars.exists():
            extravars.unlink()
        run = _run([venv / 'bin' / 'ansible-runner', 'run', data, '-p', playbook, '--ident', ident], env, tmp_path,
                   check=False)
        events = _events(data, ident)
        assert events, run.stdout[-3000:] + run.stderr[-2000:]
        text = '\n'.join(json.dumps(event) for event in events)
        scan_for_secrets(text, SECRETS, [cluster])
        assert str(ROOT) not in text, 'the job used something of the checkout'
        rc = int((data / 'artifacts' / ident / 'rc').read_text())
        return rc, events, text

    # 1. the job template with the custom credential (and the vault credential): converges the cluster
    credential = _injected_extra_vars({'keystore_password': KEYSTORE_PASSWORD,
                                       'internal_keystore_password': INTERNAL_PASSWORD,
                                       'truststore_password': TRUSTSTORE_PASSWORD})
    assert credential['identity_server_keystore_password'] == KEYSTORE_PASSWORD
    assert credential['identity_server_tls_private_key'] == '', 'an unset field is injected empty'
    rc, events, text = job('converge', 'carbon.keystores.identity_server', credential)
    assert rc == 0, text[-4000:]
    assert 'ESTABLISH LOCAL CONNECTION' in text and '+++ after: ' in text, 'the job ran at -vvv with diffs'
    changed, _stats = _changed_by_host(events)
    assert changed and all(count > 0 for count in changed.values()), changed
    task_paths = {event.get('event_data', {}).get('task_path', '').split(':')[0] for event in events
                  if event.get('event_data', {}).get('task_path')}
    assert task_paths and all(path.startswith(str(installed)) for path in task_paths), task_paths

    # 2. the same job with the vault credential alone: nothing changes
    rc, events, text = job('rerun', 'carbon.keystores.identity_server')
    assert rc == 0, text[-4000:]
    changed, _stats = _changed_by_host(events)
    assert changed == {'node1': 0, 'node2': 0, 'node3': 0}, changed

    # 3. the scheduled audit with the vault credential: every store read through the secure vault, nothing to report
    rc, events, text = job('audit', 'carbon.keystores.audit')
    assert rc == 0, text[-4000:]
    summaries = [event['event_data']['res']['msg'] for event in events if event['event'] == 'runner_on_ok'
                 and event.get('event_data', {}).get('task') == 'Keystores and findings']
    assert len(summaries) == 3 and all('findings: none' in lines for lines in summaries), summaries
    config = (cluster / 'node1' / 'repository' / 'conf' / 'deployment.toml').read_text()
    assert '$secret{keystore_password}' in config and KEYSTORE_PASSWORD not in config
