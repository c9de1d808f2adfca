# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the ``product_info`` module does: read a product home as the product reads it (wso2/home.py)."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.outcome import Outcome
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import home, products

ARGUMENT_SPEC = dict(
    product=dict(type='str', required=True,
                 choices=list(products.PRODUCTS)),
    home=dict(type='path', required=True),
    version=dict(type='str'),
    expiry_warning_days=dict(type='int', default=30),
    return_secrets=dict(type='bool', default=False),
    return_content=dict(type='bool', default=False),
    internal_keystore_password=dict(type='str', no_log=True),
    read_also=dict(type='list', elements='str', default=[]),
    https_port=dict(type='int'),
    https_host=dict(type='str'),
    overlay=dict(type='list', elements='dict', default=[], options=dict(
        path=dict(type='str', required=True),
        content=dict(type='str', required=True, no_log=True),
    )),
)
SPEC_RULES: dict[str, list] = {}


def run(params, read, realpath=None, now=None):
    """``read(path)``: a file's bytes or None; ``realpath(path)``: where it really is, or None."""
    result = home.inspect(params['product'], params['home'], read, params.get('version'),
                          params.get('expiry_warning_days', 30), now, return_secrets=params.get('return_secrets', False),
                          realpath=realpath, internal_keystore_password=params.get('internal_keystore_password'))
    return Outcome(False, None, result)
