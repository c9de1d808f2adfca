# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
name: untrusted_certificates
short_description: The certificates a truststore does not hold yet, judged on the controller
version_added: 0.2.0
description:
  - Use it with C(query) (or C(lookup) with C(wantlist=true)).
  - Given a truststore as M(carbon.keystores.product_info) described it (an item of its RV(carbon.keystores.product_info#module:keystores)) and a
    list in the form of the C(certificates) option of M(carbon.keystores.truststore), returns the items whose
    certificates (by SHA-256) the truststore does not hold yet, that is, what the truststore module would import.
  - Lets a flow that has already read the truststore skip the truststore task when nothing is missing, instead
    of reading the file again. A truststore that was not read (missing, unreadable) lacks every item.
  - Items that are paths are read on the controller from the same places as the truststore module (the role's
    and the playbook's C(files/) folders, or the path itself).
author:
  - carbon.keystores developers (@carbon-keystores)
options:
  _terms:
    description: Not used.
    required: false
  truststore:
    description: The truststore's description from product_info (C(status), C(entries)).
    type: dict
    required: true
  certificates:
    description: Paths, inline PEM, or dictionaries with C(certificate) and optional C(alias).
    type: list
    elements: raw
    required: true
'''

EXAMPLES = r'''
- name: Import only when something is missing
  carbon.keystores.truststore:
    path: "{{ info.purposes.truststore.path }}"
    password: "{{ truststore_password }}"
    certificates: "{{ ca_certificates }}"
  when: >-
    query('carbon.keystores.untrusted_certificates', truststore=info.keystores[info.purposes.truststore.path],
          certificates=ca_certificates) | length > 0
'''

RETURN = r'''
_raw:
  description: The items of O(certificates) with a certificate the truststore does not hold.
  type: list
  elements: raw
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.carbon.keystores.plugins.module_utils.errors import CarbonKeystoresError
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import truststore
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates
from ansible_collections.carbon.keystores.plugins.plugin_utils import controller_files


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        raw_items = list(self.get_option('certificates') or [])
        try:
            with certificates.tolerating_legacy_certificates():
                return self._missing(raw_items, variables)
        except CarbonKeystoresError as exc:
            raise AnsibleLookupError(str(exc))

    def _missing(self, raw_items, variables):
        items = truststore.certificate_items(raw_items)
        missing = []
        for raw, (alias, value, label) in zip(raw_items, items):
            text = controller_files.pem_text(value, controller_files.lookup_locator(self, variables))
            requested = truststore.requested_certificates([(alias, text, label)])
            if truststore.missing_from(self.get_option('truststore'), requested):
                missing.append(raw)
        return missing
