"""What the roles promise on paper: generated from one source and current, argument_specs and defaults agree,
every entry point validates; ansible-lint's production profile."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from helpers import ROOT, VENV_BIN

PUBLIC_ROLES = ['identity_server', 'api_manager', 'micro_integrator', 'enterprise_integrator']
FIXED = ['home', 'keystore_password', 'truststore_password', 'ca_certificates', 'tls_certificate', 'tls_private_key',
         'tls_private_key_passphrase', 'tls_certificate_chain', 'csr_path', 'internal_keystore_password']
# where the product has a [keystore.primary] apart from [keystore.tls]
FIXED_SEPARATE_PRIMARY = ['separate_primary_keystore', 'primary_certificate', 'primary_private_key',
                          'primary_private_key_passphrase', 'primary_certificate_chain']


@pytest.mark.parametrize('role', PUBLIC_ROLES)
def test_argument_specs_and_defaults_are_in_step(role):
    folder = ROOT / 'roles' / role
    defaults = yaml.safe_load((folder / 'defaults' / 'main.yml').read_text()) or {}
    options = yaml.safe_load((folder / 'meta' / 'argument_specs.yml').read_text())['argument_specs']['main']['options']
    for name in FIXED + (FIXED_SEPARATE_PRIMARY if role != 'enterprise_integrator' else []):
        assert '%s_%s' % (role, name) in options, 'the fixed interface variable %s_%s is missing' % (role, name)
    for name, spec in options.items():
        assert name.startswith(role + '_'), '%s lacks the role prefix' % name
        assert spec.get('description'), '%s has no description' % name
        if spec.get('required'):
            assert name not in defaults, '%s is required, so defaults/main.yml must not define it' % name
        else:
            assert name in defaults, '%s is in argument_specs but not in defaults/main.yml' % name
            assert spec.get('default') == defaults[name], '%s: argument_specs says %r, defaults say %r' % (
                name, spec.get('default'), defaults[name])
        if name.endswith(('password', 'passphrase')):  # what holds a secret (not encrypt_passwords, *_password_file)
            assert spec.get('no_log') is True, '%s must be no_log' % name
    assert set(defaults) <= set(options), 'undocumented defaults: %s' % sorted(set(defaults) - set(options))


def test_the_public_roles_are_generated_from_one_source_and_current():
    check = subprocess.run([str(VENV_BIN / 'python'), str(ROOT / 'tools' / 'roles.py'), '--check'],
                           capture_output=True, text=True, cwd=str(ROOT), check=False)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize('role', PUBLIC_ROLES)
def test_every_entry_point_of_a_public_role_has_an_argument_spec(role):
    folder = ROOT / 'roles' / role
    specs = yaml.safe_load((folder / 'meta' / 'argument_specs.yml').read_text())['argument_specs']
    entry_points = {path.stem for path in (folder / 'tasks').glob('*.yml')}
    assert entry_points == set(specs), 'entry points without a spec: %s' % sorted(entry_points ^ set(specs))
    # the flow checks again only what the public spec cannot: the options of its own some entry points take
    flow = yaml.safe_load((ROOT / 'roles' / 'keystore_flow' / 'meta' / 'argument_specs.yml').read_text())['argument_specs']
    own_options = {entry for option in yaml.safe_load((ROOT / 'tools' / 'role_inputs.yml').read_text())['flow_options'].values()
                   for entry in option['entry_points']}
    assert own_options and own_options <= set(specs)
    assert set(flow) == own_options, 'the flow validates %s, not the entry points with options of their own' % sorted(flow)
    for entry in own_options:
        assert set(flow[entry]['options']) > {'keystore_flow_inputs'}, entry


def test_ansible_lint_production_profile_passes():
    env = dict(os.environ, PATH='%s:%s' % (VENV_BIN, os.environ.get('PATH', '')), NO_COLOR='1')
    run = subprocess.run([str(VENV_BIN / 'ansible-lint'), '--profile', 'production', '--offline', 'roles', 'playbooks'],
                         capture_output=True, text=True, cwd=str(ROOT), env=env, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "Profile 'production' was required, and it passed" in run.stdout + run.stderr
