# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.toml_file on the controller: read the config, edit one table, write back."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils import argspecs, toml_file_task
from ansible_collections.carbon.keystores.plugins.module_utils.dependencies import TOML
from ansible_collections.carbon.keystores.plugins.plugin_utils.remote_file import RemoteFileAction


class ActionModule(RemoteFileAction):
    argument_spec = argspecs.TOML_FILE
    spec_rules = argspecs.TOML_FILE_RULES
    file_arguments = True
    needs = TOML

    def secret_values(self, args):
        return toml_file_task.secret_values(args)

    def compute(self, current, args, task_vars):
        return toml_file_task.run(current, args, args['path'])
