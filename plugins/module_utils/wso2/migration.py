# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moving a node's JKS stores to PKCS12: the new files and tables, and what must hold afterwards."""

from __future__ import annotations

import base64
import posixpath

from ansible_collections.carbon.keystores.plugins.module_utils.wso2.node import NodeRead
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products, purposes as registry, vault


def pkcs12_migration(info, product):
    """What moving a node from JKS to PKCS12 takes, from product_info (read with return_secrets):
    {JKS path: {src, dest, password, key_password, purposes}} and the tables to point at the new files.

    Each JKS store a purpose reads becomes <name>.p12 beside it; a table the file configures gets the
    new file_name (in its style) and type PKCS12. A purpose the product finds by its default file name
    (the JKS file's) gets a table naming the twin; one that follows another purpose by $ref{} follows it
    to the twin."""
    purposes = info.get('purposes') or {}
    secrets = info.get('secrets') or {}
    profile = NodeRead(info).profile(product)
    stores: dict[str, dict] = {}
    tables: dict[str, dict] = {}
    for purpose in registry.MIGRATED_PURPOSES:
        described = purposes.get(purpose)
        if not described or described.get('keystore_status') != 'ok' or profile.hard_codes(purpose):
            # a store the product's templates name whatever the file says (Micro Integrator 1.2's internal one) stays
            continue
        path = described['path']
        if (info.get('keystores') or {}).get(path, {}).get('type') != 'jks':
            continue
        base = path.rsplit('/', 1)[-1]
        new_base = (base[:-4] if base.lower().endswith('.jks') else base) + '.p12'
        store = stores.setdefault(path, {'src': path, 'dest': path[:-len(base)] + new_base, 'purposes': [],
                                         'password': (secrets.get(purpose) or {}).get('password'),
                                         'key_password': (secrets.get(purpose) or {}).get('key_password')})
        store['purposes'].append(purpose)
        if described.get('configured_in_file'):
            tables[described['table']] = {'file_name': products.file_name_for(profile, described.get('file_name'),
                                                                              new_base),
                                          'type': 'PKCS12'}
        elif not str(profile.defaults.get('%s.file_name' % described['table'], '')).startswith('$ref{'):
            tables[described['table']] = {'file_name': products.file_name_for(profile, None, new_base), 'type': 'PKCS12'}
            if purpose == 'truststore':
                tables[described['table']]['password'] = store['password']
    return {'stores': stores, 'tables': tables}


def vault_properties(info, twins):
    """The secure vault's secret-conf.properties as the migration leaves it (a computed write item), or None: where
    its keystore (keystore.identity.location, absolute or relative to the home) is a JKS store the migration converts
    (``twins``: {JKS path: PKCS12 path}), it names the twin, as the flow's own vault step would name the internal
    keystore after the migration; the twin holds the same key, so every [secrets] value still decrypts."""
    home = str(info['home']).rstrip('/')
    path = vault.properties_path(home, info['config_file'])
    content = ((info.get('contents') or {}).get(path) or {}).get('content')
    if not content:
        return None
    text = base64.b64decode(content).decode('utf-8')
    current = vault.parse_properties(text)
    location = current.get('keystore.identity.location', '')
    keystore = posixpath.normpath(posixpath.join(home, location)) if location else None
    node = NodeRead(info)
    # the vault's key is the internal keystore's: a twin made for the truststore of the same file (Enterprise
    # Integrator's wso2carbon.jks) is not it, nor is one of a store the release hard-codes
    if keystore != node.described('internal').get('path') or node.hard_codes('internal'):
        return None
    twin = twins.get(keystore)
    if not twin:
        return None
    new_text, _changes = vault.plan_properties(text, dict(current, **{'keystore.identity.location': twin,
                                                                      'keystore.identity.type': 'PKCS12'}))
    if new_text is None:
        return None
    return {'path': path, 'owner_like': info['config_file'],
            'result': {'changed': True, 'content': base64.b64encode(new_text.encode('utf-8')).decode('ascii'),
                       'shown_diff': {'before': text, 'after': new_text}}}  # no secret: names and locations only


def migration_problems(before, after):
    """Purposes that do not read, after the migration, a PKCS12 store holding what they read before
    (the same key pair; for the truststore, the same certificates)."""
    problems = []
    for purpose in registry.MIGRATED_PURPOSES:
        old = (before.get('purposes') or {}).get(purpose)
        new = (after.get('purposes') or {}).get(purpose)
        # a store the release hard-codes (Micro Integrator 1.2's internal one) is not the migration's
        if not old or not new or NodeRead(before).hard_codes(purpose):
            continue
        old_store = NodeRead(before).store(old.get('path'))
        new_store = NodeRead(after).store(new.get('path'))
        if new_store.get('status') != 'ok' or new_store.get('type') != 'pkcs12':
            problems.append('%s (%s is not a PKCS12 store it can open)' % (purpose, new.get('path')))
        elif purpose != 'truststore' and old.get('fingerprint_sha256') != new.get('fingerprint_sha256'):
            problems.append('%s (another key)' % purpose)
        elif _fingerprints(old_store) != _fingerprints(new_store):
            problems.append('%s (other entries)' % purpose)
    return problems


def _fingerprints(store):
    return sorted((entry.get('alias'), entry.get('fingerprint_sha256')) for entry in store.get('entries') or [])
