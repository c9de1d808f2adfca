# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the ``toml_file`` module does, as a pure function of the file's bytes and the parameters."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils import toml_edit
from ansible_collections.carbon.keystores.plugins.module_utils.model import Outcome


def secret_values(settings):
    """Values of secret-looking keys in ``settings``: masked everywhere they could be echoed."""
    found = set()
    for key, value in (settings or {}).items():
        if toml_edit.is_secret_key(str(key)) and value not in (None, ''):
            found.add(str(value))
    return found


def run(data, params, name):
    if data is None and not params.get('create'):
        raise toml_edit.TomlEditError('%s does not exist; set create to true to create it.' % name)
    text = toml_edit.decode(data, name) if data is not None else ''
    absent = params.get('state') == 'absent'
    keys = list(params.get('keys') or [])
    if absent and params.get('settings'):
        keys.extend(params['settings'])
    edit = toml_edit.Edit(
        params['table'],
        settings=None if absent else params.get('settings'),
        remove_keys=keys if absent else [],
        remove_table=absent and not keys,
        match=params.get('match'),
    )
    new_text, changes = toml_edit.apply_edit(text, edit, name)
    if data is None and not changes:
        new_text, changes = '', []
    changed = bool(changes) or (data is None and params.get('create') and not absent)
    if data is None and changed and not changes:
        changes = ['created the empty file']
    result = {'path': name, 'table': '.'.join(edit.path), 'changes': changes}
    diff = {'before': toml_edit.mask_secrets(text), 'after': toml_edit.mask_secrets(new_text),
            'before_header': name, 'after_header': name}
    return Outcome(changed, new_text.encode('utf-8') if changed else None, result, diff)
