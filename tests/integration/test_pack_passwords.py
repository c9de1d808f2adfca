"""Passwords that are also names: every password variable of a role set in turn to the pack's own password
(wso2carbon, which is also the pack's keystore file and alias name), and a keystore password that is part of the
product home's path. Masking must never change data: each cluster converges, a rerun changes nothing, and the audit
reads every store and passes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

import pki
from helpers import ROOT, VENV_BIN, scan_for_secrets
from sandbox import PACK_PASSWORD, SECURITY, build_cluster
from test_roles import recap, tls_settings

PASSWORD = 'Pack-Names-Pass-51'
NODES = ['node1', 'node2']


def _play(inventory, playbook, variables, secrets, public=()):
    vars_file = Path(inventory).parent / ('vars-%d.yml' % len(list(Path(inventory).parent.glob('vars-*.yml'))))
    vars_file.write_text(yaml.safe_dump(variables))
    command = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(ROOT / 'playbooks' / playbook),
               '-e', '@%s' % vars_file]
    run = subprocess.run(command, capture_output=True, text=True, cwd=str(ROOT), check=False,
                         env=dict(os.environ, ANSIBLE_NOCOLOR='1'))
    output = run.stdout + run.stderr
    scan_for_secrets(output, set(secrets), [Path(inventory).parent], public=public)
    assert run.returncode == 0, output[-5000:]
    return output


def _converge_rerun_audit(inventory, variables, secrets, public=()):
    first = _play(inventory, 'identity_server.yml', variables, secrets, public)
    assert all(counts['changed'] > 0 for counts in recap(first).values()), first[-3000:]
    second = _play(inventory, 'identity_server.yml', variables, secrets, public)
    assert {host: counts['changed'] for host, counts in recap(second).items()} == {node: 0 for node in NODES}, \
        second[-4000:]
    internal = variables.get('identity_server_internal_keystore_password')
    audit = _play(inventory, 'audit.yml', dict({'identity_server_internal_keystore_password': internal} if internal
                                               else {}, audit_fail_within_days=30), secrets, public)
    assert 'cannot be opened' not in audit and 'password_unknown' not in audit, audit[-3000:]
    return first, second, audit


# each password variable of the role, in turn the pack's own password (the others the test's)
CASES = {
    'keystore_password': {'identity_server_keystore_password': PACK_PASSWORD},
    'internal_keystore_password with the secure vault': {
        'identity_server_keystore_password': PASSWORD, 'identity_server_internal_keystore_password': PACK_PASSWORD,
        'identity_server_encrypt_passwords': True, 'identity_server_keystore_password_file': 'persist'},
    'truststore_password after another one': {'identity_server_keystore_password': PASSWORD,
                                              'identity_server_truststore_password': PACK_PASSWORD},
    'tls_private_key_passphrase': {'identity_server_keystore_password': PASSWORD},
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_every_password_variable_may_be_the_packs_own_password(tmp_path, case):
    variables = dict(CASES[case])
    inventory = build_cluster(tmp_path, 'identity_server', NODES, variables['identity_server_keystore_password'])
    if case.startswith('truststore_password'):
        # the truststore first gets a password of its own, then the pack's again: the file changes both times
        _converge_rerun_audit(inventory, dict(variables, identity_server_truststore_password='Trust-Own-Pass-52'),
                              {PASSWORD, 'Trust-Own-Pass-52'})
    if case == 'tls_private_key_passphrase':
        ca = pki.make_ca('Pack Names CA')
        key = pki.new_key()
        variables.update({
            'identity_server_tls_certificate': pki.pem(pki.issue(key.public_key(), 'cluster.example.org', ca,
                                                                 sans=['node1', 'node2'])),
            'identity_server_tls_certificate_chain': [pki.pem(ca[1])],
            'identity_server_tls_private_key': pki.key_pem(key, PACK_PASSWORD),
            'identity_server_tls_private_key_passphrase': PACK_PASSWORD})
    _converge_rerun_audit(inventory, variables, {PASSWORD})
    for node in NODES:
        tls, data = tls_settings(tmp_path / node, 'identity_server')
        assert tls['keystore'].name == 'wso2is.jks' and tls['alias'] == 'wso2is', 'the cluster keeps its own keystore'
        internal = (data.get('keystore') or {}).get('internal') or {}
        assert internal.get('file_name') == 'wso2carbon.jks' and internal.get('alias') == 'wso2carbon', \
            'the pack keystore\'s name survives a password that is the same word'
        assert (tmp_path / node / SECURITY / 'wso2carbon.jks').exists()


def test_a_keystore_password_that_is_part_of_the_home_path(tmp_path):
    password = 'home-of-wso2-is'
    root = tmp_path / ('clusters-%s-2026' % password)
    inventory = build_cluster(root, 'identity_server', NODES, password)
    first, _second, audit = _converge_rerun_audit(inventory, {'identity_server_keystore_password': password},
                                                  {password}, public=[str(root)])
    assert str(root / 'node1') in audit, 'paths in messages and results are the paths, not masked'
    for node in NODES:
        tls, _data = tls_settings(root / node, 'identity_server')
        assert tls['keystore'] == root / node / SECURITY / 'wso2is.jks' and tls['password'] == password
