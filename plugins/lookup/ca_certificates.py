# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
name: ca_certificates
short_description: CA certificates handed over, read and judged once on the controller
version_added: 0.4.0
description:
  - Use it with C(query) (or C(lookup) with C(wantlist=true)); it returns one description.
  - Reads each item of O(certificates) (a path on the controller, looked for in the role's and playbook's C(files/)
    folders too, inline PEM, or a dictionary with C(certificate) and an optional C(alias)), as the C(certificates)
    option of M(carbon.keystores.truststore) takes them, and judges it before anything is written. Each problem
    (a file that cannot be found or read, text that holds no certificate, one alias for several certificates) is one
    sentence naming the item by O(label), so that a product role's refusal names the variable the operator sets.
  - The certificates come back as inline PEM, so that later tasks do not read the files again.
author:
  - carbon.keystores developers (@carbon-keystores)
options:
  _terms:
    description: Not used.
    required: false
  certificates:
    description: Paths, inline PEM, or dictionaries with C(certificate) and optional C(alias).
    type: list
    elements: raw
    required: true
  label:
    description: How the sentences name the list (the product roles give C(<role>_ca_certificates)).
    type: str
    default: certificates
'''

EXAMPLES = r'''
- name: Refuse CA certificates the truststore cannot take
  vars:
    judged: "{{ query('carbon.keystores.ca_certificates', certificates=ca_files, label='ca_files') | first }}"
  ansible.builtin.assert:
    that: judged.problems | length == 0
    fail_msg: "{{ judged.problems | join(' ') }}"
'''

RETURN = r'''
_raw:
  description: One description of the whole list.
  type: list
  elements: dict
  contains:
    certificates:
      description: >-
        The items that can be used, each as C(certificate) (inline PEM) and C(alias) (none to derive one from the
        subject), in the form of O(carbon.keystores.truststore#module:certificates).
      type: list
      elements: dict
    problems:
      description: One sentence per item that cannot be used; empty when all can.
      type: list
      elements: str
'''

from ansible.plugins.lookup import LookupBase

from ansible_collections.carbon.keystores.plugins.module_utils.errors import CarbonKeystoresError
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import truststore
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates
from ansible_collections.carbon.keystores.plugins.plugin_utils import controller_files


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        label = self.get_option('label')
        locate = controller_files.lookup_locator(self, variables)
        usable, problems = [], []
        for number, raw in enumerate(self.get_option('certificates') or [], 1):
            name = '%s item %d' % (label, number)
            try:
                ((alias, value, source),) = truststore.certificate_items([raw])
                text = controller_files.pem_text(value, locate)
                with certificates.tolerating_legacy_certificates():
                    truststore.requested_certificates([(alias, text, '%s (%s)' % (name, source))])
            except CarbonKeystoresError as exc:
                message = str(exc).replace('certificates item 1', 'it')
                problems.append(message if message.startswith(name) else '%s: %s' % (name, message))
                continue
            usable.append({'alias': alias, 'certificate': text})
        return [{'certificates': usable, 'problems': problems}]
