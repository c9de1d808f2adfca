#!/usr/bin/python
# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: product_info
short_description: The keystores a WSO2 product home uses, described, with findings against WSO2's rules
version_added: 0.1.0
description:
  - Reads a WSO2 product home and reports which configuration file the product reads (Enterprise Integrator
    C(conf/ei.toml), else C(conf/deployment.toml)), and the keystore settings it uses per purpose (the keystore
    tables of RV(purposes)) after WSO2's defaults and C($ref{}) fallbacks, as the product's config tool applies
    them. For Identity Server it also reports the TLS connector's
    C(transport.https.sslHostConfig) properties.
  - Opens each keystore and describes its entries as M(carbon.keystores.keystore_info) does. A keystore whose
    password is a C($secret{}), C($env{}) or C($sys{}) placeholder is reported as unknown, never as wrong.
  - Reports findings against WSO2's documentation, namely the pack's default keystore still in use, a key password
    that differs from the store password where the product needs them equal, no Data Encipherment on the
    primary certificate, a keystore outside the security folder, a certificate expiring within
    O(expiry_warning_days), the TLS certificate missing from the truststore, missing files and aliases.
  - Passwords are never returned; each is described as V(set), V(default) or V(unknown).
  - With O(internal_keystore_password), C($secret{}) values are decrypted from the secure vault, as the server does
    (see M(carbon.keystores.secure_vault)); a store password written in clear text is a finding.
  - A keystore reached through a symbolic link is judged where the link points.
  - Reads the configuration file, the secure vault's C(secret-conf.properties) and every keystore of the security
    folder in one module run on the managed host.
author:
  - carbon.keystores developers (@carbon-keystores)
requirements:
  - On the Ansible controller (or in the execution environment), the Python packages C(cryptography>=42.0.0), C(pyjks>=20.0.0) and C(tomlkit>=0.12.0).
  - On the managed host, the Python Ansible itself needs, nothing else.
extends_documentation_fragment:
  - carbon.keystores.keystore.READS
  - carbon.keystores.keystore.TRANSPORT
options:
  product:
    description:
      - The product installed in O(home).
    type: str
    required: true
    choices: [identity_server, api_manager, micro_integrator, enterprise_integrator]
  home:
    description:
      - The product home on the managed host (the folder that holds C(repository/) or C(conf/)).
    type: path
    required: true
  version:
    description:
      - The product version, where defaults differ between versions (Identity Server 7.1 and later use PKCS12
        keystores; Micro Integrator 1.2 reads names after the security folder and hard-codes its internal keystore,
        4.x reads them from the home and has no C([keystore.tls]); Enterprise Integrator 7 hard-codes its internal
        keystore too). When not given, the home decides, Micro
        Integrator by its config tool's C(repository/resources/conf/default.json), Identity Server by the primary
        keystore its configuration names, else which default keystore its security folder holds; RV(profile) says
        which profile applied.
    type: str
  expiry_warning_days:
    description:
      - Report certificates that expire within this many days.
    type: int
    default: 30
  return_secrets:
    description:
      - Also return each purpose's C(password) and C(key_password) in RV(secrets), for a flow that must carry them
        over (the product roles do, to keep the existing keystore as the internal one). Register the result with
        C(no_log=true).
    type: bool
    default: false
  return_content:
    description:
      - Also return, in RV(contents), the bytes of every file read (base64) with their SHA-256, so that later
        tasks pass them to O(carbon.keystores.toml_file#module:read_from) (and the same option of
        M(carbon.keystores.keystore) and M(carbon.keystores.truststore)) instead of reading the files again.
        The config file holds passwords, so register the result with C(no_log=true).
    type: bool
    default: false
    version_added: 0.2.0
  internal_keystore_password:
    description:
      - The internal keystore's password, to decrypt the C($secret{alias}) values of the configuration from its
        C([secrets]) table, with the internal key, as the server does at start (the transformation as
        C(secret-conf.properties) names it). The keystores whose passwords are such references are then opened and
        judged like the others.
      - Without it, such a password is reported as unknown, never as wrong.
    type: str
    version_added: 0.3.0
  read_also:
    description:
      - Shell patterns of the names of files of the security folder whose contents are read and returned in
        RV(contents) besides the stores the configuration names and the product's default ones. Every other file of
        the folder is listed by name and size only, so that a folder full of old copies costs no memory.
      - The product roles give their cluster keystores' names (C(wso2is.*), C(wso2is-*)).
    type: list
    elements: str
    default: []
    version_added: 0.4.0
  https_port:
    description:
      - The port where the node serves HTTPS (9443 for a pack's defaults). With it, the controller connects there and
        compares the certificate served with the one the configuration names for TLS (RV(served)). A node not
        restarted after its keystore changed, or a keystore replaced by hand, is the finding
        V(served_certificate_differs). Nothing answering is V(served_unreachable).
      - The handshake trusts whatever is served; it compares fingerprints, it does not judge trust.
    type: int
    version_added: 0.4.0
  https_host:
    description: The address to connect to for O(https_port). Default, the host's C(ansible_host), else its name.
    type: str
    version_added: 0.4.0
  overlay:
    description:
      - Files to judge as if the host held them, instead of what it holds (each replaces the file at its path, or adds
        it). The product roles judge in check mode, this way, the home as their write would leave it, so that
        C(--check) predicts what the real run verifies.
    type: list
    elements: dict
    default: []
    version_added: 0.4.0
    suboptions:
      path:
        description: The file's path on the managed host, as the home names it.
        type: str
        required: true
      content:
        description: Base64 of the bytes to judge at that path.
        type: str
        required: true
seealso:
  - module: carbon.keystores.keystore_info
  - module: carbon.keystores.toml_file
'''

EXAMPLES = r'''
- name: What keystores does this Identity Server use, and what is wrong with them?
  carbon.keystores.product_info:
    product: identity_server
    home: /opt/wso2is-7.0.0
    version: 7.0.0
  register: is_keystores

- name: Fail when the pack's default keystore is still in use
  ansible.builtin.assert:
    that: is_keystores.findings | selectattr('code', 'equalto', 'pack_default_keystore') | list | length == 0
    fail_msg: Replace the default wso2carbon keystore before going to production.
'''

RETURN = r'''
product:
  description: The product, as given.
  returned: always
  type: str
  sample: identity_server
profile:
  description: The product profile applied (product and version range).
  returned: always
  type: str
  sample: Identity Server 7.1 and later
default_keystore_type:
  description: The type of the product's own keystores in that profile; what a new keystore gets when nothing says otherwise.
  returned: always
  type: str
  sample: PKCS12
  version_added: 0.3.0
home:
  description: The product home.
  returned: always
  type: str
  sample: /opt/wso2is
config_file:
  description: The configuration file the product reads.
  returned: always
  type: str
  sample: /opt/wso2is/repository/conf/deployment.toml
security_dir:
  description: The product's security folder, relative to the home, where its keystores belong.
  returned: always
  type: str
  sample: repository/resources/security
  version_added: 0.4.0
purposes:
  description:
    - Per purpose the product reads (the entries below; each names its configuration table), the effective settings
      after WSO2's defaults and C($ref{}) fallbacks. Passwords are never returned here, only their state.
  returned: always
  type: dict
  contains:
    primary:
      description: The primary keystore (signing, and the fallback of the others).
      type: dict
      contains:
        table:
          description: The configuration table, such as C(keystore.primary).
          type: str
        configured_in_file:
          description: Whether the file sets any key of the table (otherwise every value is a default).
          type: bool
        file_name:
          description: The effective C(file_name), as the product reads it.
          type: str
          sample: wso2carbon.jks
        type:
          description: The effective C(type).
          type: str
          sample: JKS
        alias:
          description: The effective C(alias) (not for the truststore).
          type: str
        password_state:
          description: V(set), V(default) (the pack's documented password) or V(unknown) with the reason (a placeholder).
          type: str
          sample: default
        key_password_state:
          description: The same for C(key_password) (not for the truststore).
          type: str
        path:
          description: The keystore file on the managed host.
          type: str
          sample: /opt/wso2is/repository/resources/security/wso2carbon.jks
        inside_security_folder:
          description: Whether RV(purposes.primary.path) is in C(repository/resources/security).
          type: bool
        inside_home:
          description: Whether RV(purposes.primary.path) is inside the home.
          type: bool
        realpath:
          description: Where the file really is, when it is a symbolic link that leaves the security folder.
          type: str
          returned: when the file is such a link
        keystore_status:
          description: V(ok), V(missing), V(unknown) (its password cannot be read back) or V(error).
          type: str
        fingerprint_sha256:
          description: SHA-256 fingerprint of the certificate of the key entry the alias names.
          type: str
          returned: when that entry was found
        chain_fingerprints_sha256:
          description: SHA-256 fingerprints of that entry's chain, leaf to root.
          type: list
          elements: str
          returned: when that entry was found
          version_added: 0.3.0
        public_key_sha256:
          description: SHA-256 of that entry's public key; it stays when a certificate is renewed for the same key.
          type: str
          returned: when that entry was found
          version_added: 0.3.0
        certificate_pem:
          description: That certificate in PEM.
          type: str
          returned: when that entry was found
        subject:
          description: Its subject, as keytool prints it.
          type: str
          returned: when that entry was found
        not_after:
          description: Its expiry (ISO 8601, UTC).
          type: str
          returned: when that entry was found
        days_left:
          description: Whole days until it expires.
          type: int
          returned: when that entry was found
    internal:
      description: >-
        The internal keystore (encrypts the product's data; never replace its key); as RV(purposes.primary).
      type: dict
    tls:
      description: >-
        The keystore the server presents on TLS; as RV(purposes.primary).
      type: dict
    saml:
      description: >-
        The keystore Identity Server signs SAML assertions and responses with (C([keystore.saml]); without that
        table, the primary keystore); as RV(purposes.primary).
      type: dict
      returned: for Identity Server 5.11.0 and later
    oauth:
      description: >-
        The keystore Identity Server signs OAuth tokens with: the C([[keystore.custom]]) element
        C([keystore.mapping.oauth]) names, else the primary keystore; as RV(purposes.primary).
      type: dict
      returned: for Identity Server 5.11.0 and later
    ws_federation:
      description: >-
        The keystore Identity Server signs WS-Federation tokens with: the C([[keystore.custom]]) element
        C([keystore.mapping.ws_federation]) names, else the primary keystore; as RV(purposes.primary).
      type: dict
      returned: for Identity Server 5.11.0 and later
    ws_trust:
      description: >-
        The keystore Identity Server signs WS-Trust tokens with: the C([[keystore.custom]]) element
        C([keystore.mapping.ws_trust]) names, else the primary keystore; as RV(purposes.primary).
      type: dict
      returned: for Identity Server 5.11.0 and later
    truststore:
      description: >-
        The truststore; as RV(purposes.primary) without C(alias) and the key fields, with C(alias) and
        C(algorithm) where the product has them (Micro Integrator, Enterprise Integrator).
      type: dict
    tenant:
      description: >-
        The type of new tenants' keystores (C(table), C(configured_in_file), C(type)).
      type: dict
      returned: for Identity Server
keystores:
  description:
    - Per keystore path (a purpose's RV(purposes.primary.path)), what was found there, with C(status) (V(ok), V(missing),
      V(unknown) or V(error)); when opened, also C(type), C(sha256) of the file, and C(entries) and C(findings)
      as RV(carbon.keystores.keystore_info#module:entries) and RV(carbon.keystores.keystore_info#module:findings)
      describe them; on V(error), C(error) (the sentence).
  returned: always
  type: dict
  sample: {"/opt/wso2is/repository/resources/security/wso2carbon.jks": {"status": "ok", "type": "jks", "sha256": "9f...",
           "entries": [], "findings": []}}
config_tables:
  description:
    - The keystore tables of RV(purposes) (C(keystore.primary), C(truststore), ...) as the file writes them,
      without product defaults; secret values are masked as
      C(********) unless O(return_secrets=true).
  returned: always
  type: dict
  version_added: 0.2.0
  sample: {"keystore.tls": {"file_name": "wso2is.jks", "type": "JKS", "alias": "wso2is", "password": "********"}}
contents:
  description:
    - Per path read, per keystore-like file of the security folder, and for the secure vault's
      C(secret-conf.properties) (with O(return_secrets), also C(password-persist) and C(password-tmp) of the home),
      C(sha256) and base64 C(content)
      (C(sha256=absent) for a file that does not exist, C(sha256=unread) for a file of the security folder listed by
      name only, see O(read_also)), in the form O(carbon.keystores.toml_file#module:read_from) takes, and the C(mode)
      of a file that exists.
  returned: when O(return_content=true)
  type: dict
  version_added: 0.2.0
folders:
  description:
    - The folders a write to this home may need (the home, its security folder, the configuration's folder and its
      secure vault's, the folder of each store), each with C(kind) (V(directory), V(missing), ...) and C(writable)
      (whether the account the read ran as can create files in it). The product roles refuse, before any write, a
      write into a folder that is missing or not writable.
  returned: always
  type: dict
  version_added: 0.4.0
  sample: {"/opt/wso2is/repository/conf/security": {"kind": "directory", "writable": true}}
links:
  description:
    - Every path read below the home that is a symbolic link, or lies in a folder reached through one, with where it
      really is. The product roles refuse, before any write, a write to such a path; the home itself may be a link.
  returned: always
  type: dict
  version_added: 0.4.0
  sample: {"/opt/wso2is/repository/resources/security/wso2is.jks": "/etc/shadow"}
secrets:
  description: Per purpose, C(password) and C(key_password) as the product would use them (placeholders unresolved).
  returned: when O(return_secrets=true)
  type: dict
tls_connector:
  description:
    - Identity Server only, the TLS connector's effective properties (C(transport.https.sslHostConfig.*)), by their
      last name (such as C(certificateKeystoreFile)), passwords as states (V(set), V(default), V(unknown)).
  returned: when O(product=identity_server)
  type: dict
served:
  description: With O(https_port), what the node serves there against what its configuration names.
  returned: when O(https_port) is given
  type: dict
  version_added: 0.4.0
  contains:
    address:
      description: host:port connected to.
      type: str
    status:
      description: V(ok), or V(unreachable) (C(error) says why).
      type: str
    fingerprint_sha256:
      description: SHA-256 of the certificate served.
      type: str
    configured_fingerprint_sha256:
      description: SHA-256 of the certificate the TLS purpose's keystore holds under its alias.
      type: str
    matches:
      description: Whether they are the same certificate.
      type: bool
findings:
  description:
    - Findings against WSO2's rules; empty when there is nothing to look at.
    - The codes are a contract. A minor release may add codes; none is renamed or removed before a major release.
  returned: always
  type: list
  elements: dict
  contains:
    purpose:
      description: The purpose concerned.
      type: str
      sample: tls
    code:
      description:
        - What was found. Of the product home
          V(missing_file) (the keystore a purpose names does not exist),
          V(cannot_open) (wrong password, damaged file, unsupported type),
          V(type_mismatch) (the configured C(type) is not the file's),
          V(outside_security_folder) (WSO2 wants every keystore in C(repository/resources/security)),
          V(outside_home) (on Micro Integrator, a keystore outside the home),
          V(pack_default_keystore) (the pack's documented default password),
          V(key_password_mismatch) (C(key_password) differs from C(password) where the product needs them equal),
          V(alias_missing) (no private key entry under the configured alias),
          V(tls_not_trusted) (the TLS certificate is not in the product's truststore),
          V(plaintext_password) (a store password written in clear text in the configuration, not a C($secret{})
          reference),
          V(secret_unresolved) (with O(internal_keystore_password), a C($secret{}) value that does not decrypt, or the
          internal keystore that does not open with that password),
          V(password_unknown) (a store whose password cannot be read back, a C($secret{}) reference without
          O(internal_keystore_password) or one that does not resolve, C($env{}) or C($sys{}); its entries and expiry
          are unknown; added in 0.4.0),
          V(served_certificate_differs) and V(served_unreachable) (with O(https_port); added in 0.4.0).
        - Of the keystore's entries, as M(carbon.keystores.keystore_info) reports them
          V(expired), V(expiring), V(weak_rsa_key), V(weak_signature), V(key_password_differs),
          V(no_data_encipherment) (on the primary keystore only), V(unparsed_certificate) (added in 0.4.0).
      type: str
      sample: pack_default_keystore
    severity:
      description: V(error) (the product will not work, or WSO2 forbids it) or V(warning).
      type: str
      sample: warning
    message:
      description: One sentence naming the file and the cause.
      type: str
      sample: The tls keystore still uses the pack's documented default password; replace it with a keystore of your own.
    alias:
      description: The entry concerned; for V(secret_unresolved), the C([secrets]) alias that does not resolve.
      type: str
      returned: when the finding is about one entry, or one secret
'''
