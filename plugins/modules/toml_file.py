#!/usr/bin/python
# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: toml_file
short_description: Set or remove keys of tables of a TOML file, keeping every other byte
version_added: 0.1.0
description:
  - Edits one table of a TOML file such as a WSO2 product's C(deployment.toml) or C(ei.toml), the way an operator
    would by hand, instead of templating the whole file. Every byte outside the changed lines stays as it was
    (comments, odd spacing such as C(file_name =  "x"), quoted keys, blank lines, order).
  - A changed value keeps its line's key, spacing and trailing comment. A new key joins its table after the table's
    last key, written with the same indentation and C(=) spacing as its neighbours. A new table goes right after
    its siblings (a new C([keystore.internal]) after C([keystore.primary]) or C([keystore.tls])), with one blank
    line before and after it.
  - The edited text is parsed again and must hold the old data with exactly the requested changes, or nothing is
    written.
  - Values are typed as TOML from their YAML type (string, integer, float, boolean, list as array, dictionary as
    inline table); C("9443") and C(9443) differ.
  - Invalid TOML (a duplicate table, bad syntax, bytes that are not UTF-8) fails naming the line and column, and the
    file is left as it was.
author:
  - carbon.keystores developers (@carbon-keystores)
requirements:
  - On the Ansible controller (or in the execution environment), the Python packages C(tomlkit>=0.12.0).
  - On the managed host, the Python Ansible itself needs, nothing else.
extends_documentation_fragment:
  - carbon.keystores.keystore.WRITES
  - carbon.keystores.keystore.TRANSPORT
  - carbon.keystores.keystore.FILES
  - carbon.keystores.keystore.IN_MEMORY
  - ansible.builtin.files
attributes:
  idempotent:
    support: full
    description: A second run with the same settings reports no change.
options:
  path:
    description:
      - Path of the TOML file on the managed host.
    type: path
    required: true
  table:
    description:
      - Dotted name of the table, such as C(keystore.primary) or C(transport.https.sslHostConfig.certificate.properties).
        Parts that are not bare keys are quoted, as in TOML (C(a."b.c")).
      - One of O(table) and O(tables) is required.
    type: str
  tables:
    description:
      - Several tables to set in one read and one write of the file, as a dictionary from dotted table name to
        the settings of that table (as in O(settings)). Tables are edited in the order given.
      - A name ending in C([key=value]) names the element of an array of tables whose C(key) has that value, as
        O(match) does for O(table); when no element has it, one is added with C(key) set (for example
        C(keystore.custom[file_name=oauth.p12])).
      - Only with O(state=present); mutually exclusive with O(table), O(match) and O(keys).
    type: dict
    version_added: 0.2.0
  settings:
    description:
      - Keys and values to set in the table (O(state=present)). A key with dots is a dotted key inside the table.
      - With O(state=absent), the keys of this dictionary are removed (their values are ignored).
      - Values of keys named like secrets (C(password), C(key_password), anything with password, secret, token or
        credential in its name) are masked in the diff and kept out of the task's result at any verbosity.
    type: dict
    default: {}
  keys:
    description:
      - With O(state=absent), keys to remove from the table. Without O(keys) or O(settings), O(state=absent) removes
        the whole table.
    type: list
    elements: str
    default: []
  match:
    description:
      - For an array of tables (C([[apim.gateway.environment]])), the element to edit is the one whose keys have these
        values (for example C(name=Default)). When none matches and O(state=present), a new element is added
        after the last one, holding these keys and O(settings); where the file has no such array yet, its first
        element is added (a plain C([table]) of that name is refused).
    type: dict
  state:
    description:
      - V(present) sets O(settings); V(absent) removes O(keys) (or the keys of O(settings)), or the whole table.
    type: str
    choices: [present, absent]
    default: present
  create:
    description:
      - Create the file when it does not exist. Without it, a missing file fails the task.
    type: bool
    default: false
seealso:
  - module: carbon.keystores.product_info
  - name: WSO2 Identity Server - keystore configuration
    description: The deployment.toml tables this module is meant for.
    link: https://is.docs.wso2.com/en/latest/deploy/security/keystores/configure-keystores/
'''

EXAMPLES = r'''
- name: Point the primary keystore of API Manager at a new file
  carbon.keystores.toml_file:
    path: /opt/wso2am/repository/conf/deployment.toml
    table: keystore.primary
    settings:
      file_name: primary.jks
      type: JKS
      password: "{{ vault_keystore_password }}"
      alias: apim
      key_password: "{{ vault_keystore_password }}"

- name: Separate the internal keystore of Identity Server (placed right after [keystore.primary])
  carbon.keystores.toml_file:
    path: /opt/wso2is/repository/conf/deployment.toml
    table: keystore.internal
    settings:
      file_name: wso2carbon.jks
      type: JKS
      password: "{{ vault_internal_password }}"
      alias: wso2carbon
      key_password: "{{ vault_internal_password }}"

- name: Point the primary and TLS keystores at one file, in one write
  carbon.keystores.toml_file:
    path: /opt/wso2is/repository/conf/deployment.toml
    tables:
      keystore.primary:
        file_name: wso2is.jks
        alias: wso2is
      keystore.tls:
        file_name: wso2is.jks
        alias: wso2is

- name: Edit one gateway environment of API Manager
  carbon.keystores.toml_file:
    path: /opt/wso2am/repository/conf/deployment.toml
    table: apim.gateway.environment
    match:
      name: Default
    settings:
      display_in_api_console: false

- name: Drop a table
  carbon.keystores.toml_file:
    path: /opt/wso2mi/conf/deployment.toml
    table: keystore.internal
    state: absent
'''

RETURN = r'''
content:
  description: With O(in_memory=true), base64 of the resulting file (the given one when nothing changed).
  returned: when O(in_memory=true)
  type: str
  version_added: 0.3.0
path:
  description: The file.
  returned: always
  type: str
  sample: /opt/wso2is/repository/conf/deployment.toml
table:
  description: The table edited, as a dotted name.
  returned: when O(table) was given
  type: str
  sample: keystore.primary
tables:
  description: The tables edited, as dotted names, in order.
  returned: when O(tables) was given
  type: list
  elements: str
  sample: [keystore.primary, keystore.tls]
changes:
  description: What changed, one sentence each (never a value).
  returned: always
  type: list
  elements: str
  sample: ["added table [keystore.internal]", "added file_name to [keystore.internal]"]
backup_file:
  description: The backup copy, when O(backup=true) and the file changed.
  returned: changed and backup requested
  type: str
  sample: /opt/wso2is/repository/conf/deployment.toml.12345.2026-11-22@00:00:00~
'''
