"""toml/edit.apply_edit on its own: each kind of edit changes exactly what it says and keeps every other
byte; bad input is refused with the line and column. The expected texts are written out by hand here,
from TOML's rules and WSO2's file style, not taken from the editor."""

from __future__ import annotations

import pytest

from ansible_collections.carbon.keystores.plugins.module_utils.errors import TomlEditError
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import toml_file
from ansible_collections.carbon.keystores.plugins.module_utils.toml import edit as toml_edit
from helpers import FIXTURES
from homes import params

BASE = '''# WSO2 style
[server]
hostname = "localhost"   # the host name

[keystore.tls]
file_name =  "wso2carbon.jks"
password =  "wso2carbon"

[[apim.gateway.environment]]
name = "Default"
type = "hybrid"

[[apim.gateway.environment]]
name = "Other"
type = "production"
'''

CASES = {
    'a changed value keeps the key, its spacing and the comment': (
        toml_edit.Edit('server', settings={'hostname': 'is.example.org'}),
        BASE.replace('hostname = "localhost"   # the host name', 'hostname = "is.example.org"   # the host name'),
        ['set hostname in [server]']),
    'a new key joins its table in the style of its neighbours': (
        toml_edit.Edit('keystore.tls', settings={'alias': 'wso2is'}),
        BASE.replace('password =  "wso2carbon"\n', 'password =  "wso2carbon"\nalias =  "wso2is"\n'),
        ['added alias to [keystore.tls]']),
    'a new table goes after its siblings with a blank line around it': (
        toml_edit.Edit('keystore.internal', settings={'file_name': 'internal.jks', 'type': 'JKS'}),
        BASE.replace('password =  "wso2carbon"\n', 'password =  "wso2carbon"\n\n[keystore.internal]\n'
                     'file_name =  "internal.jks"\ntype =  "JKS"\n'),
        ['added table [keystore.internal]', 'added file_name to [keystore.internal]',
         'added type to [keystore.internal]']),
    'a removed key takes its line': (
        toml_edit.Edit('keystore.tls', remove_keys=['password']),
        BASE.replace('password =  "wso2carbon"\n', ''),
        ['removed password from [keystore.tls]']),
    'a key asked to be removed twice is removed once (a fuzzer found the self-check refusing it)': (
        toml_edit.Edit('keystore.tls', remove_keys=['password', 'password']),
        BASE.replace('password =  "wso2carbon"\n', ''),
        ['removed password from [keystore.tls]']),
    'a removed table takes one blank line with it': (
        toml_edit.Edit('keystore.tls', remove_table=True),
        BASE.replace('[keystore.tls]\nfile_name =  "wso2carbon.jks"\npassword =  "wso2carbon"\n\n', ''),
        ['removed table [keystore.tls]']),
    'an element of an array of tables is chosen by match': (
        toml_edit.Edit('apim.gateway.environment', settings={'type': 'hybrid'}, match={'name': 'Other'}),
        BASE.replace('type = "production"', 'type = "hybrid"'),
        ['set type in [apim.gateway.environment]']),
    'a value already there changes nothing at all': (
        toml_edit.Edit('keystore.tls', settings={'file_name': 'wso2carbon.jks'}),
        BASE, []),
    'a value of another type is rewritten in its own type': (
        toml_edit.Edit('server', settings={'hostname': 8}),
        BASE.replace('"localhost"', '8'), ['set hostname in [server]']),
    'a dotted key is written as one': (
        toml_edit.Edit('keystore.tls', settings={'x.y': True}),
        BASE.replace('password =  "wso2carbon"\n', 'password =  "wso2carbon"\nx.y =  true\n'),
        ['added x.y to [keystore.tls]']),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_an_edit_changes_exactly_what_it_says(case):
    edit, expected, changes = CASES[case]
    text, made = toml_edit.apply_edit(BASE, edit, 'deployment.toml')
    assert text == expected
    assert made == changes


@pytest.mark.parametrize('text, edit, pattern', [
    ('[a]\nb = \n', toml_edit.Edit('a', settings={'b': 1}), r'not valid TOML at line 2, column \d+'),
    ('[a]\nx = 1\n[a]\ny = 2\n', toml_edit.Edit('a', settings={'x': 2}),
     r'not valid TOML at line 3, column 1: the table \[a\] is defined a second time'),
    ('a.b = 1\n', toml_edit.Edit('a', settings={'c': 2}), r'table \[a\] is defined without its own header'),
    ('a = 1\n', toml_edit.Edit('a', settings={'c': 2}), r'a is a value, not a table'),
    (BASE, toml_edit.Edit('apim.gateway.environment', settings={'type': 'x'}),
     r'is an array of tables; give match'),
    (BASE, toml_edit.Edit('server', settings={'x': 1}, match={'name': 'y'}), r'match only applies to \[\[\.\.\.\]\]'),
])
def test_bad_input_is_refused_naming_where(text, edit, pattern):
    with pytest.raises(TomlEditError, match=pattern):
        toml_edit.apply_edit(text, edit, 'deployment.toml')


def test_bytes_that_are_not_utf8_are_refused_with_line_and_column():
    with pytest.raises(TomlEditError, match=r'not valid UTF-8 at line 2, column 6'):
        toml_edit.decode(b'[a]\nb = "\xe9"\n', 'deployment.toml')


def test_secret_values_are_masked_in_what_a_diff_shows():
    masked = toml_edit.mask_secrets('password = "s3cret" # keep\nkey_password="x"\nalias = "a"\n')
    assert masked == 'password = "********" # keep\nkey_password="********"\nalias = "a"\n'


@pytest.mark.parametrize('fixture', sorted(p.name for p in FIXTURES.glob('*.toml')))
def test_the_toml_file_task_keeps_every_other_byte_of_wso2s_files(fixture):
    original = (FIXTURES / fixture).read_bytes()
    tables = {'keystore.tls': {'file_name': 'new.jks', 'password': 'Pass-Word-1'},
              'keystore.internal': {'alias': 'wso2carbon'}}
    outcome = toml_file.run(original, params(toml_file, path=fixture, tables=tables), fixture)
    assert outcome.changed
    written = outcome.data.decode()
    before = toml_edit.parse(original.decode(), fixture).unwrap()
    after = toml_edit.parse(written, fixture).unwrap()
    for table, settings in tables.items():
        section, name = table.split('.')
        before.setdefault(section, {}).setdefault(name, {}).update(settings)
    assert after == before
    # every line of the original is still there, in order
    lines = iter(written.splitlines())
    assert all(any(line == kept for kept in lines) for line in original.decode().splitlines()
               if not line.startswith(('file_name', 'password')))
    assert 'Pass-Word-1' not in outcome.diff['after'] and 'Pass-Word-1' in toml_file.secret_values(
        params(toml_file, path=fixture, tables=tables))
    again = toml_file.run(outcome.data, params(toml_file, path=fixture, tables=tables), fixture)
    assert not again.changed and again.data is None


def test_the_toml_file_task_creates_only_when_asked():
    with pytest.raises(TomlEditError, match='does not exist; set create to true'):
        toml_file.run(None, params(toml_file, path='x.toml', table='a', settings={'b': 1}), 'x.toml')
    created = toml_file.run(None, params(toml_file, path='x.toml', table='a', settings={'b': 1}, create=True), 'x.toml')
    assert created.changed and created.data == b'[a]\nb = 1\n'
    with pytest.raises(TomlEditError, match='cannot be used with state=absent'):
        toml_file.run(b'', params(toml_file, path='x.toml', tables={'a': {'b': 1}}, state='absent'), 'x.toml')


@pytest.mark.parametrize('text, expected', [
    ('[server]\nx = 1\n\n[keystore.tls]\na = 1\n', '[server]\nx = 1\n'),                 # keystore was implicit
    ('[keystore]\n\n[keystore.tls]\na = 1\n', '[keystore]\n'),                            # [keystore] has a header
    ('[keystore.tls]\na = 1\n\n[keystore.primary]\nb = 2\n', '[keystore.primary]\nb = 2\n'),  # a sibling stays
])
def test_removing_the_last_sub_table_removes_an_implicit_parent_only(text, expected):
    new_text, changes = toml_edit.apply_edit(text, toml_edit.Edit('keystore.tls', remove_table=True), 'x.toml')
    assert (new_text, changes) == (expected, ['removed table [keystore.tls]'])
