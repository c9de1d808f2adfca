# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The product roles' inputs completed into the flow's settings, and the requests the flow refuses
before it reads any node (the rest is judged once every node has been read: wso2/cluster.py)."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products

# keytool refuses shorter store passwords, and so would the product when it opens the store
MIN_PASSWORD_LENGTH = 6


def extension(store_type):
    return 'p12' if str(store_type).upper() == 'PKCS12' else 'jks'


def flow_settings(inputs, hosts):
    """``inputs``: keystore_flow_inputs (the public role's variables without their prefix); ``hosts``:
    every host of the play. What the inputs leave empty is filled in here: the keystore type from the
    product version (empty when no version is given: the preflight takes the type the home's profile
    uses), the key password, the subject and the subject alternative names from the nodes' names."""
    settings = dict(inputs)
    settings['home'] = str(inputs['home']).rstrip('/') or '/'
    settings['version'] = str(inputs.get('version') or '')
    settings['key_password'] = inputs.get('key_password') or inputs['keystore_password']
    store_type = str(inputs.get('keystore_type') or '').upper()
    if not store_type and settings['version']:
        store_type = products.default_store_type(inputs['product'], settings['version'])
    settings['type'] = store_type
    settings['alias'] = inputs['keystore_alias']
    settings['file_name'] = inputs.get('keystore_file_name') or ''
    settings['subject'] = inputs.get('subject') or 'CN=%s' % hosts[0]
    settings['subject_alt_names'] = list(inputs.get('subject_alt_names') or ['DNS:%s' % host for host in hosts])
    settings['key_size'] = int(inputs['key_size'])
    settings['valid_days'] = int(inputs['valid_days'])
    settings['source_node'] = inputs.get('keystore_source_node') or ''
    return settings


def new_keystore(settings, default_type):
    """{file_name, type, alias} of a keystore the flow would generate, the type defaulting to the one the
    product's profile uses (``default_type``, from product_info)."""
    store_type = settings['type'] or str(default_type or 'JKS').upper()
    return {'file_name': settings['file_name'] or '%s.%s' % (settings['alias'], extension(store_type)),
            'type': store_type, 'alias': settings['alias']}


def refusals(settings):
    """Sentences for requests no node could satisfy, naming the role variable; empty when all is well."""
    role = settings['product']
    found = []
    if settings['key_password'] != settings['keystore_password']:
        found.append('%s_key_password differs from %s_keystore_password. WSO2 needs the key password equal to the '
                     'store password for the TLS keystore (a Tomcat limitation) and, on API Manager, for every '
                     'keystore. Leave %s_key_password empty or make them equal.' % (role, role, role))
    if len(settings['keystore_password']) < MIN_PASSWORD_LENGTH:
        found.append('%s_keystore_password must have at least %d characters.' % (role, MIN_PASSWORD_LENGTH))
    if 'dataEncipherment' not in settings['key_usage']:
        found.append('%s_key_usage must include dataEncipherment: WSO2\'s primary keystore encrypts data with it '
                     '(the cipher tool fails with "Wrong key usage" otherwise).' % role)
    if '/' in settings['file_name'] or settings['file_name'] in ('.', '..'):
        found.append('%s_keystore_file_name must be a bare file name: every keystore is placed in %s.'
                     % (role, products.SECURITY_DIR))
    if settings['type'] and settings['type'] not in ('JKS', 'PKCS12'):
        found.append('%s_keystore_type must be JKS or PKCS12, not %s.' % (role, settings['type']))
    return found
