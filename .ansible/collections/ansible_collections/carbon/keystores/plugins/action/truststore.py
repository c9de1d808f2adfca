# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.truststore on the controller: one read, one write for a whole bundle."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.tasks import truststore
from ansible_collections.carbon.keystores.plugins.plugin_utils.action import RemoteFileAction


class ActionModule(RemoteFileAction):
    task = truststore
    file_arguments = True

    def compute(self, current, args, task_vars):
        items = [(alias, self.read_source(value, args['remote_src'], task_vars), label)
                 for alias, value, label in truststore.certificate_items(args['certificates'])]
        requested = truststore.requested_certificates(items)
        return truststore.run(current, args, requested, args['path'])
