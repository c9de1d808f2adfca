# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The keystore tables a node's configuration must hold for the cluster's keystores, which of them are pending, the
$secret{} references the secure vault puts in their place, and whether a node serves the cluster's keys."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.wso2.node import NodeRead
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import inspection
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import home, products, purposes as registry, vault, writes
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates


def unserved_keys(info, clusters):
    """Sentences for each cluster keystore purpose whose table, as ``info`` (product_info, read after the writes)
    describes the node, does not hold the cluster's key: its own keystore's (``clusters``: by purpose, each with its
    fingerprint), else the keystore of the purpose it follows. Empty when the node serves the cluster's keys."""
    purposes = NodeRead(info).purposes
    found = []
    for purpose in registry.CLUSTER_KEYSTORES:
        described = purposes.get(purpose.name)
        if described is None or not registry.read_from_own_table(purpose.name, described):
            continue
        own = registry.serving(purpose.name, clusters)
        wanted = clusters.get(own) or {}
        held = described.get('fingerprint_sha256') or ''
        if held != wanted.get('fingerprint'):
            found.append('[%s] names %s, whose key is %s, not the cluster\'s %s keystore (%s).' % (
                purpose.table, described.get('path') or 'no keystore', held or 'unknown',
                registry.label(own),
                wanted.get('fingerprint') or 'unknown'))
    return found


def verify_problems(before, after, clusters, keep_internal):
    """The flow's verdict after a change, as sentences (none when the node passes): ``after`` (product_info, read as
    the product will read the node) must serve the cluster's keys (unserved_keys), hold nothing that keeps the
    product from starting (home.blocking_findings) and, where the node keeps its internal keystore, the internal key
    ``before`` (the preflight's read) found: WSO2's internal key encrypts the product's data. A store an earlier run
    re-protected and stopped did not open for the preflight: its key is known only now."""
    problems = unserved_keys(after, clusters) + home.blocking_findings(after)
    was = NodeRead(before).described('internal').get('fingerprint_sha256')
    now = NodeRead(after).described('internal').get('fingerprint_sha256')
    if keep_internal and was and now != was:
        problems.append('The internal key changed: it was %s, it is %s; the product could no longer read the data '
                        'it encrypted.' % (was, now or 'none'))
    return problems


def server_tables(info, given=()):
    """{table: purpose of the cluster keystore it names}, in the registry's order: a follower's table
    ([keystore.primary], when the product reads one) names its own keystore when ``given`` holds its purpose, else
    the nearest one it follows that ``given`` holds (a follower whose table is written only when given one is left
    to its $ref{} unless the file has the table); a followed table ([keystore.tls]) is written wherever the file
    already configures it, the product reads no follower, or a follower gets a keystore of its own (else the product
    reads it through the follower's table by $ref{}), unless the product never reads it."""
    node = NodeRead(info)
    purposes = node.purposes
    tables = {}
    for purpose in registry.REGISTRY:
        described = purposes.get(purpose.name)
        # a table the product's templates never read (Micro Integrator's [keystore.tls]) is left as it is
        if purpose.cluster is None or described is None or node.hard_codes(purpose.name):
            continue
        if purpose.cluster.follows:
            if purpose.name in given or purpose.cluster.table_when_following or described.get('configured_in_file'):
                tables[purpose.table] = registry.serving(purpose.name, given)
            continue
        followers = [item.name for item in registry.followers(purpose.name) if item.name in purposes]
        if described.get('configured_in_file') or not followers or any(name in given for name in followers):
            tables[purpose.table] = purpose.name
    return tables


def file_name(info, product, base_name, table):
    """file_name to write into ``table`` for ``base_name``: beside the file the table names now, in the form the
    node's release resolves (products.file_name_for: Micro Integrator 1.2 reads a bare name after the security
    folder, 4.x every relative name from the home)."""
    node = NodeRead(info)
    profile = node.profile(product)
    purpose = registry.BY_TABLE[table].name
    described = node.described(purpose)
    existing = described.get('file_name') if described.get('configured_in_file') else None
    return products.file_name_for(profile, existing, base_name)


def wanted_tables(info, product, keystores, passwords, keep_internal=False, tenant_keystore_type='',
                  internal_password='', truststore_password=''):
    """{table: settings} the node's config must hold for the cluster's keystores (``keystores``: by purpose,
    V(tls) and, when the signing keystore is separate, V(primary); each with path relative to the home, type
    and alias), protected by ``passwords`` (keystore_password, key_password).

    ``keep_internal``: the keystore the node used until then for everything becomes [keystore.internal]
    (WSO2: data encrypted with it must stay readable). ``internal_password``: the internal keystore gets this
    password (store and key), once it has a table of its own. ``truststore_password``: the truststore's
    password, when it is to change."""
    node = NodeRead(info)
    purposes = node.purposes
    tables = {}
    internal = purposes.get('internal')
    # a product that hard-codes its internal keystore (Micro Integrator 1.2) keeps it whatever a table would say
    if keep_internal and internal and not internal.get('configured_in_file') and internal.get('keystore_status') == 'ok' \
            and not node.profile(product).hard_codes('internal'):
        tables['keystore.internal'] = {
            'file_name': internal['file_name'],
            # the type of the file itself: a default the product would apply is not proof of what the file is
            'type': str(info['keystores'][internal['path']]['type']).upper(),
            'password': node.secret('internal'),
            'alias': internal['alias'],
            'key_password': node.secret('internal', 'key_password'),
        }
    if internal_password and internal and ('keystore.internal' in tables or internal.get('configured_in_file')):
        tables.setdefault('keystore.internal', {}).update(password=internal_password, key_password=internal_password)
    for table, purpose in server_tables(info, keystores).items():
        keystore = keystores[purpose]
        tables[table] = {
            'file_name': file_name(info, product, keystore['path'].rsplit('/', 1)[-1], table),
            'type': str(keystore['type']).upper(),
            'password': passwords['keystore_password'],
            'alias': keystore['alias'],
            'key_password': passwords['key_password'],
        }
    if truststore_password and 'truststore' in purposes:
        tables['truststore'] = {'password': truststore_password}
    if tenant_keystore_type and 'tenant' in products.profile_for(product).purposes:
        tables['keystore.tenant'] = {'type': str(tenant_keystore_type).upper()}
    return tables


def referenced_tables(tables, info, vault_password):
    """encrypt_passwords: ``tables`` (wanted_tables) with every store password a $secret{} reference, and the
    clear-text passwords the file writes in [keystore.internal] and [truststore] referred to as well. Returns
    (tables, {alias: plaintext} the references need in [secrets], as the files hold them at this write).

    The internal keystore's own password becomes a reference only once it is ``vault_password``, the one the flow
    knows: a reference to any other would lock the vault's key behind a password only the vault holds."""
    referenced = {table: dict(table_settings) for table, table_settings in tables.items()}
    written = info.get('config_tables') or {}
    for table in ('keystore.internal', 'truststore'):
        clear = {key: value for key, value in (written.get(table) or {}).items()
                 if key in ('password', 'key_password') and value and not vault.referenced_alias(value)}
        if clear and table not in referenced:
            referenced[table] = clear
    # a truststore the product opens with its default password (default.json, no [truststore] password in the file):
    # written as a reference too, so that a step which later names the truststore in the file (the PKCS12 migration)
    # finds its password in the vault rather than writing it in clear
    truststore = NodeRead(info).described('truststore')
    if 'truststore' not in referenced and truststore.get('keystore_status') == 'ok' and \
            'password' not in (written.get('truststore') or {}) and NodeRead(info).secret('truststore'):
        referenced['truststore'] = {'password': NodeRead(info).secret('truststore')}
    secrets = {}
    for table, table_settings in sorted(referenced.items()):
        alias = registry.SECRET_ALIASES.get(table)
        if not alias:
            continue
        if table == 'keystore.internal' and table_settings.get('password') != vault_password:
            # not yet the flow's own password: stays as it is until the file has it (passwords.yml)
            if table not in tables:
                del referenced[table]
            continue
        store_password = table_settings.get('password')
        for key in ('password', 'key_password'):
            value = table_settings.get(key)
            if value is None or vault.referenced_alias(value):
                continue
            name = alias if key == 'password' or value == store_password else alias.replace('_password', '_key_password')
            secrets[name] = value
            table_settings[key] = vault.reference(name)
    return referenced, secrets


# the tables whose passwords passwords.yml gives (<role>_internal_keystore_password, <role>_truststore_password)
PASSWORD_TABLES = ('keystore.internal', 'truststore')


def table_step(info, flow, clusters, keep_internal, new_passwords=False):
    """What a step that writes keystore tables needs, in one dictionary: configure.yml's (the tables that point the
    product at the cluster's keystores ``clusters``) or, with ``new_passwords``, passwords.yml's (the internal
    keystore's and the truststore's new passwords). {tables: what the file must hold, each store password a
    $secret{} reference under encrypt_passwords; secrets: {alias: plaintext} those references need; pending: the
    part of ``tables`` the file lacks; keep_internal; vault_files: {properties, cipher_text}, the secure vault's
    files as the node holds them (base64, '' where absent)}."""
    passwords = {'keystore_password': flow['keystore_password'], 'key_password': flow['key_password']}
    if new_passwords:
        tables = wanted_tables(info, flow['product'], clusters, passwords, keep_internal,
                               internal_password=flow['internal_keystore_password'],
                               truststore_password=flow['truststore_password'])
        tables = {table: settings for table, settings in tables.items() if table in PASSWORD_TABLES}
    else:
        tables = wanted_tables(info, flow['product'], clusters, passwords, keep_internal,
                               tenant_keystore_type=flow['tenant_keystore_type'])
    secrets: dict = {}
    if flow['encrypt_passwords']:
        tables, secrets = referenced_tables(tables, info, flow['vault_password'])
    home, config_file = str(info['home']), str(info['config_file'])
    return {'tables': tables, 'secrets': secrets, 'pending': pending_tables(info, tables), 'keep_internal': keep_internal,
            'vault_files': {name: writes.preflight_read(info, path).get('content') or '' for name, path in (
                ('properties', vault.properties_path(home, config_file)),
                ('cipher_text', vault.cipher_text_path(home, config_file)))}}


def trusted_entry(cluster_keystore):
    """The truststore item ({alias, certificate}) of a cluster keystore: its certificate under its trust alias."""
    return {'alias': cluster_keystore['trust_alias'], 'certificate': cluster_keystore['certificate_pem']}


def trust_step(info, flow, clusters, ca_certificates, password_changes):
    """What truststore.yml hands the truststore module, in one dictionary: the cluster keystores' certificates
    (``clusters``) and the CA certificates handed over (``ca_certificates``, inline PEM as the ca_certificates lookup
    returns them), the truststore as the preflight read it (path, content), the password it keeps or gets and, when
    ``password_changes`` (the node's) give it a new one, the old. ``needed``: whether the step has anything to do, a
    certificate the truststore does not hold yet or a new password; a converged node skips the module."""
    node = NodeRead(info)
    path = node.described('truststore').get('path')
    trust = [trusted_entry(cluster) for cluster in clusters.values()] + list(ca_certificates)
    present = inspection.trusted_fingerprints(node.store(path))
    missing = any(certificates.fingerprint(der) not in present for item in trust
                  for der in certificates.load_pem_certificates(item['certificate'], item.get('alias') or path))
    current = node.secret('truststore')
    new_password = any(change.get('purpose') == 'truststore' for change in password_changes)
    return {'needed': new_password or missing, 'path': path, 'certificates': trust,
            'content': writes.preflight_read(info, path).get('content') or None,
            'password': flow.get('truststore_password') or current,
            'old_password': current if new_password else None}


def vault_keystore(info, flow, clusters, keep_internal, reprotected=None, reopened=()):
    """{path, content (base64), password} of the keystore whose key the secure vault uses once the flow's tables
    are written: the internal keystore the node keeps (``reprotected``: its re-protected bytes when this run gave it
    its own password), or, without ``keep_internal`` (a fresh install), the cluster's keystore it follows."""
    if not keep_internal:
        # the keystore [keystore.primary] names, which the internal one follows on a fresh install
        cluster = next((clusters[item.name] for item in registry.followers(registry.SERVER) if item.name in clusters),
                       clusters[registry.SERVER])
        return {'path': cluster['path'], 'content': cluster['content'], 'password': flow['keystore_password']}
    internal = NodeRead(info).described('internal')
    path = internal.get('path')
    if reprotected:
        return {'path': path, 'content': reprotected, 'password': flow['internal_keystore_password']}
    password = NodeRead(info).secret('internal')
    if any(item.get('purpose') == 'internal' for item in reopened):
        password = flow['internal_keystore_password']
    return {'path': path, 'content': writes.preflight_read(info, path).get('content', ''),
            'password': password}


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
    return _as_stored(pending, written)


def _as_stored(tables, written):
    """``tables`` ({table: settings}) as toml_file writes them: the store keys of a purpose kept in an array of
    tables (registry stored_in) go to its element named by file_name ('keystore.custom[file_name=oauth.p12]'),
    before its own table, which names that element. An element of another name carries over the keys of the one
    its table named until now (the file changes, its password and alias do not)."""
    stored = {}
    for table, settings in tables.items():
        purpose = registry.BY_TABLE.get(table)
        if purpose is None or not purpose.stored_in:
            stored[table] = settings
            continue
        current = written.get(table) or {}
        file_name = settings.get('file_name') or current.get('file_name')
        keys = [key for key in purpose.keys if key != 'file_name']
        element = {key: settings[key] for key in keys if key in settings}
        if file_name != current.get('file_name'):
            element = dict({key: current[key] for key in keys if key in current}, **element)
        stored['%s[file_name=%s]' % (purpose.stored_in, file_name)] = element
        mapping = {key: value for key, value in settings.items() if key not in purpose.keys}
        if current.get(registry.MAPPED_BY) != file_name:
            mapping[registry.MAPPED_BY] = file_name
        if mapping:
            stored[table] = mapping
    return stored


def _same_toml_value(written, wanted):
    """True when toml_file would leave ``written`` as it is for ``wanted`` (same TOML type and value)."""
    for kind in (bool, str, int, float):  # bool before int: True is an int in Python, not in TOML
        if isinstance(wanted, kind):
            return isinstance(written, kind) and (kind is bool or not isinstance(written, bool)) and written == wanted
    return False  # arrays and inline tables: let toml_file judge
