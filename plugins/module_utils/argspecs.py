# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs, shared by each module's main() and its controller-side action plugin."""

from __future__ import annotations

KEY_USAGE_CHOICES = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment',
                     'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly']
EXTENDED_KEY_USAGE_CHOICES = ['serverAuth', 'clientAuth', 'codeSigning', 'emailProtection', 'timeStamping',
                              'OCSPSigning']

KEYSTORE = dict(
    path=dict(type='path', required=True),
    type=dict(type='str', choices=['jks', 'pkcs12']),
    password=dict(type='str', required=True, no_log=True),
    key_password=dict(type='str', no_log=True),
    old_password=dict(type='str', no_log=True),
    old_key_password=dict(type='str', no_log=True),
    alias=dict(type='str', required=True),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    subject=dict(type='raw'),
    subject_alt_names=dict(type='list', elements='str'),
    key_type=dict(type='str', choices=['rsa', 'ec']),
    key_size=dict(type='int', choices=[2048, 3072, 4096, 256, 384]),
    valid_days=dict(type='int', default=3650),
    key_usage=dict(type='list', elements='str', choices=KEY_USAGE_CHOICES),
    extended_key_usage=dict(type='list', elements='str', choices=EXTENDED_KEY_USAGE_CHOICES),
    regenerate=dict(type='str', default='fail', choices=['never', 'fail', 'when_different', 'always']),
    renew_before_days=dict(type='int'),
    private_key=dict(type='str', no_log=True),
    private_key_passphrase=dict(type='str', no_log=True),
    certificate=dict(type='str'),
    chain=dict(type='list', elements='str'),
    remote_src=dict(type='bool', default=False),
    pkcs12_encryption=dict(type='str', choices=['modern', 'legacy']),
    backup=dict(type='bool', default=False),
    csr_path=dict(type='path'),
    csr_dest=dict(type='str', default='host', choices=['host', 'controller']),
    ca_reply=dict(type='str'),
    chain_truststore=dict(type='path'),
    chain_truststore_password=dict(type='str', no_log=True),
    read_from=dict(type='dict', no_log=True),
)
KEYSTORE_RULES = dict(
    required_together=[['private_key', 'certificate']],
    mutually_exclusive=[['private_key', 'subject_alt_names'], ['private_key', 'key_type'],
                        ['private_key', 'key_size'], ['private_key', 'renew_before_days'],
                        ['private_key', 'ca_reply']],
    required_by={'chain_truststore': 'chain_truststore_password', 'chain_truststore_password': 'chain_truststore'},
)

KEYSTORE_INFO = dict(
    path=dict(type='path', required=True),
    type=dict(type='str', choices=['jks', 'pkcs12']),
    password=dict(type='str', required=True, no_log=True),
    key_password=dict(type='str', no_log=True),
    expiry_warning_days=dict(type='int', default=30),
)

TRUSTSTORE = dict(
    path=dict(type='path', required=True),
    type=dict(type='str', choices=['jks', 'pkcs12']),
    password=dict(type='str', required=True, no_log=True),
    certificates=dict(type='list', elements='raw', default=[]),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    exclusive=dict(type='bool', default=False),
    aliases=dict(type='list', elements='str', default=[]),
    fingerprints=dict(type='list', elements='str', default=[]),
    remote_src=dict(type='bool', default=False),
    pkcs12_encryption=dict(type='str', choices=['modern', 'legacy']),
    backup=dict(type='bool', default=False),
    read_from=dict(type='dict', no_log=True),
)
TRUSTSTORE_RULES = dict(
    mutually_exclusive=[['exclusive', 'aliases'], ['exclusive', 'fingerprints']],
)

KEYSTORE_CONVERT = dict(
    src=dict(type='path', required=True),
    path=dict(type='path', required=True),
    type=dict(type='str', required=True, choices=['jks', 'pkcs12']),
    password=dict(type='str', required=True, no_log=True),
    key_password=dict(type='str', no_log=True),
    pkcs12_encryption=dict(type='str', choices=['modern', 'legacy']),
    backup=dict(type='bool', default=False),
    read_from=dict(type='dict', no_log=True),
)

TOML_FILE = dict(
    path=dict(type='path', required=True),
    table=dict(type='str'),
    tables=dict(type='dict'),
    settings=dict(type='dict', default={}),
    keys=dict(type='list', elements='str', default=[], no_log=False),
    match=dict(type='dict'),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    create=dict(type='bool', default=False),
    backup=dict(type='bool', default=False),
    read_from=dict(type='dict', no_log=True),
)

TOML_FILE_RULES = dict(
    required_one_of=[('table', 'tables')],
    mutually_exclusive=[('table', 'tables'), ('tables', 'match'), ('tables', 'keys')],
)

PRODUCT_INFO = dict(
    product=dict(type='str', required=True,
                 choices=['identity_server', 'api_manager', 'micro_integrator', 'enterprise_integrator']),
    home=dict(type='path', required=True),
    version=dict(type='str'),
    expiry_warning_days=dict(type='int', default=30),
    return_secrets=dict(type='bool', default=False),
    return_content=dict(type='bool', default=False),
)
