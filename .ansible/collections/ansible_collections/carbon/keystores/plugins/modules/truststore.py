#!/usr/bin/python
# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: truststore
short_description: Trusted CA certificates of a JKS or PKCS12 truststore, many at once
version_added: 0.1.0
description:
  - Imports trusted certificates into a truststore such as a WSO2 product's C(client-truststore.jks), from PEM
    files, PEM bundles (many certificates in one file) and inline PEM, in one task, with one read and one write of
    the truststore whatever the number of certificates.
  - Idempotent by SHA-256 fingerprint. A certificate already present, under any alias, is not added again and is
    listed in RV(already_present).
  - An alias is derived from the certificate's subject CN (lower case, safe characters, unique within the store)
    unless one is given. A certificate given with an explicit alias replaces another certificate under that alias,
    as WSO2's documentation does when a node's new public certificate is trusted.
  - Removes certificates by certificate, alias or fingerprint with O(state=absent); with O(exclusive=true), removes
    every trusted certificate not listed. Private-key and secret-key entries of the file are never touched.
  - A CA certificate that has already expired is imported as asked, with a warning.
  - Text around PEM blocks (comments, trailing garbage) is ignored, as OpenSSL does. A block whose END line is
    missing (a bundle cut short) or whose content is not a certificate fails the task, and nothing is written.
  - A certificate file or keystore larger than 32 MiB is refused, which bounds the memory a task uses.
author:
  - carbon.keystores developers (@carbon-keystores)
requirements:
  - On the Ansible controller (or in the execution environment), the Python packages C(cryptography>=42.0.0) and C(pyjks>=20.0.0).
  - On the managed host, the Python Ansible itself needs, nothing else.
extends_documentation_fragment:
  - carbon.keystores.keystore.WRITES
  - carbon.keystores.keystore.TRANSPORT
  - carbon.keystores.keystore
  - carbon.keystores.keystore.FILES
  - carbon.keystores.keystore.IN_MEMORY
  - ansible.builtin.files
attributes:
  idempotent:
    support: full
    description: A second run with the same certificates reports no change.
options:
  old_password:
    description:
      - The current store password, when O(password) is a new one. Used only if O(password) does not open the file;
        the truststore is then written with O(password), every entry kept.
      - A rerun, when O(password) already opens the file, changes nothing.
    type: str
    version_added: 0.3.0
  certificates:
    description:
      - Certificates to import (or, with O(state=absent), to remove). Each item is the path of a PEM file or bundle on
        the controller (on the managed host with O(remote_src=true)), inline PEM, or a dictionary with C(certificate)
        (path or inline PEM of one certificate) and C(alias).
    type: list
    elements: raw
    default: []
  state:
    description:
      - V(present) imports O(certificates); V(absent) removes O(certificates), O(aliases) and O(fingerprints).
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(state=present), remove every trusted certificate that is not in O(certificates). Key entries stay.
    type: bool
    default: false
  aliases:
    description:
      - With O(state=absent), trusted certificates to remove by alias.
    type: list
    elements: str
    default: []
  fingerprints:
    description:
      - With O(state=absent), trusted certificates to remove by SHA-256 fingerprint (with or without colons).
    type: list
    elements: str
    default: []
  remote_src:
    description:
      - Read the paths in O(certificates) on the managed host instead of the controller.
    type: bool
    default: false
  pkcs12_encryption:
    description:
      - Protection of a PKCS12 truststore, as in M(carbon.keystores.keystore).
    type: str
    choices: [modern, legacy]
seealso:
  - module: carbon.keystores.keystore
  - module: carbon.keystores.keystore_info
'''

EXAMPLES = r'''
- name: Trust the system CA bundle in the product's truststore (one task, one write)
  carbon.keystores.truststore:
    path: /opt/wso2is/repository/resources/security/client-truststore.jks
    password: "{{ vault_truststore_password }}"
    certificates:
      - /etc/ssl/certs/ca-certificates.crt
    remote_src: true

- name: Trust a node's new public certificate under a fixed alias, replacing the old one
  carbon.keystores.truststore:
    path: /opt/wso2am/repository/resources/security/client-truststore.jks
    password: "{{ vault_truststore_password }}"
    certificates:
      - alias: wso2carbon
        certificate: files/apim-public.pem

- name: Remove a retired CA
  carbon.keystores.truststore:
    path: /opt/wso2mi/repository/resources/security/client-truststore.jks
    password: "{{ vault_truststore_password }}"
    state: absent
    aliases: [old-corporate-ca]
'''

RETURN = r'''
content:
  description: With O(in_memory=true), base64 of the resulting truststore (the given one when nothing changed).
  returned: when O(in_memory=true)
  type: str
  version_added: 0.3.0
path:
  description: The truststore file.
  returned: always
  type: str
  sample: /opt/wso2is/repository/resources/security/client-truststore.jks
type:
  description: The truststore type.
  returned: always
  type: str
  sample: jks
changes:
  description: What changed, one sentence each.
  returned: always
  type: list
  elements: str
  sample: ["added 3 trusted certificates"]
added:
  description: Certificates added.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The alias the certificate is trusted under.
      type: str
      sample: digicert-global-root-g2
    subject:
      description: Subject of the certificate, as keytool prints it.
      type: str
      sample: CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US
    fingerprint_sha256:
      description: SHA-256 fingerprint, as keytool prints it.
      type: str
      sample: "CB:3C:...:F5"
    not_after:
      description: End of the certificate's validity (ISO 8601, UTC).
      type: str
      sample: "2038-01-15T12:00:00Z"
already_present:
  description: Requested certificates that were already trusted, with the alias they are trusted under.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The alias the certificate is trusted under.
      type: str
      sample: digicert-global-root-g2
    subject:
      description: Subject of the certificate, as keytool prints it.
      type: str
      sample: CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US
    fingerprint_sha256:
      description: SHA-256 fingerprint, as keytool prints it.
      type: str
      sample: "CB:3C:...:F5"
    not_after:
      description: End of the certificate's validity (ISO 8601, UTC).
      type: str
      sample: "2038-01-15T12:00:00Z"
replaced:
  description: Certificates that replaced another under the same alias (an explicit alias names what belongs there now).
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The alias the certificate is trusted under.
      type: str
      sample: digicert-global-root-g2
    subject:
      description: Subject of the certificate, as keytool prints it.
      type: str
      sample: CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US
    fingerprint_sha256:
      description: SHA-256 fingerprint, as keytool prints it.
      type: str
      sample: "CB:3C:...:F5"
    not_after:
      description: End of the certificate's validity (ISO 8601, UTC).
      type: str
      sample: "2038-01-15T12:00:00Z"
    previous_fingerprint_sha256:
      description: SHA-256 fingerprint of the certificate that was under the alias before.
      type: str
      sample: "1F:0A:...:77"
removed:
  description: Certificates removed.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The alias the certificate is trusted under.
      type: str
      sample: digicert-global-root-g2
    subject:
      description: Subject of the certificate, as keytool prints it.
      type: str
      sample: CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US
    fingerprint_sha256:
      description: SHA-256 fingerprint, as keytool prints it.
      type: str
      sample: "CB:3C:...:F5"
    not_after:
      description: End of the certificate's validity (ISO 8601, UTC).
      type: str
      sample: "2038-01-15T12:00:00Z"
trusted_count:
  description: Number of trusted-certificate entries after the task.
  returned: always
  type: int
  sample: 144
'''
