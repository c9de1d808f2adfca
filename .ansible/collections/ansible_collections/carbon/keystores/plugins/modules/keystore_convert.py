#!/usr/bin/python
# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: keystore_convert
short_description: Copy every entry of a keystore into a new file of another type (JKS to PKCS12)
version_added: 0.2.0
description:
  - Writes O(path) as a keystore of O(type) holding every entry of O(src) with the same aliases, keys,
    certificate chains, trusted certificates and passwords, as C(keytool -importkeystore) would, without a JVM.
    Identity Server 7.1 and later use PKCS12 keystores; this is the conversion for a JKS deployment.
  - O(src) is never changed. It stays where it is, as the backup of what was converted.
  - A second run reports no change when O(path) holds the same entries (aliases, kinds and SHA-256 fingerprints).
    When O(path) exists with other entries the task fails and writes nothing.
  - Every key entry must open with O(password) or O(key_password); a key that does not open is never converted.
author:
  - carbon.keystores developers (@carbon-keystores)
requirements:
  - On the Ansible controller (or in the execution environment), the Python packages C(cryptography>=42.0.0) and C(pyjks>=20.0.0).
  - On the managed host, the Python Ansible itself needs, nothing else.
extends_documentation_fragment:
  - carbon.keystores.keystore.WRITES
  - carbon.keystores.keystore.TRANSPORT
  - carbon.keystores.keystore.FILES
  - carbon.keystores.keystore.IN_MEMORY
  - ansible.builtin.files
options:
  src:
    description:
      - The keystore to convert, on the managed host (JKS, PKCS12 or JCEKS; its type is read from its content).
    type: path
    required: true
  path:
    description:
      - The keystore to write, on the managed host.
    type: path
    required: true
  type:
    description:
      - The type of O(path).
    type: str
    required: true
    choices: [jks, pkcs12]
  password:
    description:
      - The store password of O(src), which O(path) gets too.
    type: str
    required: true
  key_password:
    description:
      - The key password of key entries that the store password does not open; they keep it in O(path).
    type: str
  pkcs12_encryption:
    description:
      - Protection of a PKCS12 O(path), as in M(carbon.keystores.keystore).
    type: str
    choices: [modern, legacy]
  in_memory:
    version_added: 0.4.0
  content:
    description:
      - With O(in_memory=true), base64 of the file at O(path) as it is now (none when it does not exist); O(src) is
        read as usual, or from O(read_from).
    version_added: 0.4.0
seealso:
  - module: carbon.keystores.keystore
  - module: carbon.keystores.keystore_info
'''

EXAMPLES = r'''
- name: The primary keystore as PKCS12, beside the JKS file
  carbon.keystores.keystore_convert:
    src: /opt/wso2is/repository/resources/security/wso2is.jks
    path: /opt/wso2is/repository/resources/security/wso2is.p12
    type: pkcs12
    password: "{{ vault_keystore_password }}"
'''

RETURN = r'''
path:
  description: The keystore written.
  returned: always
  type: str
  sample: /opt/wso2is/repository/resources/security/wso2carbon.p12
src:
  description: The keystore converted.
  returned: always
  type: str
  sample: /opt/wso2is/repository/resources/security/wso2carbon.jks
type:
  description: The type of O(path).
  returned: always
  type: str
  sample: pkcs12
source_type:
  description: The type of O(src), read from its content.
  returned: always
  type: str
  sample: jks
entries:
  description: Every entry, in alias order; the same on both sides.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The entry's alias.
      type: str
      sample: wso2carbon
    kind:
      description: V(private_key) or V(trusted_certificate).
      type: str
      sample: private_key
    fingerprint_sha256:
      description: SHA-256 fingerprint of the entry's (leaf) certificate, as keytool prints it.
      type: str
      sample: "3A:9F:...:0C"
changes:
  description: What was done, one sentence each.
  returned: always
  type: list
  elements: str
content:
  description: With O(in_memory=true), base64 of the converted keystore (the given one when nothing changed).
  returned: when O(in_memory=true)
  type: str
  version_added: 0.4.0
'''
