"""carbon.keystores.toml_file on WSO2's real configuration files, through real playbooks."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
import tomlkit

from ansible_collections.carbon.keystores.plugins.module_utils.toml import edit as toml_edit
from helpers import FIXTURES, pretty, run_playbook, sha256_file

EXPECTED = Path(__file__).resolve().parent / 'expected'
TOML_FIXTURES = sorted(p.name for p in FIXTURES.glob('*.toml'))
KEYSTORE_TABLES = {
    'keystore.primary': {'file_name': 'primary.jks', 'type': 'JKS', 'password': 'Primary-Secret-11',
                         'alias': 'primary', 'key_password': 'Primary-Secret-11'},
    'keystore.internal': {'file_name': 'internal.jks', 'type': 'JKS', 'password': 'Internal-Secret-22',
                          'alias': 'internal', 'key_password': 'Internal-Secret-22'},
    'keystore.tls': {'file_name': 'tls.jks', 'type': 'JKS', 'password': 'Tls-Secret-33', 'alias': 'tls',
                     'key_password': 'Tls-Secret-33'},
    'truststore': {'file_name': 'client-truststore.jks', 'type': 'JKS', 'password': 'Trust-Secret-44'},
}
SECRETS = [v for table in KEYSTORE_TABLES.values() for k, v in table.items() if 'password' in k]


def _toml(name, path, table, **options):
    return {'name': name, 'carbon.keystores.toml_file': dict(path=str(path), table=table, **options)}


def _table_of_each_line(text):
    """For each line of ``text``, the dotted table it belongs to ('' for the root)."""
    owner = []
    current = ''
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith('[') and not stripped.startswith('#'):
            current = '.'.join(toml_edit.split_table_name(stripped.strip('[]').split(']')[0]))
        owner.append(current)
    return owner


@pytest.mark.parametrize('fixture', TOML_FIXTURES)
def test_keystore_tables_change_only_their_own_lines(tmp_path, fixture):
    path = tmp_path / 'deployment.toml'
    shutil.copyfile(FIXTURES / fixture, path)
    original = path.read_text()
    tasks = [_toml(table.replace('.', '_'), path, table, settings=settings) for table, settings in KEYSTORE_TABLES.items()]
    first = run_playbook(tmp_path, tasks, diff=True, verbosity=3)
    for task in tasks:
        assert not first[task['name']].get('failed'), pretty(first[task['name']])
    edited = path.read_text()
    data = tomlkit.parse(edited).unwrap()
    for table, settings in KEYSTORE_TABLES.items():
        node = data
        for part in table.split('.'):
            node = node[part]
        assert {k: node[k] for k in settings} == settings
    # Every line outside the four tables is byte for byte what it was, in the same order.
    before_lines, after_lines = original.splitlines(True), edited.splitlines(True)
    if not original.endswith('\n'):
        # A table appended to a file that ends without a newline ends that last line first (as
        # API Manager 4.2.0's shipped file does); its text is unchanged.
        before_lines[-1] += '\n'
    owners_after = _table_of_each_line(edited)
    owners_before = _table_of_each_line(original)
    matcher = difflib.SequenceMatcher(a=before_lines, b=after_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == 'equal':
            continue
        for j in range(j1, j2):
            near = {owners_after[j], owners_after[min(j + 1, len(owners_after) - 1)]}
            assert near & set(KEYSTORE_TABLES) or not after_lines[j].strip(), (fixture, after_lines[j])
        for i in range(i1, i2):
            assert owners_before[i] in KEYSTORE_TABLES, (fixture, before_lines[i])
    # Each table we added is separated from its neighbours by exactly one blank line.
    lines = edited.splitlines()
    added = [t for t in KEYSTORE_TABLES if '[%s]' % t not in original.splitlines()]
    for table in added:
        index = lines.index('[%s]' % table)
        assert index == 0 or (lines[index - 1] == '' and (index < 2 or lines[index - 2] != '')), (fixture, table)
        end = index + 1
        while end < len(lines) and lines[end].strip() and not lines[end].startswith('['):
            end += 1
        assert end == len(lines) or (lines[end] == '' and (end + 1 == len(lines) or lines[end + 1] != '')), \
            (fixture, table, 'not followed by exactly one blank line')
    second = run_playbook(tmp_path, tasks)
    for task in tasks:
        assert second[task['name']]['changed'] is False, pretty(second[task['name']])
    assert path.read_text() == edited
    for secret in SECRETS:
        assert secret not in first.output, 'a password reached the output at -vvv --diff'
    assert '********' in first.output


@pytest.mark.parametrize('fixture,expected,table,settings', [
    ('apim-latest.deployment.toml', 'apim-add-primary.toml', 'keystore.primary',
     {'file_name': 'primary.jks', 'type': 'JKS', 'password': 'Primary-Pass-1', 'alias': 'apim',
      'key_password': 'Primary-Pass-1'}),
    ('mi-1.2-dev.deployment.toml', 'mi-change-password.toml', 'keystore.tls',
     {'password': 'Tls-Pass-2', 'key_password': 'Tls-Pass-2'}),
    ('is-latest.deployment.toml', 'is-add-internal.toml', 'keystore.internal',
     {'file_name': 'internal.jks', 'type': 'JKS', 'password': 'Internal-Pass-3', 'alias': 'internal',
      'key_password': 'Internal-Pass-3'}),
])
def test_byte_exact_results(tmp_path, fixture, expected, table, settings):
    path = tmp_path / 'deployment.toml'
    shutil.copyfile(FIXTURES / fixture, path)
    run = run_playbook(tmp_path, [_toml('edit', path, table, settings=settings)])
    assert run['edit']['changed'], pretty(run['edit'])
    assert path.read_bytes() == (EXPECTED / expected).read_bytes()


def test_invalid_toml_names_line_and_column_and_leaves_the_file(tmp_path):
    duplicate = tmp_path / 'duplicate.toml'
    duplicate.write_text('[keystore.primary]\nfile_name = "a.jks"\n\n[truststore]\npassword = "x"\n\n'
                         '[keystore.primary]\nalias = "b"\n')
    syntax = tmp_path / 'syntax.toml'
    syntax.write_text('[server]\nhostname = = "localhost"\n')
    binary = tmp_path / 'latin1.toml'
    binary.write_bytes('[server]\nhostname = "caf\u00e9"\n'.encode('latin-1'))
    digests = {p: sha256_file(p) for p in (duplicate, syntax, binary)}
    settings = {'password': 'Never-Shown-55'}
    run = run_playbook(tmp_path, [
        _toml('duplicate', duplicate, 'keystore.tls', settings=settings),
        _toml('syntax', syntax, 'keystore.tls', settings=settings),
        _toml('binary', binary, 'keystore.tls', settings=settings),
        _toml('missing', tmp_path / 'missing.toml', 'keystore.tls', settings=settings),
    ], diff=True, verbosity=3)
    assert run['duplicate']['failed'] and 'line 7, column 1' in run['duplicate']['msg'], run['duplicate']['msg']
    assert 'table [keystore.primary] is defined a second time' in run['duplicate']['msg'] and str(duplicate) in run['duplicate']['msg']
    assert run['syntax']['failed'] and 'line 2, column' in run['syntax']['msg'], run['syntax']['msg']
    assert run['binary']['failed'] and 'not valid UTF-8 at line 2, column 16' in run['binary']['msg'], run['binary']['msg']
    assert run['missing']['failed'] and 'set create to true' in run['missing']['msg']
    assert not (tmp_path / 'missing.toml').exists()
    for path, digest in digests.items():
        assert sha256_file(path) == digest
    assert 'Never-Shown-55' not in run.output


def test_array_of_tables_keys_removal_create_check_mode_and_backup(tmp_path):
    path = tmp_path / 'deployment.toml'
    shutil.copyfile(FIXTURES / 'apim-latest.deployment.toml', path)
    created = tmp_path / 'new' / 'ei.toml'
    created.parent.mkdir()
    check = run_playbook(tmp_path, [_toml('check', path, 'keystore.primary', settings={'file_name': 'x.jks'})],
                         check=True)
    assert check['check']['changed'] and path.read_bytes() == (FIXTURES / 'apim-latest.deployment.toml').read_bytes()
    run = run_playbook(tmp_path, [
        _toml('gateway_env', path, 'apim.gateway.environment', match={'name': 'Default'},
              settings={'display_in_api_console': False}),
        _toml('no_match_given', path, 'apim.gateway.environment', settings={'x': 1}),
        _toml('remove_key', path, 'keystore.tls', state='absent', keys=['alias'], backup=True),
        _toml('remove_table', path, 'database.shared_db', state='absent'),
        _toml('create', created, 'keystore.tls', create=True, settings={'file_name': 'wso2carbon.jks', 'port': 9443,
                                                                        'enabled': True, 'protocols': ['TLSv1.3']}),
    ])
    assert run['gateway_env']['changed'] and not run['no_match_given'].get('changed')
    assert 'give match' in run['no_match_given']['msg']
    data = tomlkit.parse(path.read_text()).unwrap()
    assert data['apim']['gateway']['environment'][0]['display_in_api_console'] is False
    assert 'alias' not in data['keystore']['tls'] and 'shared_db' not in data['database']
    assert Path(run['remove_key']['backup_file']).read_text().splitlines().count('alias =  "wso2carbon"') == 1
    assert path.read_text().splitlines().count('alias =  "wso2carbon"') == 0
    assert oct(created.stat().st_mode & 0o777) == '0o600'
    assert created.read_text() == ('[keystore.tls]\nfile_name = "wso2carbon.jks"\nport = 9443\nenabled = true\n'
                                   'protocols = ["TLSv1.3"]\n')
    assert 'display_in_api_console = false' in path.read_text()
