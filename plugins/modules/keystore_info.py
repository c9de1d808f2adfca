#!/usr/bin/python
# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: keystore_info
short_description: Describe every entry of a JKS, PKCS12 or JCEKS keystore, with findings
version_added: 0.1.0
description:
  - Reads a keystore of any supported type (detected from its content) and describes every entry with its alias,
    kind, subject, issuer, serial, validity and days left, SHA-256 and SHA-1 fingerprints, key type and size,
    signature algorithm, key usage, extended key usage, subject alternative names and, for private keys, the chain.
  - Adds findings an operator should act on, namely expired certificates, certificates expiring within
    O(expiry_warning_days), RSA keys under 2048 bits, SHA-1 or MD5 signatures, a key password that differs from
    the store password, and a key entry without the Data Encipherment key usage WSO2 needs on the primary keystore.
author:
  - carbon.keystores developers (@carbon-keystores)
requirements:
  - On the Ansible controller (or in the execution environment), the Python packages C(cryptography>=42.0.0) and C(pyjks>=20.0.0).
  - On the managed host, the Python Ansible itself needs, nothing else.
extends_documentation_fragment:
  - carbon.keystores.keystore.READS
  - carbon.keystores.keystore.TRANSPORT
  - carbon.keystores.keystore
options:
  key_password:
    description:
      - A key password to try on key entries that the store password does not open. Only used to report
        whether a key opens; certificates are described without it.
    type: str
  expiry_warning_days:
    description:
      - Report certificates that expire within this many days.
    type: int
    default: 30
seealso:
  - module: carbon.keystores.keystore
'''

EXAMPLES = r'''
- name: Describe the JDK's cacerts
  carbon.keystores.keystore_info:
    path: /usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts
    password: changeit
  register: cacerts

- name: Fail when the TLS keystore expires within 30 days
  carbon.keystores.keystore_info:
    path: /opt/wso2is/repository/resources/security/wso2carbon.jks
    password: "{{ vault_keystore_password }}"
    expiry_warning_days: 30
  register: tls
  failed_when: tls.findings | selectattr('code', 'in', ['expired', 'expiring']) | list | length > 0
'''

RETURN = r'''
path:
  description: The keystore file.
  returned: always
  type: str
  sample: /opt/wso2is/repository/resources/security/wso2carbon.jks
type:
  description: The keystore type read from the content (jks, pkcs12 or jceks).
  returned: always
  type: str
  sample: jks
pkcs12_encryption:
  description: For PKCS12, V(modern) or V(legacy) protection (see the keystore module); absent for other schemes.
  returned: when the keystore is PKCS12 with a known scheme
  type: str
  sample: modern
entries:
  description: Every entry of the keystore, in file order.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The entry's alias.
      type: str
      sample: wso2carbon
    kind:
      description: V(private_key), V(trusted_certificate) or V(secret_key).
      type: str
      sample: private_key
    subject:
      description: Subject of the (leaf) certificate, as keytool prints it.
      type: str
      sample: CN=localhost, O=WSO2, L=Mountain View, ST=CA, C=US
    issuer:
      description: Issuer of the certificate.
      type: str
      sample: CN=localhost, O=WSO2, L=Mountain View, ST=CA, C=US
    serial:
      description: Serial number in hexadecimal.
      type: str
      sample: 6a2b3c
    not_before:
      description: Start of validity, ISO 8601 UTC.
      type: str
      sample: "2024-01-01T00:00:00Z"
    not_after:
      description: End of validity, ISO 8601 UTC.
      type: str
      sample: "2034-01-01T00:00:00Z"
    days_left:
      description: Whole days until the certificate expires (negative once expired).
      type: int
      sample: 2596
    expired:
      description: Whether the certificate has expired.
      type: bool
      sample: false
    fingerprint_sha256:
      description: SHA-256 fingerprint, upper-case hex pairs joined by colons, as keytool prints it.
      type: str
      sample: "3A:9F:...:0C"
    fingerprint_sha1:
      description: SHA-1 fingerprint in the same form.
      type: str
      sample: "1B:2C:...:9D"
    key_type:
      description: Public key algorithm (rsa, ec, dsa, ed25519, ed448).
      type: str
      sample: rsa
    key_size:
      description: Key size in bits (curve size for EC).
      type: int
      sample: 2048
    signature_algorithm:
      description: Signature algorithm of the certificate.
      type: str
      sample: sha256WithRSAEncryption
    key_usage:
      description: Key usages (empty when the certificate has no Key Usage extension).
      type: list
      elements: str
      sample: [digitalSignature, keyEncipherment, dataEncipherment]
    extended_key_usage:
      description: Extended key usages.
      type: list
      elements: str
      sample: [serverAuth, clientAuth]
    subject_alt_names:
      description: Subject alternative names, such as C(DNS:host) or C(IP:10.0.0.5).
      type: list
      elements: str
      sample: ["DNS:localhost"]
    self_signed:
      description: Whether subject and issuer are the same.
      type: bool
      sample: true
    unparsed:
      description:
        - For a trusted certificate that cannot be parsed here (the JDK may still read it), why. Only the
          fingerprints are known then; subject, issuer, serial, dates, key size and days left are null.
        - Absent for every certificate that parses.
      type: str
      returned: when the certificate cannot be parsed
      version_added: 0.4.0
    chain_length:
      description: For private keys, the number of certificates in the chain.
      type: int
      sample: 1
    chain:
      description: For private keys, each certificate of the chain described like the entry, leaf first.
      type: list
      elements: dict
    algorithm:
      description: For secret keys, the key algorithm where the format records it.
      type: str
      sample: AES
findings:
  description: What an operator should look at; empty when nothing was found.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The entry concerned.
      type: str
      sample: wso2carbon
    code:
      description: >-
        V(expired), V(expiring), V(weak_rsa_key), V(weak_signature), V(key_password_differs),
        V(no_data_encipherment) or V(unparsed_certificate) (a trusted certificate the collection cannot parse, which
        the JDK may still read; the entry is kept, its expiry unknown; added in 0.4.0).
      type: str
      sample: expiring
    severity:
      description: V(error) or V(warning).
      type: str
      sample: warning
    message:
      description: One sentence saying what was found and why it matters.
      type: str
      sample: The certificate of 'wso2carbon' expires on 2026-12-01T00:00:00Z, in 9 days.
'''
