# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One key pair per product cluster (WSO2: every node of a product uses the same TLS keystore).

Given what product_info found on every node, decide what the flow does: keep the key the
nodes agree on, generate one key for all when they still carry the pack's default, or copy
the key from the nodes that have it to those that do not. Nodes that disagree stop the run,
unless the operator names the node whose keystore wins. The fleet is the only state."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.errors import ClusterError
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products


def node_state(info, purpose):
    """('proper', fingerprint) / ('default', None) / ('unknown', reason) for one node's server keystore."""
    described = (info.get('purposes') or {}).get(purpose) or {}
    state = described.get('password_state', '')
    if state.startswith('unknown'):
        return 'unknown', 'its password cannot be read back (%s)' % state[len('unknown: '):]
    if state == 'default' or described.get('keystore_status') in ('missing', None):
        return 'default', None
    if described.get('keystore_status') != 'ok' or not described.get('fingerprint_sha256'):
        return 'broken', 'its %s keystore %s cannot be used (%s)' % (
            purpose, described.get('path'), described.get('keystore_status'))
    return 'proper', described['fingerprint_sha256']


def plan(infos, purpose, source_node=None, new_keystore=None):
    """``infos``: {host: product_info result}. Returns a dict the flow acts on:

    action: 'keep' | 'generate' | 'copy'; source: the node to copy from; fingerprint and
    certificate_pem of the cluster's key when known; path (relative to the home), type and alias
    of the cluster's keystore file; needs: the nodes that do not have the cluster's key yet.

    ``new_keystore``: {file_name, type, alias} of the keystore to generate when there is none
    (its path is in the security folder)."""
    states = {host: node_state(info, purpose) for host, info in sorted(infos.items())}
    blocked = {host: reason for host, (state, reason) in states.items() if state in ('unknown', 'broken')}
    if blocked:
        raise ClusterError('Cannot decide the cluster\'s keystore: %s. Fix these nodes or their configuration first; '
                           'nothing was changed.' % '; '.join('%s: %s' % item for item in blocked.items()))
    proper = {host: fingerprint for host, (state, fingerprint) in states.items() if state == 'proper'}
    if source_node:
        if source_node not in infos:
            raise ClusterError('The node named to win (%s) is not in this run; run it with that node.' % source_node)
        if source_node not in proper:
            raise ClusterError('The node named to win (%s) has no usable keystore of its own (it carries the pack\'s '
                               'default or none).' % source_node)
        winners = {source_node: proper[source_node]}
    else:
        winners = proper
    fingerprints = sorted(set(winners.values()))
    if len(fingerprints) > 1:
        groups = {}
        for host, fingerprint in sorted(proper.items()):
            groups.setdefault(fingerprint, []).append(host)
        raise ClusterError('The nodes disagree on their TLS keystore: %s. WSO2 needs one keystore on every node of a '
                           'product; name the node whose keystore wins in the role\'s keystore_source_node variable. '
                           'Nothing was changed.' % '; '.join('%s has %s' % (', '.join(hosts), fingerprint[:23] + '...')
                                                              for fingerprint, hosts in groups.items()))
    if not fingerprints:
        new_keystore = new_keystore or {}
        file_name = new_keystore.get('file_name')
        return {'action': 'generate', 'source': None, 'fingerprint': None, 'certificate_pem': None,
                'path': '%s/%s' % (products.SECURITY_DIR, file_name) if file_name else None,
                'type': new_keystore.get('type'), 'alias': new_keystore.get('alias'), 'needs': sorted(infos)}
    fingerprint = fingerprints[0]
    source = source_node or sorted(host for host, value in proper.items() if value == fingerprint)[0]
    described = infos[source]['purposes'][purpose]
    needs = sorted(host for host in infos if proper.get(host) != fingerprint)
    home = infos[source]['home'].rstrip('/') + '/'
    relative = described['path'][len(home):] if described['path'].startswith(home) else None
    if needs and relative is None:
        raise ClusterError('The keystore of %s (%s) is outside its product home, so it cannot be copied to the other '
                           'nodes; move it into %s first.' % (source, described['path'], products.SECURITY_DIR))
    return {'action': 'copy' if needs else 'keep', 'source': source, 'fingerprint': fingerprint,
            'certificate_pem': described.get('certificate_pem'), 'path': relative, 'type': described.get('type'),
            'alias': described.get('alias'), 'needs': needs}


def rotation_plan(current, stamp, hosts):
    """The plan of a key rotation for a cluster whose nodes share ``current`` (a 'keep' plan): one new key
    pair, generated once, in a new file named after the alias and ``stamp``, for every node in ``hosts``;
    trusted under its own alias (so the old certificate stays trusted until the last node switched)."""
    if current.get('action') != 'keep':
        raise ClusterError('The nodes do not all serve one keystore of their own yet (the product flow would %s for '
                           '%s); run the product\'s playbook first. Nothing was changed.'
                           % (current.get('action'), ', '.join(current.get('needs') or [])))
    store_type = str(current.get('type') or 'JKS').upper()
    alias = current['alias']
    return {'action': 'generate', 'source': None, 'fingerprint': None, 'certificate_pem': None,
            'path': '%s/%s-%s.%s' % (products.SECURITY_DIR, alias, stamp, 'p12' if store_type == 'PKCS12' else 'jks'),
            'type': store_type, 'alias': alias, 'trust_alias': '%s-%s' % (alias, stamp), 'needs': sorted(hosts),
            'old_fingerprint': current['fingerprint']}


def server_tables(info):
    """The tables that hold the server's key pair on this node: [keystore.primary] (when the product has
    one) and [keystore.tls] wherever the file or the product reads it from its own table."""
    purposes = info.get('purposes') or {}
    tables = []
    if 'primary' in purposes:
        tables.append('keystore.primary')
    tls = purposes.get('tls')
    if tls is not None and (tls.get('configured_in_file') or 'primary' not in purposes):
        tables.append('keystore.tls')
    return tables


def file_name(info, product, base_name, table):
    """file_name to write into ``table`` for ``base_name``: in the style that table already uses in the
    node's file (Micro Integrator ships a bare name in [keystore.tls] but reads [keystore.primary]
    relative to the home), else in the product's style."""
    profile = products.profile_for(product)
    purpose = next(name for name, dotted in products.TABLES.items() if dotted == table)
    described = (info.get('purposes') or {}).get(purpose) or {}
    existing = described.get('file_name') if described.get('configured_in_file') else None
    return products.file_name_for(profile, existing, base_name)


def wanted_tables(info, product, keystore, passwords, keep_internal=False, tenant_keystore_type=''):
    """{table: settings} the node's config must hold for the cluster's ``keystore`` (path relative
    to the home, type, alias) protected by ``passwords`` (keystore_password, key_password).

    ``keep_internal``: the node is moving off a keystore it used for everything, so that keystore
    first becomes [keystore.internal] (WSO2: data encrypted with it must stay readable)."""
    purposes = info.get('purposes') or {}
    tables = {}
    internal = purposes.get('internal')
    if keep_internal and internal and not internal.get('configured_in_file') and internal.get('keystore_status') == 'ok':
        secrets = (info.get('secrets') or {}).get('internal') or {}
        tables['keystore.internal'] = {
            'file_name': internal['file_name'],
            # the type of the file itself: a default the product would apply is not proof of what the file is
            'type': str(info['keystores'][internal['path']]['type']).upper(),
            'password': secrets.get('password'),
            'alias': internal['alias'],
            'key_password': secrets.get('key_password'),
        }
    base_name = keystore['path'].rsplit('/', 1)[-1]
    for table in server_tables(info):
        tables[table] = {
            'file_name': file_name(info, product, base_name, table),
            'type': str(keystore['type']).upper(),
            'password': passwords['keystore_password'],
            'alias': keystore['alias'],
            'key_password': passwords['key_password'],
        }
    if product == 'identity_server' and tenant_keystore_type:
        tables['keystore.tenant'] = {'type': str(tenant_keystore_type).upper()}
    return tables


def pending_tables(info, wanted):
    """The part of ``wanted`` ({table: {key: value}}) the node's config file does not hold yet, judged
    from product_info's ``config_tables`` (read with return_secrets). Only an exact match of value
    and type counts as done: anything else is left to toml_file, which decides for itself."""
    written = info.get('config_tables') or {}
    pending = {}
    for table, settings in wanted.items():
        current = written.get(table) or {}
        if any(key not in current or not _same_toml_value(current[key], value) for key, value in settings.items()):
            pending[table] = settings
    return pending


def _same_toml_value(written, wanted):
    """True when toml_file would leave ``written`` as it is for ``wanted`` (same TOML type and value)."""
    for kind in (bool, str, int, float):  # bool before int: True is an int in Python, not in TOML
        if isinstance(wanted, kind):
            return isinstance(written, kind) and (kind is bool or not isinstance(written, bool)) and written == wanted
    return False  # arrays and inline tables: let toml_file judge


MIGRATED_PURPOSES = ('primary', 'internal', 'tls', 'truststore')


def pkcs12_migration(info, product):
    """What moving a node from JKS to PKCS12 takes, from product_info (read with return_secrets):
    {JKS path: {dest, password, key_password, purposes}} and the tables to point at the new files.

    Each JKS store a purpose reads becomes <name>.p12 beside it; a table the file configures gets the
    new file_name (in its style) and type PKCS12. A purpose the product finds by its default file name
    (the JKS file's) gets a table naming the twin; one that follows another purpose by $ref{} follows it
    to the twin."""
    purposes = info.get('purposes') or {}
    secrets = info.get('secrets') or {}
    profile = products.profile_for(product)
    stores, tables = {}, {}
    for purpose in MIGRATED_PURPOSES:
        described = purposes.get(purpose)
        if not described or described.get('keystore_status') != 'ok':
            continue
        path = described['path']
        if (info.get('keystores') or {}).get(path, {}).get('type') != 'jks':
            continue
        base = path.rsplit('/', 1)[-1]
        new_base = (base[:-4] if base.lower().endswith('.jks') else base) + '.p12'
        store = stores.setdefault(path, {'dest': path[:-len(base)] + new_base, 'purposes': [],
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


def migration_problems(before, after):
    """Purposes that do not read, after the migration, a PKCS12 store holding what they read before
    (the same key pair; for the truststore, the same certificates)."""
    problems = []
    for purpose in MIGRATED_PURPOSES:
        old = (before.get('purposes') or {}).get(purpose)
        new = (after.get('purposes') or {}).get(purpose)
        if not old or not new:
            continue
        old_store = (before.get('keystores') or {}).get(old.get('path')) or {}
        new_store = (after.get('keystores') or {}).get(new.get('path')) or {}
        if new_store.get('status') != 'ok' or new_store.get('type') != 'pkcs12':
            problems.append('%s (%s is not a PKCS12 store it can open)' % (purpose, new.get('path')))
        elif purpose != 'truststore' and old.get('fingerprint_sha256') != new.get('fingerprint_sha256'):
            problems.append('%s (another key)' % purpose)
        elif _fingerprints(old_store) != _fingerprints(new_store):
            problems.append('%s (other entries)' % purpose)
    return problems


def _fingerprints(store):
    return sorted((entry.get('alias'), entry.get('fingerprint_sha256')) for entry in store.get('entries') or [])
