#!/usr/bin/python
# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: keystore
short_description: One private-key entry of a JKS or PKCS12 keystore, generated or imported
version_added: 0.1.0
description:
  - Ensures one private-key entry (a key and its certificate chain) in a JKS or PKCS12 keystore, as WSO2
    products use for their primary, internal and TLS keystores.
  - Generates a key (RSA 2048/3072/4096 or EC P-256/P-384) with a self-signed SHA-256 certificate, or imports
    a PEM private key with its certificate and chain, the C(openssl pkcs12 -export) case of WSO2's
    documentation. Every other entry of the file is kept as it was.
  - Idempotent by meaning, never by bytes (a keystore's salts differ on every save). An existing entry that
    differs from the request is never replaced silently; see O(regenerate).
  - Changes the store password or the key password, given the old one.
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
    support: partial
    description: A second run with the same options reports no change.
    details: Not with O(regenerate=always), which replaces the key on every run.
options:
  key_password:
    description:
      - Password of the entry's private key. Defaults to O(password).
      - WSO2 needs it equal to O(password) for TLS keystores and for every API Manager keystore.
      - A PKCS12 keystore protects keys with the store password, so it must equal O(password) there.
    type: str
  old_password:
    description:
      - The current store password, when O(password) is a new one. Used only if O(password) does not open the file.
    type: str
  old_key_password:
    description:
      - The current key password of the entry, when O(key_password) is a new one (JKS).
    type: str
  alias:
    description:
      - Alias of the private-key entry. Java keeps aliases in lower case, so does this module.
    type: str
    required: true
  state:
    description:
      - V(present) ensures the entry; V(absent) removes it (other entries stay).
    type: str
    choices: [present, absent]
    default: present
  subject:
    description:
      - Subject of a generated self-signed certificate, as WSO2's dname string
        (C(CN=is.example.org, OU=IAM, O=Example, L=Colombo, S=Western, C=LK); C(S) and C(ST) are both accepted
        and the order is kept as keytool shows it) or as a dictionary (C(CN), C(OU), C(O), C(L), C(ST), C(C)).
      - Required to generate a key. Compared with an existing entry only when given.
    type: raw
  subject_alt_names:
    description:
      - Subject alternative names of a generated certificate, such as C(DNS:is.example.org) or C(IP:10.0.0.5).
      - Compared with an existing entry only when given.
    type: list
    elements: str
  key_type:
    description:
      - Type of a generated key. V(rsa) when not given. Compared with an existing entry only when given.
    type: str
    choices: [rsa, ec]
  key_size:
    description:
      - Size of a generated key; 2048, 3072 or 4096 for RSA (2048 when not given), 256 or 384 for EC
        (P-256 when not given). Compared with an existing entry only when given.
    type: int
    choices: [2048, 3072, 4096, 256, 384]
  valid_days:
    description:
      - Validity of a generated or renewed self-signed certificate, in days.
    type: int
    default: 3650
  key_usage:
    description:
      - Key usage of a generated certificate. When not given, V(digitalSignature), V(keyEncipherment) and
        V(dataEncipherment); WSO2 needs Data Encipherment on the primary keystore's certificate.
    type: list
    elements: str
    choices: [digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign, encipherOnly, decipherOnly]
  extended_key_usage:
    description:
      - Extended key usage of a generated certificate. When not given, V(serverAuth) and V(clientAuth).
    type: list
    elements: str
    choices: [serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, OCSPSigning]
  regenerate:
    description:
      - What to do when the entry exists and differs from the request (another subject, key size, SANs, or
        another imported key or chain).
      - V(fail) stops with the list of differences and changes nothing.
      - V(never) keeps the entry and warns.
      - V(when_different) replaces the key (generating a new one or importing the given one).
      - V(always) replaces the key on every run (not idempotent).
      - Replacing the key of WSO2's internal keystore makes already encrypted data unreadable.
    type: str
    choices: [never, fail, when_different, always]
    default: fail
  renew_before_days:
    description:
      - Renew a self-signed certificate that expires within this many days, keeping its key (so data
        encrypted with it stays readable). A CA-signed certificate that expires fails the task instead.
    type: int
  private_key:
    description:
      - A private key to import, in PEM (PKCS#8, PKCS#1 or SEC1, encrypted or not), given inline or as the
        path of a file on the controller (on the managed host with O(remote_src=true)).
    type: str
  private_key_passphrase:
    description:
      - Passphrase of an encrypted O(private_key).
    type: str
  certificate:
    description:
      - The certificate of O(private_key) in PEM, inline or as a path; it may be followed by its chain.
    type: str
  chain:
    description:
      - Intermediate and root certificates in PEM, inline or as paths (bundles allowed). Ordered leaf to root
        on import whatever the order given.
      - With O(ca_reply), certificates that may complete the reply's chain.
    type: list
    elements: str
  remote_src:
    description:
      - Read the paths in O(private_key), O(certificate) and O(chain) on the managed host instead of the controller.
    type: bool
    default: false
  pkcs12_encryption:
    description:
      - Protection of a PKCS12 file. V(modern) is what keytool writes since Java 8u301, 11.0.12 and 17 (AES-256,
        PBKDF2-HMAC-SHA256, HMAC-SHA256 MAC). V(legacy) is readable by Java 8 builds before 8u301 (Triple DES,
        HMAC-SHA1 MAC).
      - When not given, an existing file keeps its protection and a new one is V(modern). When given and the
        file uses the other one, the file is rewritten.
    type: str
    choices: [modern, legacy]
  csr_path:
    description:
      - Write a certificate signing request (PKCS#10, PEM) for the entry's key to this path, for a CA to sign.
        The subject, subject alternative names, key usage and extended key usage are the options given, else
        those of the entry's current certificate.
      - Written only when missing or different (another key, subject or extensions); the request is also
        returned as RV(csr).
    type: path
  csr_dest:
    description:
      - Where O(csr_path) is, on the managed V(host) or on the V(controller).
    type: str
    choices: [host, controller]
    default: host
  ca_reply:
    description:
      - The CA's reply to import for the existing entry, in PEM, inline or as a path (on the controller, or on the
        managed host with O(remote_src=true)); one certificate or a full chain, in any order.
      - The key stays; the chain is replaced and ordered leaf to root, each certificate verified against the next.
        Missing intermediates and roots are taken from the keystore's own trusted entries and from
        O(chain_truststore). When the chain cannot be completed to a self-signed root, the task fails naming the
        missing issuer and nothing changes. A reply without a certificate for the entry's key fails too.
    type: str
  chain_truststore:
    description:
      - A keystore on the managed host (such as the product's C(client-truststore.jks)) whose trusted
        certificates may complete the chain of O(ca_reply).
    type: path
  chain_truststore_password:
    description:
      - Store password of O(chain_truststore).
    type: str
seealso:
  - module: carbon.keystores.keystore_info
  - module: carbon.keystores.truststore
  - name: WSO2 - Creating new keystores
    description: The keytool and openssl procedures this module replaces.
    link: https://apim.docs.wso2.com/en/latest/install-and-setup/setup/security/configuring-keystores/keystore-basics/creating-new-keystores/
'''

EXAMPLES = r'''
- name: A new primary keystore for Identity Server, like keytool -genkey in WSO2's docs
  carbon.keystores.keystore:
    path: /opt/wso2is/repository/resources/security/newkeystore.jks
    password: "{{ vault_keystore_password }}"
    alias: newcert
    subject: "CN=is.example.org, OU=Home, O=Home, L=SL, S=WS, C=LK"
    subject_alt_names:
      - DNS:is.example.org
      - DNS:localhost
    key_size: 2048

- name: Import a CA-signed key pair, like openssl pkcs12 -export, into a PKCS12 keystore
  carbon.keystores.keystore:
    path: /opt/wso2am/repository/resources/security/tls.p12
    password: "{{ vault_keystore_password }}"
    alias: apim
    private_key: files/apim.key
    certificate: files/apim.crt
    chain:
      - files/intermediate-and-root.pem

- name: Renew the internal keystore's self-signed certificate a month before expiry, keeping its key
  carbon.keystores.keystore:
    path: /opt/wso2mi/repository/resources/security/internal.jks
    password: "{{ vault_keystore_password }}"
    alias: internal
    renew_before_days: 30

- name: A CSR for the TLS key, fetched to the controller for the CA
  carbon.keystores.keystore:
    path: /opt/wso2am/repository/resources/security/tls.jks
    password: "{{ vault_keystore_password }}"
    alias: apim
    csr_path: "{{ playbook_dir }}/csr/{{ inventory_hostname }}.csr"
    csr_dest: controller

- name: Import the CA's reply; intermediates and root may come from the product's truststore
  carbon.keystores.keystore:
    path: /opt/wso2am/repository/resources/security/tls.jks
    password: "{{ vault_keystore_password }}"
    alias: apim
    ca_reply: files/apim-signed.pem
    chain_truststore: /opt/wso2am/repository/resources/security/client-truststore.jks
    chain_truststore_password: "{{ vault_truststore_password }}"

- name: Change the store and key password of a JKS keystore
  carbon.keystores.keystore:
    path: /opt/wso2ei/repository/resources/security/wso2carbon.jks
    old_password: wso2carbon
    password: "{{ vault_keystore_password }}"
    old_key_password: wso2carbon
    alias: wso2carbon
'''

RETURN = r'''
alias:
  description: The entry's alias, in lower case.
  returned: always
  type: str
  sample: wso2carbon
type:
  description: The keystore type.
  returned: always
  type: str
  sample: jks
path:
  description: The keystore file.
  returned: always
  type: str
  sample: /opt/wso2is/repository/resources/security/wso2carbon.jks
changes:
  description: What changed and why, one sentence each; empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample: ["created JKS keystore", "generated a new RSA 2048-bit key with a self-signed certificate for 'wso2carbon'"]
subject:
  description: Subject of the entry's certificate, as keytool prints it.
  returned: when the entry exists after the task
  type: str
  sample: CN=is.example.org, OU=Home, O=Home, L=SL, ST=WS, C=LK
issuer:
  description: Issuer of the entry's certificate.
  returned: when the entry exists after the task
  type: str
  sample: CN=is.example.org, OU=Home, O=Home, L=SL, ST=WS, C=LK
serial:
  description: Serial number of the certificate, in hexadecimal.
  returned: when the entry exists after the task
  type: str
  sample: 5b1c0e7d2a
not_before:
  description: Start of the certificate's validity (ISO 8601, UTC).
  returned: when the entry exists after the task
  type: str
  sample: "2026-11-22T00:00:00Z"
not_after:
  description: End of the certificate's validity (ISO 8601, UTC).
  returned: when the entry exists after the task
  type: str
  sample: "2036-11-20T00:00:00Z"
fingerprint_sha256:
  description: SHA-256 fingerprint of the certificate, as keytool prints it.
  returned: when the entry exists after the task
  type: str
  sample: "3A:9F:...:0C"
key_type:
  description: Key algorithm (rsa, ec, ...).
  returned: when the entry exists after the task
  type: str
  sample: rsa
key_size:
  description: Key size in bits (curve size for EC).
  returned: when the entry exists after the task
  type: int
  sample: 2048
subject_alt_names:
  description: Subject alternative names of the certificate.
  returned: when the entry exists after the task
  type: list
  elements: str
  sample: ["DNS:is.example.org", "IP:10.0.0.5"]
chain_length:
  description: Number of certificates in the entry's chain, leaf included.
  returned: when the entry exists after the task
  type: int
  sample: 1
chain_fingerprints_sha256:
  description: SHA-256 fingerprints of the entry's chain, leaf to root.
  returned: when the entry exists after the task
  type: list
  elements: str
  version_added: 0.3.0
public_key_sha256:
  description: SHA-256 of the entry's public key (SubjectPublicKeyInfo); the same for every certificate of one key.
  returned: when the entry exists after the task
  type: str
  version_added: 0.3.0
certificate_pem:
  description: The entry's certificate in PEM (public), for a truststore.
  returned: when the entry exists after the task
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIID...\n-----END CERTIFICATE-----\n"
csr:
  description: The certificate signing request (PEM), when O(csr_path) is given.
  returned: when csr_path is given
  type: str
  sample: "-----BEGIN CERTIFICATE REQUEST-----\nMIIC...\n-----END CERTIFICATE REQUEST-----\n"
content:
  description: With O(in_memory=true), base64 of the resulting keystore (the given one when nothing changed).
  returned: when O(in_memory=true)
  type: str
  version_added: 0.3.0
backup_file:
  description: The backup copy, when O(backup=true) and the file changed.
  returned: changed and backup requested
  type: str
  sample: /opt/wso2is/repository/resources/security/wso2carbon.jks.12345.2026-11-22@00:00:00~
'''
