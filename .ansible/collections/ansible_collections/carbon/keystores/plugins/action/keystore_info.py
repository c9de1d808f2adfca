# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.keystore_info on the controller: read the remote file and describe it."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.tasks import keystore_info
from ansible_collections.carbon.keystores.plugins.plugin_utils.action import RemoteFileAction


class ActionModule(RemoteFileAction):
    task = keystore_info
    writes = False

    def compute(self, current, args, task_vars):
        return keystore_info.run(current, args, args['path'])
