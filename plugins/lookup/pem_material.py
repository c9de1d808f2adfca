# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
name: pem_material
short_description: A certificate, its private key and chain in PEM, judged on the controller before anything is written
version_added: 0.3.0
description:
  - Use it with C(query) (or C(lookup) with C(wantlist=true)); it returns one description.
  - Reads O(private_key), O(certificate) and each item of O(chain), each a path on the controller (looked for in the
    role's and playbook's C(files/) folders too) or inline PEM, with the same bounds as the modules.
  - Says whether the certificate belongs to the private key, whether the chain leads to the certificate (each
    certificate signed by the next), and whether the certificate carries what WSO2 needs for the keystore's
    O(purposes). Without a private key, the certificate is a CA's reply for the key of O(current_certificate).
  - Every problem is one sentence naming the input by its label in O(labels), so that a role can name its own
    variables. The private key is never returned.
  - The product roles use it in their preflight, so that bad material stops the run before any node changes.
author:
  - carbon.keystores developers (@carbon-keystores)
requirements:
  - The Python package C(cryptography>=42.0.0) on the controller.
options:
  _terms:
    description: Not used.
    required: false
  certificate:
    description: The certificate (path or inline PEM); certificates after the first are taken as chain.
    type: str
    required: true
  private_key:
    description: Its private key (path or inline PEM; PKCS#8, PKCS#1 or SEC1), or empty for a CA's reply.
    type: str
    default: ''
  private_key_passphrase:
    description: The passphrase of an encrypted O(private_key).
    type: str
    default: ''
  chain:
    description: Intermediate and root certificates (paths or inline PEM), in any order.
    type: list
    elements: str
    default: []
  purposes:
    description: The purposes the keystore will serve, V(tls) and/or V(primary).
    type: list
    elements: str
    default: [tls]
  current_certificate:
    description: The certificate (PEM) of the key the keystore holds now, if any.
    type: str
    default: ''
  labels:
    description: How messages name the inputs, by C(certificate), C(private_key), C(private_key_passphrase) and C(chain).
    type: dict
    default: {}
'''

EXAMPLES = r'''
- name: Refuse a certificate that does not belong to its key, before any node changes
  vars:
    judged: >-
      {{ query('carbon.keystores.pem_material', certificate='files/is.crt', private_key=vault_is_key,
               chain=['files/intermediate.pem', 'files/root.pem'], purposes=['tls', 'primary']) | first }}
  ansible.builtin.assert:
    that: judged.problems | length == 0
    fail_msg: "{{ judged.problems | join(' ') }}"
'''

RETURN = r'''
_raw:
  description: One description of the material.
  type: list
  elements: dict
  contains:
    mode:
      description: V(import) (a private key was given) or V(reply) (a certificate for the current key).
      type: str
    public_key_sha256:
      description: SHA-256 of the certificate's public key.
      type: str
    certificate_sha256:
      description: SHA-256 fingerprint of the certificate.
      type: str
    chain_sha256:
      description: SHA-256 fingerprints of the chain the keystore will hold, leaf to root.
      type: list
      elements: str
    same_key_as_current:
      description: Whether the certificate is for the key of O(current_certificate) (null without one).
      type: bool
    problems:
      description: One sentence per problem; empty when the material can be used.
      type: list
      elements: str
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.carbon.keystores.plugins.module_utils.errors import CarbonKeystoresError, FileProblem
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates, material
from ansible_collections.carbon.keystores.plugins.plugin_utils import controller_files

DEFAULT_LABELS = {'certificate': 'certificate', 'private_key': 'private_key',
                  'private_key_passphrase': 'private_key_passphrase', 'chain': 'chain'}


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        labels = dict(DEFAULT_LABELS, **(self.get_option('labels') or {}))
        locate = controller_files.lookup_locator(self, variables)
        unreadable = []

        def text(value, label):
            """The PEM text of one input; a file that cannot be read is a problem named by its label."""
            try:
                return controller_files.pem_text(value or None, locate)
            except FileProblem as exc:
                unreadable.append('%s: %s' % (label, exc))
                return None

        private_key = text(self.get_option('private_key'), labels['private_key'])
        certificate = text(self.get_option('certificate'), labels['certificate'])
        chain = [text(item, labels['chain']) for item in self.get_option('chain') or []]
        if unreadable:
            return [dict(material.judge(None, None, None, [], [], labels), problems=unreadable)]
        try:
            with certificates.tolerating_legacy_certificates():
                return [material.judge(private_key, self.get_option('private_key_passphrase'), certificate, chain,
                                       self.get_option('purposes'), labels, self.get_option('current_certificate') or None)]
        except CarbonKeystoresError as exc:
            raise AnsibleLookupError(str(exc))
