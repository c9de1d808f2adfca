# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.keystore_info on the controller: read the remote file and describe it."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils import argspecs, inspection
from ansible_collections.carbon.keystores.plugins.plugin_utils.remote_file import RemoteFileAction


class ActionModule(RemoteFileAction):
    argument_spec = argspecs.KEYSTORE_INFO
    writes = False

    def compute(self, current, args, task_vars):
        return inspection.keystore_info(current, args, args['path'])
