# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The product roles' inputs completed into the flow's settings, and the requests the flow refuses
before it reads any node (the rest is judged once every node has been read: wso2/cluster.py, the preflight).

The flow keeps one cluster keystore per purpose the registry gives one (wso2/purposes.py): the server's
always (the key pair it presents on TLS, which also signs as [keystore.primary] unless told otherwise), and
each that follows it when the role is asked for a separate one. Each is generated once, or built from PEM
material the operator hands over (a CA-signed certificate with its key, or the CA's reply for the cluster's key)."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.errors import RequestError
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products, purposes as registry

# keytool refuses shorter store passwords, and so would the product when it opens the store
MIN_PASSWORD_LENGTH = 6
MATERIAL = ('certificate', 'private_key', 'private_key_passphrase', 'certificate_chain')


def extension(store_type):
    return 'p12' if str(store_type).upper() == 'PKCS12' else 'jks'


def _material(inputs, prefix):
    return {name: inputs.get('%s_%s' % (prefix, name)) or ('' if name != 'certificate_chain' else [])
            for name in MATERIAL}


def cluster_members(hosts, clusters, active=None):
    """{cluster name: its hosts, in the play's order} from the play's ``hosts`` and each one's ``clusters`` name (the
    role's <role>_cluster; empty for all makes the play one cluster); with ``active``, only the hosts still in the
    play. Computed once for the play, so that no node looks at every other node's facts."""
    if len(clusters) != len(hosts):
        raise RequestError('cluster_members: %d hosts but %d cluster names.' % (len(hosts), len(clusters)))
    still = None if active is None else set(active)
    members: dict[str, list[str]] = {}
    for host, name in zip(hosts, clusters):
        if still is None or host in still:
            members.setdefault(str(name or ''), []).append(host)
    return members


def flow_settings(inputs, hosts, migrate=False):
    """``inputs``: keystore_flow_inputs (the public role's variables without their prefix); ``hosts``:
    every host of the play; ``migrate``: the stores move to PKCS12 whatever ``migrate_to_pkcs12`` says
    (playbooks/migrate_pkcs12.yml). What the inputs leave empty is filled in here: the keystore type from the
    product version (empty when no version is given: the preflight takes the type the home's profile
    uses), the key password, the subject and the subject alternative names from the nodes' names, and
    one entry of ``keystores`` per cluster keystore the flow manages."""
    settings = dict(inputs)
    product = inputs['product']
    settings['home'] = str(inputs['home']).rstrip('/') or '/'
    settings['version'] = str(inputs.get('version') or '')
    settings['key_password'] = inputs.get('key_password') or inputs['keystore_password']
    store_type = str(inputs.get('keystore_type') or '').upper()
    if not store_type and settings['version'] and products.knows(product, settings['version']):
        store_type = products.default_store_type(product, settings['version'])
    settings['type'] = store_type
    settings['alias'] = inputs['keystore_alias']
    settings['file_name'] = inputs.get('keystore_file_name') or ''
    settings['subject'] = inputs.get('subject') or 'CN=%s' % hosts[0]
    settings['subject_alt_names'] = list(inputs.get('subject_alt_names') or ['DNS:%s' % host for host in hosts])
    settings['key_size'] = int(inputs['key_size'])
    settings['valid_days'] = int(inputs['valid_days'])
    settings['source_node'] = inputs.get('keystore_source_node') or ''
    settings['keystores'] = [_cluster_keystore(inputs, purpose) for purpose in registry.CLUSTER_KEYSTORES
                             if _given(inputs, registry.cluster_keystore(purpose.name))]
    given = {item['purpose'] for item in settings['keystores']}
    for item in settings['keystores']:
        # a keystore also serves the purposes that follow it, directly or through others, without one of their own
        item['serves'] = [purpose.name for purpose in registry.CLUSTER_KEYSTORES
                          if registry.serving(purpose.name, given) == item['purpose']]
    # the preflight reads the contents of the files the cluster keystores may be named (wso2is.jks, wso2is-2.jks, a
    # rotation's wso2is-20261203120000.jks) and lists the others of the security folder by name only
    stems = {(item['file_name'].rsplit('.', 1)[0] if item['file_name'] else item['alias'])
             for item in settings['keystores']}
    settings['read_also'] = sorted({pattern % stem for stem in stems for pattern in ('%s.*', '%s-*')})
    settings['migrate_to_pkcs12'] = bool(inputs.get('migrate_to_pkcs12') or migrate)
    if settings['migrate_to_pkcs12']:
        settings['read_also'].append('*.p12')  # the PKCS12 twins, where an earlier run made them
    settings['internal_keystore_password'] = inputs.get('internal_keystore_password') or ''
    settings['encrypt_passwords'] = bool(inputs.get('encrypt_passwords'))
    settings['cipher_transformation'] = inputs.get('cipher_transformation') or 'RSA/ECB/PKCS1Padding'
    settings['keystore_password_file'] = inputs.get('keystore_password_file') or 'none'
    # the password of the keystore whose key is the secure vault's: the internal one, which follows the cluster's
    # keystore on a fresh install
    settings['vault_password'] = settings['internal_keystore_password'] or (
        settings['keystore_password'] if inputs.get('fresh_install') else '')
    return settings


def _given(inputs, cluster):
    """Whether the inputs give the cluster keystore ``cluster`` (one that follows another only when asked)."""
    return not cluster.separate or bool(inputs.get(cluster.separate))


def _cluster_keystore(inputs, purpose):
    """The flow's entry for the cluster keystore of ``purpose``, from the role inputs the registry names."""
    cluster = registry.cluster_keystore(purpose.name)
    alias = inputs.get(cluster.inputs + 'keystore_alias') or '%s%s' % (inputs['keystore_alias'], cluster.alias_suffix)
    keystore = {'purpose': purpose.name, 'alias': alias,
                'file_name': inputs.get(cluster.inputs + 'keystore_file_name') or '',
                'csr_path': inputs.get(cluster.inputs + 'csr_path') or ''}
    keystore.update(_material(inputs, cluster.material), labels=material_labels(inputs['product'], purpose.name))
    return keystore


def keep_internal(settings, pinned=False):
    """Whether the keystore a node used until now stays its [keystore.internal] when the server's tables move to the
    cluster's keystore. WSO2: the internal key encrypts the product's data, so it is kept, unless
    <role>_fresh_install says there is no such data yet (then it follows the new keystore); ``pinned`` (a rotation's
    switch) always keeps it."""
    return bool(pinned) or not settings['fresh_install']


def new_keystore(settings, default_type, purpose=registry.SERVER):
    """{file_name, type, alias} of the cluster keystore of ``purpose`` the flow would create, the type
    defaulting to the one the product's profile uses (``default_type``, from product_info)."""
    keystore = next(item for item in settings['keystores'] if item['purpose'] == purpose)
    store_type = settings['type'] or str(default_type or 'JKS').upper()
    return {'file_name': keystore['file_name'] or '%s.%s' % (keystore['alias'], extension(store_type)),
            'type': store_type, 'alias': keystore['alias']}


def material_labels(product, purpose):
    """How the flow's messages name a cluster keystore's PEM inputs: by the role's variables."""
    prefix = '%s_%s' % (product, registry.cluster_keystore(purpose).material)
    return {'certificate': prefix + '_certificate', 'private_key': prefix + '_private_key',
            'private_key_passphrase': prefix + '_private_key_passphrase', 'chain': prefix + '_certificate_chain'}


def refusals(settings):
    """Sentences for requests no node could satisfy, naming the role variable; empty when all is well."""
    role = settings['product']
    found = []
    if settings['version'] and not products.knows(role, settings['version']):
        # nothing else can be judged for a product version nobody knows
        return ['%s_version: %s' % (role, products.unknown_version(role, settings['version']))]
    if settings['key_password'] != settings['keystore_password']:
        found.append('%s_key_password differs from %s_keystore_password. WSO2 needs the key password equal to the '
                     'store password for the TLS keystore (a Tomcat limitation) and, on API Manager, for every '
                     'keystore. Leave %s_key_password empty or make them equal.' % (role, role, role))
    for name in ('keystore_password', 'internal_keystore_password', 'truststore_password'):
        value = settings.get(name) or ''
        if (value or name == 'keystore_password') and len(value) < MIN_PASSWORD_LENGTH:
            found.append('%s_%s must have at least %d characters.' % (role, name, MIN_PASSWORD_LENGTH))
    if 'dataEncipherment' not in settings['key_usage']:
        found.append('%s_key_usage must include dataEncipherment: WSO2\'s primary keystore encrypts data with it '
                     '(the cipher tool fails with "Wrong key usage" otherwise).' % role)
    profile = products.profile_for(role, settings['version'] or None)
    for name in [registry.cluster_keystore(purpose.name).inputs + 'keystore_file_name'
                 for purpose in registry.CLUSTER_KEYSTORES]:
        value = settings.get(name) or ''
        if '/' in value or value in ('.', '..'):
            found.append('%s_%s must be a bare file name: every keystore is placed in %s.'
                         % (role, name, profile.security_dir))
    if settings['type'] and settings['type'] not in ('JKS', 'PKCS12'):
        found.append('%s_keystore_type must be JKS or PKCS12, not %s.' % (role, settings['type']))
    for purpose in registry.CLUSTER_KEYSTORES:
        cluster = registry.cluster_keystore(purpose.name)
        given = {name: settings.get('%s_%s' % (cluster.material, name)) for name in MATERIAL}
        labels = material_labels(role, purpose.name)
        if cluster.separate and settings.get(cluster.separate) and \
                not profile.reads_separately(purpose.name, settings['version']):
            followed = registry.get(cluster.follows)
            # a table newer than the version given, or one the product never reads
            who = '%s %s' % (products.PRODUCT_LABELS[role], settings['version']) if profile.reads(purpose.name) \
                else profile.label
            found.append('%s_%s: %s reads no [%s], only [%s], so there is no separate %s keystore to give.'
                         % (role, cluster.separate, who, purpose.table, followed.table, purpose.label))
        if cluster.separate and any(given.values()) and not settings.get(cluster.separate):
            followed = registry.get(cluster.follows)
            found.append('%s needs %s_%s: true (without it [%s] uses the %s keystore; give the material as %s).'
                         % (labels['certificate'], role, cluster.separate, purpose.table, followed.label,
                            material_labels(role, followed.name)['certificate']))
        for name in ('private_key', 'certificate_chain'):
            if given[name] and not given['certificate']:
                found.append('%s needs %s (the certificate it belongs with).'
                             % (labels[name if name == 'private_key' else 'chain'], labels['certificate']))
    if settings['encrypt_passwords'] and settings.get('fresh_install') and settings['key_type'] != 'rsa':
        found.append('%s_encrypt_passwords with %s_fresh_install: the new key serves as the internal key, and WSO2\'s '
                     'secure vault encrypts with an RSA key; set %s_key_type: rsa.' % (role, role, role))
    if settings['encrypt_passwords'] and not settings['vault_password']:
        found.append('%s_encrypt_passwords needs %s_internal_keystore_password: the secure vault encrypts with the '
                     'internal key, and every later run opens the internal keystore with it to read the vault back.'
                     % (role, role))
    if settings['keystore_password_file'] != 'none' and not settings['encrypt_passwords']:
        found.append('%s_keystore_password_file: the server reads password-%s only for the secure vault; set '
                     '%s_encrypt_passwords: true, or leave it at none.'
                     % (role, settings['keystore_password_file'], role))
    for index, item in enumerate(settings['keystores']):
        for earlier in settings['keystores'][:index]:
            if item['alias'] == earlier['alias'] or (item['file_name'] or '%s.' % item['alias']) == (
                    earlier['file_name'] or '%s.' % earlier['alias']):
                inputs = registry.cluster_keystore(item['purpose']).inputs
                found.append('%s_%skeystore_alias and %s_%skeystore_file_name must differ from the %s keystore\'s, so '
                             'that [%s] gets a file of its own.' % (role, inputs, role, inputs,
                                                                    registry.label(earlier['purpose']),
                                                                    registry.get(item['purpose']).table))
    return found
