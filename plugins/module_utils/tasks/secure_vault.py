# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the ``secure_vault`` module does: the ``[secrets]`` of a product's configuration and its
secret-conf.properties, as WSO2's cipher tool leaves them (wso2/vault.py), computed on the controller."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.errors import RequestError
from ansible_collections.carbon.keystores.plugins.module_utils.outcome import Outcome
from ansible_collections.carbon.keystores.plugins.module_utils.toml import edit as toml_edit
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import home as wso2_home
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products, vault
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import cipher

ARGUMENT_SPEC = dict(
    product=dict(type='str', required=True, choices=list(products.PRODUCTS)),
    home=dict(type='path', required=True),
    version=dict(type='str'),
    secrets=dict(type='dict', required=True, no_log=True),
    keystore_password=dict(type='str', required=True, no_log=True),
    key_password=dict(type='str', no_log=True),
    transformation=dict(type='str', default=cipher.PKCS1, choices=list(cipher.TRANSFORMATIONS)),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    force=dict(type='bool', default=False),
    in_memory=dict(type='bool', default=False),
    content=dict(type='str', no_log=True),
    path=dict(type='path'),
    keystore_content=dict(type='str', no_log=True),
    properties_content=dict(type='str', no_log=True),
    cipher_text_content=dict(type='str', no_log=True),
)
SPEC_RULES = dict(required_if=[('in_memory', True, ('content', 'path', 'keystore_content'))])


def secret_values(params):
    """The plaintexts of ``secrets``: masked wherever they could be echoed (no_log covers the dict itself)."""
    return {str(value) for value in (params.get('secrets') or {}).values() if value}


def run(params, home, config_path, config_bytes, read_keystore, properties_bytes, exists=lambda folder, name: False,
        read_relative=None, cipher_text_bytes=None):
    """``read_keystore(path)``: the bytes of the internal keystore, or None; ``properties_bytes``: those of
    secret-conf.properties, ``cipher_text_bytes`` those of cipher-text.properties (None: absent). ``exists(folder,
    name)``: whether the security folder holds a file of that name, ``read_relative(path under the home)``: a file's
    bytes or None (both for a home without version).

    Returns an Outcome whose ``files`` are the files that change (the configuration, secret-conf.properties, and
    cipher-text.properties where the product's config tool does not render it), each with its new bytes; ``data`` is
    None: the files are written together, by the action plugin."""
    text = toml_edit.decode(config_bytes, config_path)
    data = toml_edit.parse(text, config_path).unwrap()
    profile = products.profile_for(params['product'], params.get('version'))
    if not params.get('version'):
        profile = products.profile_for_home(params['product'], data, exists, read_relative)
    file_keys = products.file_settings(data)
    settings = products.effective_settings(profile, data)
    internal, values = wso2_home.purpose_settings(profile, home, settings, file_keys, 'internal')
    keystore_path = internal.get('path')
    keystore_bytes = read_keystore(keystore_path) if keystore_path else None
    if keystore_bytes is None:
        raise RequestError('The internal keystore %s, whose key encrypts the secure vault, does not exist.'
                           % (keystore_path or '([keystore.internal] names no file)'))
    key = vault.InternalKey(keystore_bytes, keystore_path, values.get('alias'), params['keystore_password'],
                            params.get('key_password'))

    current = data.get(vault.SECRETS_TABLE) or {}
    if not isinstance(current, dict):
        raise RequestError('%s: secrets is not a table.' % config_path)
    wanted = dict(params['secrets'])
    transformation = params['transformation']
    settings_, removals, changes = vault.plan_secrets(current, wanted, params['state'], key, transformation,
                                                      params.get('force'), config_path)
    new_text = text
    if settings_:
        new_text, _edited = toml_edit.apply_edit(new_text, toml_edit.Edit(vault.SECRETS_TABLE, settings=settings_),
                                                 config_path)
    if removals:
        emptied = not set(current) - set(removals) and not settings_
        edit = toml_edit.Edit(vault.SECRETS_TABLE, remove_table=emptied, remove_keys=[] if emptied else removals)
        new_text, _edited = toml_edit.apply_edit(new_text, edit, config_path)

    relative = vault.config_folder(home, config_path)
    conf_path = vault.properties_path(home, config_path)
    wanted_conf = vault.secret_conf(keystore_path, key.store_type, key.alias,
                                    '%s/security/%s' % (relative, vault.CIPHER_TEXT_FILE), transformation)
    properties_text = properties_bytes.decode('utf-8') if properties_bytes is not None else None
    new_properties, property_changes = (None, []) if params['state'] == 'absent' else vault.plan_properties(
        properties_text, wanted_conf)

    files = {}
    if new_text != text:
        files[config_path] = new_text.encode('utf-8')
    if new_properties is not None:
        files[conf_path] = new_properties.encode('utf-8')
        changes.extend('%s: %s' % (conf_path, change) for change in property_changes)
    after = data if new_text == text else toml_edit.parse(new_text, config_path).unwrap()
    cipher_text_path = None
    if not profile.renders_cipher_text:
        cipher_text_path = vault.cipher_text_path(home, config_path)
        new_cipher_text, cipher_text_changes = vault.plan_cipher_text(
            cipher_text_bytes.decode('utf-8', 'replace') if cipher_text_bytes is not None else None,
            after.get(vault.SECRETS_TABLE) or {}, removals, key, transformation)
        if new_cipher_text is not None:
            files[cipher_text_path] = new_cipher_text.encode('utf-8')
            changes.extend('%s: %s' % (cipher_text_path, change) for change in cipher_text_changes)
    result = {
        'config_file': config_path,
        'properties_file': conf_path,
        'cipher_text_file': cipher_text_path,
        'internal_keystore': {'path': keystore_path, 'alias': key.alias, 'fingerprint_sha256': key.fingerprint},
        'transformation': transformation,
        'aliases': sorted((after.get(vault.SECRETS_TABLE) or {}).keys()),
        'references': {alias: vault.reference(alias) for alias in sorted(wanted)} if params['state'] == 'present'
        else {},
        'changes': changes,
    }
    diff = {'before': vault.mask_secrets_table(toml_edit.mask_secrets(text)),
            'after': vault.mask_secrets_table(toml_edit.mask_secrets(new_text)),
            'before_header': config_path, 'after_header': config_path}
    return Outcome(bool(files), None, result, diff=diff,
                   files=[{'path': path, 'data': content, 'mode': None, 'location': 'host'}
                          for path, content in files.items()])
