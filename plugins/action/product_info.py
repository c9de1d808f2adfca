# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.product_info on the controller: read the config and keystores, describe them."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils import argspecs, product_inspection
from ansible_collections.carbon.keystores.plugins.module_utils.dependencies import KEYSTORES, TOML
from ansible_collections.carbon.keystores.plugins.plugin_utils.remote_file import RemoteFileAction


class ActionModule(RemoteFileAction):
    argument_spec = argspecs.PRODUCT_INFO
    writes = False
    needs = KEYSTORES + TOML

    def execute(self, args, task_vars):
        files = {}

        def read(path):
            if path not in files:
                files[path] = self.read_remote(path, task_vars)
            return files[path]

        outcome = product_inspection.product_info(args['product'], args['home'], read, args.get('version'),
                                                  args['expiry_warning_days'], return_secrets=args['return_secrets'])
        result = dict(outcome.result)
        result['changed'] = False
        return result
