# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the ``keystore_info`` module does: describe every entry of a keystore, with findings."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.errors import KeystoreError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import load_keystore
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.inspection import describe_store
from ansible_collections.carbon.keystores.plugins.module_utils.outcome import Outcome

ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    type=dict(type='str', choices=['jks', 'pkcs12']),
    password=dict(type='str', required=True, no_log=True),
    key_password=dict(type='str', no_log=True),
    expiry_warning_days=dict(type='int', default=30),
)
SPEC_RULES: dict[str, list] = {}


def run(data, params, name, now=None):
    """What the ``keystore_info`` module returns for the keystore held in ``data``."""
    if data is None:
        raise KeystoreError('Cannot open keystore %s: it does not exist.' % name)
    key_passwords = [params['key_password']] if params.get('key_password') else []
    store = load_keystore(data, params['password'], name, params.get('type'), key_passwords)
    entries, findings = describe_store(store, params['password'], params.get('expiry_warning_days'), now)
    result = {'path': name, 'type': store.store_type, 'entries': entries, 'findings': findings}
    if store.pkcs12_encryption:
        result['pkcs12_encryption'] = store.pkcs12_encryption
    return Outcome(False, None, result)
