#!/usr/bin/python
# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: secure_vault
short_description: Encrypt passwords into WSO2's secure vault, as the cipher tool does, idempotently
version_added: 0.3.0
description:
  - Writes the C([secrets]) table of a WSO2 product's C(deployment.toml) (or C(ei.toml)) and its
    C(secret-conf.properties) the way C(ciphertool.sh -Dconfigure) leaves them, without a JDK on the host and without
    a password on any command line. Configuration values then refer to a secret as C($secret{alias}); the server
    decrypts them at start with the internal keystore's private key.
  - Each value of O(secrets) is encrypted with the public key of the internal keystore's certificate
    (C([keystore.internal]), else C([keystore.primary]), as the product reads it) with O(transformation), and stored
    as Base64, as the cipher tool stores it.
  - Idempotent by meaning. RSA encryption is randomised, so a value is decrypted with the internal private key and
    left byte for byte as it is when it already holds the wanted plaintext; a second run reports no change.
  - A value written by hand as C("[plaintext]") is encrypted, whether or not O(secrets) names it, as the cipher tool
    does. A value that does not decrypt with the internal key (encrypted with another key) fails the task with a
    sentence and nothing is written, unless O(force) says to encrypt the given value anew.
  - C(secret-conf.properties) (in C(repository/conf/security), C(conf/security) on Micro Integrator) gets the keys
    the cipher tool writes (C(secVault.enabled=true), the file secret repository, the internal keystore's location,
    type and alias, C(keystore.identity.store.password=identity.store.password) and friends, and
    C(secretRepositories.file.algorithm) when O(transformation) is not the default). Other keys of the file are kept,
    and the file is left as it is when it already says all that, however it is written.
  - Where the product's config tool does not render C(cipher-text.properties) from C([secrets]) (Enterprise
    Integrator 7), the module writes that file too, beside C(secret-conf.properties), with each alias of C([secrets])
    and its value, byte for byte. Its other aliases (a mediation's vault lookups) are kept, and one written by hand as
    C([plaintext]) is encrypted as the cipher tool does, since the server decrypts every value of the file at start.
    The file is left as it is when it already holds all that.
  - At start the server asks for the internal keystore's password, or reads it from C(password-tmp) (deleted after
    reading) or C(password-persist) in the product home. The product roles can write either (their
    C(keystore_password_file) variable).
author:
  - carbon.keystores developers (@carbon-keystores)
requirements:
  - On the Ansible controller (or in the execution environment), the Python packages C(cryptography>=42.0.0),
    C(pyjks>=20.0.0) and C(tomlkit>=0.12.0).
  - On the managed host, the Python Ansible itself needs, nothing else.
extends_documentation_fragment:
  - carbon.keystores.keystore.WRITES
  - carbon.keystores.keystore.TRANSPORT
attributes:
  idempotent:
    support: full
    description: A value that already holds the wanted plaintext is never encrypted again; a second run reports no change.
options:
  product:
    description: The WSO2 product in O(home).
    type: str
    required: true
    choices: [identity_server, api_manager, micro_integrator, enterprise_integrator]
  home:
    description:
      - The product home on the managed host. C(~) and C($VARS) are expanded there, as the user the module runs as.
    type: path
    required: true
  version:
    description:
      - The product version, where defaults differ between versions (Identity Server 7.1 and later use PKCS12);
        without it, the home tells.
    type: str
  secrets:
    description:
      - The secrets as alias and plaintext. An alias is letters, digits, C(_) and C(-); refer to it in the
        configuration as C($secret{alias}).
      - With O(state=absent), the aliases named here are removed (their values are ignored).
    type: dict
    required: true
  keystore_password:
    description:
      - The internal keystore's store password, to read its key (the key that decrypts the values already there).
    type: str
    required: true
  key_password:
    description:
      - The internal key's password, when it differs from O(keystore_password).
    type: str
  transformation:
    description:
      - The cipher transformation, as the cipher tool's C(-Dorg.wso2.CipherTransformation) names it.
        V(RSA/ECB/PKCS1Padding) is what the JDK's C(Cipher.getInstance("RSA")) is, the cipher tool's default.
      - A value encrypted with the other transformation is encrypted again with this one.
    type: str
    default: RSA/ECB/PKCS1Padding
    choices: [RSA/ECB/PKCS1Padding, RSA/ECB/OAEPwithSHA1andMGF1Padding]
  state:
    description:
      - V(present) puts every alias of O(secrets) into C([secrets]); V(absent) removes them.
    type: str
    default: present
    choices: [present, absent]
  force:
    description:
      - Encrypt the given value anew where the value in the file does not decrypt with the internal key (it was
        encrypted with another key). Without it, the task fails and writes nothing.
    type: bool
    default: false
  in_memory:
    description:
      - Work on the bytes given in O(content), O(keystore_content) and O(properties_content) instead of the files of
        O(home), and return the results in RV(content) and RV(properties_content). Nothing is read or written on the
        managed host.
      - The product roles compute a node's configuration this way on the controller, so that one module run writes
        every file. Register the result with C(no_log=true).
    type: bool
    default: false
  content:
    description: With O(in_memory=true), base64 of the configuration file.
    type: str
  path:
    description: With O(in_memory=true), the path of the configuration file O(content) is (product_info's
      RV(carbon.keystores.product_info#module:config_file)); the secure vault's files are placed beside it.
    type: path
  keystore_content:
    description: With O(in_memory=true), base64 of the internal keystore.
    type: str
  properties_content:
    description: With O(in_memory=true), base64 of C(secret-conf.properties), when it exists.
    type: str
  cipher_text_content:
    description:
      - With O(in_memory=true), base64 of C(cipher-text.properties), when it exists (read only where the product's
        config tool does not render it).
    type: str
notes:
  - Symmetric encryption (Identity Server 7's C(ciphertool.sh -Dsymmetric), AES-GCM with a secret key) is not
    supported yet.
  - Decrypting a C(RSA/ECB/PKCS1Padding) value checks its padding on the controller, so that a value of another key
    is told apart from another value (OpenSSL answers such a value with random bytes instead of an error).
seealso:
  - module: carbon.keystores.product_info
  - module: carbon.keystores.toml_file
'''

EXAMPLES = r'''
- name: Keystore passwords into the secure vault of Identity Server
  carbon.keystores.secure_vault:
    product: identity_server
    home: /opt/wso2is
    keystore_password: "{{ vault_internal_keystore_password }}"
    secrets:
      keystore_password: "{{ vault_keystore_password }}"
      truststore_password: "{{ vault_truststore_password }}"
  no_log: true

- name: Point the primary keystore's password at it
  carbon.keystores.toml_file:
    path: /opt/wso2is/repository/conf/deployment.toml
    table: keystore.primary
    settings:
      password: "$secret{keystore_password}"
      key_password: "$secret{keystore_password}"

- name: With OAEP, as -Dorg.wso2.CipherTransformation=RSA/ECB/OAEPwithSHA1andMGF1Padding does
  carbon.keystores.secure_vault:
    product: api_manager
    home: /opt/wso2am
    keystore_password: "{{ vault_internal_keystore_password }}"
    transformation: RSA/ECB/OAEPwithSHA1andMGF1Padding
    secrets:
      admin_password: "{{ vault_admin_password }}"
  no_log: true
'''

RETURN = r'''
config_file:
  description: The configuration file whose C([secrets]) table was written.
  returned: always
  type: str
  sample: /opt/wso2is/repository/conf/deployment.toml
properties_file:
  description: The secure vault's C(secret-conf.properties).
  returned: always
  type: str
  sample: /opt/wso2is/repository/conf/security/secret-conf.properties
cipher_text_file:
  description:
    - The C(cipher-text.properties) the module writes, where the product's config tool does not render it from
      C([secrets]) (Enterprise Integrator 7); null where the config tool renders it at start.
  returned: always
  type: str
  sample: /opt/wso2ei/conf/security/cipher-text.properties
internal_keystore:
  description: The keystore whose key encrypts the values.
  returned: always
  type: dict
  contains:
    path:
      description: Its path on the managed host.
      type: str
    alias:
      description: The alias of its key.
      type: str
    fingerprint_sha256:
      description: SHA-256 fingerprint of its certificate, as keytool prints it.
      type: str
transformation:
  description: The transformation values are encrypted with.
  returned: always
  type: str
  sample: RSA/ECB/PKCS1Padding
aliases:
  description: Every alias of C([secrets]) after the task.
  returned: always
  type: list
  elements: str
  sample: [keystore_password, truststore_password]
references:
  description: For each alias of O(secrets) (O(state=present)), the value that refers to it in the configuration.
  returned: always
  type: dict
  sample: {keystore_password: "$secret{keystore_password}"}
changes:
  description: What changed, one sentence each (aliases, never a value).
  returned: always
  type: list
  elements: str
  sample: ["added keystore_password", "encrypted db_password, written by hand as plaintext"]
content:
  description: With O(in_memory=true), base64 of the resulting configuration file.
  returned: when O(in_memory=true)
  type: str
properties_content:
  description: With O(in_memory=true), base64 of the resulting C(secret-conf.properties).
  returned: when O(in_memory=true)
  type: str
cipher_text_content:
  description: With O(in_memory=true), base64 of the resulting C(cipher-text.properties).
  returned: when O(in_memory=true) and RV(cipher_text_file) is not null
  type: str
files_changed:
  description: With O(in_memory=true), the paths of the files whose results differ from what was given.
  returned: when O(in_memory=true)
  type: list
  elements: str
'''
