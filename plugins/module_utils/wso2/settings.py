# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The product roles' inputs completed into the flow's settings, and the requests the flow refuses
before it reads any node (the rest is judged once every node has been read: wso2/cluster.py).

The flow keeps one cluster keystore per purpose it manages: ``tls`` always (the key pair the server
presents, which also signs as [keystore.primary] unless told otherwise) and ``primary`` when the role
is asked for a separate signing keystore. Each is generated once, or built from PEM material the
operator hands over (a CA-signed certificate with its key, or the CA's reply for the cluster's key)."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products

# keytool refuses shorter store passwords, and so would the product when it opens the store
MIN_PASSWORD_LENGTH = 6
MATERIAL = ('certificate', 'private_key', 'private_key_passphrase', 'certificate_chain')


def extension(store_type):
    return 'p12' if str(store_type).upper() == 'PKCS12' else 'jks'


def _material(inputs, prefix):
    return {name: inputs.get('%s_%s' % (prefix, name)) or ('' if name != 'certificate_chain' else [])
            for name in MATERIAL}


def flow_settings(inputs, hosts):
    """``inputs``: keystore_flow_inputs (the public role's variables without their prefix); ``hosts``:
    every host of the play. What the inputs leave empty is filled in here: the keystore type from the
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
    separate = bool(inputs.get('separate_primary_keystore'))
    settings['separate_primary_keystore'] = separate
    tls = {'purpose': 'tls', 'alias': settings['alias'], 'file_name': settings['file_name'],
           'serves': ['tls'] if separate else ['tls', 'primary'], 'csr_path': inputs.get('csr_path') or ''}
    tls.update(_material(inputs, 'tls'), labels=material_labels(product, 'tls'))
    settings['keystores'] = [tls]
    if separate:
        alias = inputs.get('primary_keystore_alias') or '%s-primary' % settings['alias']
        primary = {'purpose': 'primary', 'alias': alias, 'file_name': inputs.get('primary_keystore_file_name') or '',
                   'serves': ['primary'], 'csr_path': ''}
        primary.update(_material(inputs, 'primary'), labels=material_labels(product, 'primary'))
        settings['keystores'].append(primary)
    # the preflight reads the contents of the files the cluster keystores may be named (wso2is.jks, wso2is-2.jks, a
    # rotation's wso2is-20261203120000.jks) and lists the others of the security folder by name only
    stems = {(item['file_name'].rsplit('.', 1)[0] if item['file_name'] else item['alias'])
             for item in settings['keystores']}
    settings['read_also'] = sorted({pattern % stem for stem in stems for pattern in ('%s.*', '%s-*')})
    settings['internal_keystore_password'] = inputs.get('internal_keystore_password') or ''
    settings['encrypt_passwords'] = bool(inputs.get('encrypt_passwords'))
    settings['cipher_transformation'] = inputs.get('cipher_transformation') or 'RSA/ECB/PKCS1Padding'
    settings['keystore_password_file'] = inputs.get('keystore_password_file') or 'none'
    # the password of the keystore whose key is the secure vault's: the internal one, which follows the cluster's
    # keystore on a fresh install
    settings['vault_password'] = settings['internal_keystore_password'] or (
        settings['keystore_password'] if inputs.get('fresh_install') else '')
    return settings


def new_keystore(settings, default_type, purpose='tls'):
    """{file_name, type, alias} of the cluster keystore of ``purpose`` the flow would create, the type
    defaulting to the one the product's profile uses (``default_type``, from product_info)."""
    keystore = next(item for item in settings['keystores'] if item['purpose'] == purpose)
    store_type = settings['type'] or str(default_type or 'JKS').upper()
    return {'file_name': keystore['file_name'] or '%s.%s' % (keystore['alias'], extension(store_type)),
            'type': store_type, 'alias': keystore['alias']}


def material_labels(product, purpose):
    """How the flow's messages name a cluster keystore's PEM inputs: by the role's variables."""
    return {'certificate': '%s_%s_certificate' % (product, purpose),
            'private_key': '%s_%s_private_key' % (product, purpose),
            'private_key_passphrase': '%s_%s_private_key_passphrase' % (product, purpose),
            'chain': '%s_%s_certificate_chain' % (product, purpose)}


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
    for name in ('keystore_file_name', 'primary_keystore_file_name'):
        value = settings.get(name) or ''
        if '/' in value or value in ('.', '..'):
            found.append('%s_%s must be a bare file name: every keystore is placed in %s.'
                         % (role, name, products.SECURITY_DIR))
    if settings['type'] and settings['type'] not in ('JKS', 'PKCS12'):
        found.append('%s_keystore_type must be JKS or PKCS12, not %s.' % (role, settings['type']))
    profile = products.profile_for(role, settings['version'] or None)
    if settings['separate_primary_keystore'] and not profile.separate_primary:
        found.append('%s_separate_primary_keystore: %s keeps the server\'s key pair in [keystore.tls] alone, so there is '
                     'no separate primary keystore to give.' % (role, profile.label))
    for purpose in ('tls', 'primary'):
        given = {name: settings.get('%s_%s' % (purpose, name)) for name in MATERIAL}
        labels = material_labels(role, purpose)
        if purpose == 'primary' and any(given.values()) and not settings['separate_primary_keystore']:
            found.append('%s needs %s_separate_primary_keystore: true (without it [keystore.primary] uses the TLS '
                         'keystore; give the material as %s_tls_certificate).' % (labels['certificate'], role, role))
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
    if settings['separate_primary_keystore']:
        names = [item['file_name'] or '%s.' % item['alias'] for item in settings['keystores']]
        aliases = [item['alias'] for item in settings['keystores']]
        if len(set(aliases)) < len(aliases) or (names[0] and names[0] == names[1]):
            found.append('%s_primary_keystore_alias and %s_primary_keystore_file_name must differ from the TLS '
                         'keystore\'s, so that [keystore.primary] gets a file of its own.' % (role, role))
    return found
