"""The collection as users get it: a galaxy tarball installed elsewhere, and an AWX execution environment."""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import tarfile

import yaml

from helpers import ROOT, VENV_BIN, command_secrets, scan_for_secrets
from sandbox import SECURITY, build_cluster
from test_roles import PASSWORD, recap, tls_settings


def _isolated_env(tmp_path, collections):
    (tmp_path / 'home').mkdir(exist_ok=True)
    return dict(os.environ, HOME=str(tmp_path / 'home'), ANSIBLE_COLLECTIONS_PATH=str(collections),
                ANSIBLE_CONFIG=str(tmp_path / 'none.cfg'), ANSIBLE_NOCOLOR='1')


def _build(tmp_path, env):
    built = subprocess.run([str(VENV_BIN / 'ansible-galaxy'), 'collection', 'build', '--output-path', str(tmp_path),
                            str(ROOT)], capture_output=True, text=True, cwd=str(tmp_path), env=env, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    (tarball,) = tmp_path.glob('carbon-keystores-*.tar.gz')
    return tarball


# What the artifact ships: galaxy.yml's manifest is an allow-list, and this is what it must allow (every tracked file
# that matches, nothing else). Development files stay out: ansible.cfg, tests, bench, tools, the demo, images.
SHIPPED = ('README.md', 'LICENSE', 'CHANGELOG.rst', 'requirements.txt', 'meta/runtime.yml',
           'meta/execution-environment.yml', 'changelogs/changelog.yaml', 'changelogs/config.yaml', 'docs/*.md',
           'docs/awx/*.yml', 'plugins/*.py', 'plugins/*.yml', 'roles/*.yml', 'playbooks/*.yml')
# a tripwire for a binary or a test tree slipping into the artifact, not a budget: the code, its docs and the roles'
# argument specs (about 260 KB at 0.4.0, from 210 KB at 0.3.0) grow with every feature
MAX_ARTIFACT_BYTES = 320 * 1024


def test_the_artifact_ships_exactly_the_allowed_files_with_the_license(tmp_path):
    tarball = _build(tmp_path, _isolated_env(tmp_path, tmp_path / 'none'))
    with tarfile.open(tarball) as archive:
        shipped = {member.name for member in archive.getmembers() if member.isfile()}
        license_text = archive.extractfile('LICENSE').read().decode()
    tracked = subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard'], capture_output=True,
                             text=True, cwd=str(ROOT), check=True).stdout.split()
    wanted = {path for path in tracked if any(fnmatch.fnmatch(path, pattern) for pattern in SHIPPED)}
    assert shipped - {'MANIFEST.json', 'FILES.json'} == wanted, (
        'unexpected: %s; missing: %s' % (sorted(shipped - wanted - {'MANIFEST.json', 'FILES.json'}),
                                         sorted(wanted - shipped)))
    assert not any(name.startswith(('tests/', 'bench/', 'tools/', 'demo/')) or name == 'ansible.cfg'
                   or name.endswith(('.png', '.pyc')) for name in shipped)
    assert 'GNU GENERAL PUBLIC LICENSE' in license_text and 'Version 3, 29 June 2007' in license_text
    assert tarball.stat().st_size < MAX_ARTIFACT_BYTES, tarball.stat().st_size
    galaxy = yaml.safe_load((ROOT / 'galaxy.yml').read_text())
    assert galaxy['license'] == ['GPL-3.0-or-later'] and 'build_ignore' not in galaxy


def test_identity_server_playbook_from_an_installed_tarball_converges_a_sandbox(tmp_path):
    installed = tmp_path / 'installed'
    env = _isolated_env(tmp_path, installed)
    tarball = _build(tmp_path, env)
    install = subprocess.run([str(VENV_BIN / 'ansible-galaxy'), 'collection', 'install', str(tarball), '-p',
                              str(installed)], capture_output=True, text=True, cwd=str(tmp_path), env=env, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    playbook = installed / 'ansible_collections' / 'carbon' / 'keystores' / 'playbooks' / 'identity_server.yml'
    assert playbook.exists()
    cluster = tmp_path / 'cluster'
    inventory = build_cluster(cluster, 'identity_server', ['node1', 'node2'], PASSWORD)
    command = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(playbook)]
    first = subprocess.run(command, capture_output=True, text=True, cwd=str(tmp_path), env=env, check=False)
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-2000:]
    second = subprocess.run(command, capture_output=True, text=True, cwd=str(tmp_path), env=env, check=False)
    for run in (first, second):
        scan_for_secrets(run.stdout + run.stderr, command_secrets(command, inventory) | {PASSWORD}, [cluster])
    assert {h: c['changed'] for h, c in recap(second.stdout).items()} == {'node1': 0, 'node2': 0}
    tls, _data = tls_settings(cluster / 'node1', 'identity_server')
    assert tls['keystore'].parent == cluster / 'node1' / SECURITY and tls['alias'] == 'wso2is'
    # The run used the installed copy, not this checkout.
    listing = subprocess.run([str(VENV_BIN / 'ansible-galaxy'), 'collection', 'list', 'carbon.keystores'],
                             capture_output=True, text=True, cwd=str(tmp_path), env=dict(env, ANSIBLE_VERBOSITY='0'),
                             check=False)
    assert str(installed) in listing.stdout and str(ROOT) not in listing.stdout


def test_ansible_builder_creates_an_execution_environment_context(tmp_path):
    env = _isolated_env(tmp_path, tmp_path / 'none')
    tarball = _build(tmp_path, env)
    work = tmp_path / 'ee'
    work.mkdir()
    shutil.copyfile(tarball, work / 'carbon-keystores.tar.gz')
    shutil.copyfile(ROOT / 'execution-environment.yml', work / 'execution-environment.yml')
    shutil.copyfile(ROOT / 'requirements.txt', work / 'requirements.txt')
    create = subprocess.run([str(VENV_BIN / 'ansible-builder'), 'create', '--file', 'execution-environment.yml',
                             '--context', 'context'], capture_output=True, text=True, cwd=str(work), env=env,
                            check=False)
    assert create.returncode == 0, create.stdout + create.stderr
    context = work / 'context'
    containerfile = next(p for p in (context / 'Containerfile', context / 'Dockerfile') if p.exists()).read_text()
    # the image runs the Python the definition names (UBI 9's /usr/bin/python3 is 3.9, too old for ansible-core 2.19)
    interpreter = yaml.safe_load((ROOT / 'execution-environment.yml').read_text())['dependencies']['python_interpreter']
    assert interpreter['python_path'].endswith('python3.11')
    assert 'ARG PYCMD="%s"' % interpreter['python_path'] in containerfile
    assert 'ARG PYPKG="%s"' % interpreter['package_system'] in containerfile
    assert 'ansible-galaxy collection install' in containerfile and 'requirements.yml' in containerfile
    assert (context / '_build' / 'collections' / 'carbon-keystores.tar.gz').exists()
    python_requirements = (context / '_build' / 'requirements.txt').read_text()
    for package in ('cryptography', 'pyjks', 'tomlkit'):
        assert package in python_requirements
    assert 'collections/carbon-keystores.tar.gz' in (context / '_build' / 'requirements.yml').read_text()
