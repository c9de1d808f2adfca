# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.toml_file on the controller: read the config, edit its tables, write back."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.tasks import toml_file
from ansible_collections.carbon.keystores.plugins.plugin_utils.action import TOML, RemoteFileAction


class ActionModule(RemoteFileAction):
    task = toml_file
    file_arguments = True
    needs = TOML

    def secret_values(self, args):
        return toml_file.secret_values(args)

    def compute(self, current, args, task_vars):
        return toml_file.run(current, args, args['path'])
