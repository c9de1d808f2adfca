# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the ``keystore_convert`` module does: copy every entry of a keystore into a file of
another type (JKS to PKCS12, for Identity Server 7.1's move), with the same aliases, entries
and passwords; the source stays as it is."""

from __future__ import annotations

import datetime

from ansible_collections.carbon.keystores.plugins.module_utils.errors import RequestError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import inspection
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import dump_keystore, load_keystore
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.model import (
    PRIVATE_KEY, TRUSTED_CERTIFICATE, Keystore,
)
from ansible_collections.carbon.keystores.plugins.module_utils.outcome import Outcome
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates

ARGUMENT_SPEC = dict(
    src=dict(type='path', required=True),
    path=dict(type='path', required=True),
    type=dict(type='str', required=True, choices=['jks', 'pkcs12']),
    password=dict(type='str', required=True, no_log=True),
    key_password=dict(type='str', no_log=True),
    pkcs12_encryption=dict(type='str', choices=['modern', 'legacy']),
    backup=dict(type='bool', default=False),
    read_from=dict(type='dict', no_log=True),
    in_memory=dict(type='bool', default=False),
    content=dict(type='str', no_log=True),
)
SPEC_RULES: dict[str, list] = {}


def entry_summary(store):
    """[(alias, kind, SHA-256 of the certificate)] in alias order: what must be equal on both sides."""
    return sorted((entry.alias, entry.kind, certificates.fingerprint(entry.certificate)) for entry in store)


def run(source, current, params, source_name, name, now=None):
    """``source``: bytes of the keystore to convert; ``current``: bytes at the destination or None."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if source is None:
        raise RequestError('%s does not exist; src must name the keystore to convert.' % source_name)
    key_passwords = [p for p in [params.get('key_password')] if p]
    original = load_keystore(source, params['password'], source_name, key_passwords=key_passwords)
    wanted_type = params['type']
    converted = Keystore(wanted_type)
    for entry in original:
        if entry.kind == PRIVATE_KEY and entry.pkcs8 is None:
            raise RequestError('%s: the key of entry %r does not open with the store password or key_password, so it '
                               'cannot be converted; give its key password.' % (source_name, entry.alias))
        if entry.kind not in (PRIVATE_KEY, TRUSTED_CERTIFICATE):
            kind = entry.kind.replace('_', ' ')
            raise RequestError('%s: entry %r is a %s entry, which %s keystores written here cannot hold; convert by '
                               'hand with keytool -importkeystore.' % (source_name, entry.alias, kind, wanted_type.upper()))
        converted.put(entry)
    wanted = entry_summary(converted)
    result = {'path': name, 'src': source_name, 'type': wanted_type, 'source_type': original.store_type,
              'entries': [{'alias': alias, 'kind': kind, 'fingerprint_sha256': fingerprint}
                          for alias, kind, fingerprint in wanted]}
    diff = {'before': '', 'after': inspection.diff_text(converted, now),
            'before_header': '%s (entries)' % name, 'after_header': '%s (entries)' % name}
    if current is not None:
        existing = load_keystore(current, params['password'], name, wanted_type, key_passwords=key_passwords)
        if entry_summary(existing) == wanted:
            result['changes'] = []
            return Outcome(False, None, result, dict(diff, before=diff['after']))
        raise RequestError('%s already exists and holds other entries than %s; remove it or choose another path. '
                           'Nothing was written.' % (name, source_name))
    result['changes'] = ['wrote %d entr%s of %s as a %s keystore' % (
        len(wanted), 'y' if len(wanted) == 1 else 'ies', source_name, wanted_type.upper())]
    data = dump_keystore(converted, params['password'], wanted_type, params.get('pkcs12_encryption'))
    return Outcome(True, data, result, diff)
