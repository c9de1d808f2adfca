#!/usr/bin/python
# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: product_info
short_description: The keystores a WSO2 product home uses, described, with findings against WSO2's rules
version_added: 0.1.0
description:
  - Reads a WSO2 product home and reports which configuration file the product reads (Enterprise Integrator
    C(conf/ei.toml), else C(conf/deployment.toml)), and the keystore settings it uses per purpose (primary,
    internal, tls, truststore and, for Identity Server, tenant) after WSO2's defaults and C($ref{}) fallbacks, as
    the product's config tool applies them. For Identity Server it also reports the TLS connector's
    C(transport.https.sslHostConfig) properties.
  - Opens each keystore and describes its entries as M(carbon.keystores.keystore_info) does. A keystore whose
    password is a C($secret{}), C($env{}) or C($sys{}) placeholder is reported as unknown, never as wrong.
  - Reports findings against WSO2's documentation, namely the pack's default keystore still in use, a key password
    that differs from the store password where the product needs them equal, no Data Encipherment on the
    primary certificate, a keystore outside the security folder, a certificate expiring within
    I(expiry_warning_days), the TLS certificate missing from the truststore, missing files and aliases.
  - Passwords are never returned; each is described as C(set), C(default) or C(unknown).
  - A keystore reached through a symbolic link is judged where the link points.
  - Reads the configuration file and every keystore of the security folder in one module run on the managed host.
author:
  - carbon.keystores developers (@carbon-keystores)
extends_documentation_fragment:
  - carbon.keystores.keystore.READS
  - carbon.keystores.keystore.TRANSPORT
options:
  product:
    description:
      - The product installed in I(home).
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
        keystores). When not given, the newest profile of the product applies.
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
        C(no_log) set.
    type: bool
    default: false
  return_content:
    description:
      - Also return, in RV(contents), the bytes of every file read (base64) with their SHA-256, so that later
        tasks pass them to O(carbon.keystores.toml_file#module:read_from) (and the same option of
        M(carbon.keystores.keystore) and M(carbon.keystores.truststore)) instead of reading the files again.
        The config file holds passwords, so register the result with C(no_log) set.
    type: bool
    default: false
    version_added: 0.2.0
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
purposes:
  description:
    - Per purpose (C(primary), C(internal), C(tls), C(truststore), C(tenant)), the effective settings after WSO2's
      defaults and C($ref{}) fallbacks. Each holds C(table), C(configured_in_file), C(file_name), C(type), C(alias),
      C(password_state) and C(key_password_state) (C(set), C(default), or C(unknown) with the reason), C(path),
      C(inside_security_folder), C(inside_home), C(realpath) (when the file is a symbolic link to another
      folder), C(keystore_status) and, when the key entry was found,
      C(fingerprint_sha256), C(certificate_pem), C(subject), C(not_after) and C(days_left).
  returned: always
  type: dict
keystores:
  description:
    - Per keystore path, C(status) (C(ok), C(missing), C(unknown) or C(error)), and when opened its C(type),
      C(sha256) of the file, C(entries) and C(findings) as M(carbon.keystores.keystore_info) returns them.
  returned: always
  type: dict
config_tables:
  description:
    - The keystore tables (C(keystore.primary), C(keystore.internal), C(keystore.tls), C(truststore),
      C(keystore.tenant)) as the file writes them, without product defaults; secret values are masked as
      C(********) unless O(return_secrets=true).
  returned: always
  type: dict
  version_added: 0.2.0
  sample: {"keystore.tls": {"file_name": "wso2is.jks", "type": "JKS", "alias": "wso2is", "password": "********"}}
contents:
  description:
    - Per path read, and per keystore-like file of the security folder, C(sha256) and base64 C(content)
      (C(sha256=absent) for a file that does not exist).
  returned: when return_content is true
  type: dict
  version_added: 0.2.0
secrets:
  description: Per purpose, C(password) and C(key_password) as the product would use them (placeholders unresolved).
  returned: when return_secrets is true
  type: dict
tls_connector:
  description: Identity Server only, the TLS connector's effective properties (passwords as states).
  returned: when the product is identity_server
  type: dict
findings:
  description: Findings against WSO2's rules, each with C(purpose), C(code), C(severity), C(message) and maybe C(alias).
  returned: always
  type: list
  elements: dict
  sample:
    - purpose: tls
      code: pack_default_keystore
      severity: warning
      message: The tls keystore still uses the pack's documented default password; replace it with a keystore of your own.
'''
