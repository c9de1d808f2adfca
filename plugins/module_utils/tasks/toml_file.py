# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the ``toml_file`` module does, as a pure function of the file's bytes and the parameters."""

from __future__ import annotations

import re

from ansible_collections.carbon.keystores.plugins.module_utils.errors import TomlEditError
from ansible_collections.carbon.keystores.plugins.module_utils.outcome import Outcome
from ansible_collections.carbon.keystores.plugins.module_utils.toml import edit as toml_edit

ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    table=dict(type='str'),
    tables=dict(type='dict'),
    settings=dict(type='dict', default={}),
    keys=dict(type='list', elements='str', default=[], no_log=False),
    match=dict(type='dict'),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    create=dict(type='bool', default=False),
    backup=dict(type='bool', default=False),
    read_from=dict(type='dict', no_log=True),
    in_memory=dict(type='bool', default=False),
    content=dict(type='str', no_log=True),
)
# a name of ``tables`` that selects one element of an array of tables: keystore.custom[file_name=oauth.p12]
ELEMENT = re.compile(r'(.+)\[([A-Za-z0-9_-]+)=([^\]]+)\]')
SPEC_RULES = dict(
    required_one_of=[('table', 'tables')],
    mutually_exclusive=[('table', 'tables'), ('tables', 'match'), ('tables', 'keys')],
)


def secret_values(params):
    """Values of secret-looking keys in ``settings`` and ``tables``: masked everywhere they could be echoed."""
    found = set()
    all_settings = [params.get('settings') or {}] + list((params.get('tables') or {}).values())
    for settings in all_settings:
        for key, value in (settings or {}).items() if isinstance(settings, dict) else ():
            if toml_edit.is_secret_key(str(key)) and value not in (None, ''):
                found.add(str(value))
    return found


def _edits(params):
    absent = params.get('state') == 'absent'
    if params.get('tables') is not None:
        if absent:
            raise TomlEditError('tables sets keys of several tables; it cannot be used with state=absent '
                                '(remove tables one task each, with table).')
        edits = []
        for name, settings in params['tables'].items():
            if not isinstance(settings, dict):
                raise TomlEditError('tables.%s must be a dictionary of keys and values.' % name)
            element = ELEMENT.fullmatch(name)
            table, match = (element.group(1), {element.group(2): element.group(3)}) if element else (name, None)
            edits.append(toml_edit.Edit(table, settings=settings, match=match))
        return edits
    keys = list(params.get('keys') or [])
    if absent and params.get('settings'):
        keys.extend(params['settings'])
    return [toml_edit.Edit(
        params['table'],
        settings=None if absent else params.get('settings'),
        remove_keys=keys if absent else [],
        remove_table=absent and not keys,
        match=params.get('match'),
    )]


def run(data, params, name):
    if data is None and not params.get('create'):
        raise TomlEditError('%s does not exist; set create to true to create it.' % name)
    text = toml_edit.decode(data, name) if data is not None else ''
    edits = _edits(params)
    new_text, changes = text, []
    for edit in edits:
        new_text, edit_changes = toml_edit.apply_edit(new_text, edit, name)
        changes.extend(edit_changes)
    if data is None and not changes:
        new_text, changes = '', []
    absent = params.get('state') == 'absent'
    changed = bool(changes) or (data is None and params.get('create') and not absent)
    if data is None and changed and not changes:
        changes = ['created the empty file']
    result = {'path': name, 'changes': changes}
    if params.get('tables') is not None:
        result['tables'] = list(params['tables'])
    else:
        result['table'] = '.'.join(edits[0].path)
    diff = {'before': toml_edit.mask_secrets(text), 'after': toml_edit.mask_secrets(new_text),
            'before_header': name, 'after_header': name}
    return Outcome(changed, new_text.encode('utf-8') if changed else None, result, diff)
