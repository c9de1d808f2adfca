# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.keystore_convert on the controller: read both files, write the converted one."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.tasks import keystore_convert
from ansible_collections.carbon.keystores.plugins.plugin_utils.action import RemoteFileAction, earlier_content


class ActionModule(RemoteFileAction):
    task = keystore_convert
    file_arguments = True

    def compute(self, current, args, task_vars):
        earlier = (args.get('read_from') or {}).get(args['src'])
        source = earlier_content(earlier, args['src'])[0] if earlier else self.read_remote(args['src'], task_vars)
        return keystore_convert.run(source, current, args, args['src'], args['path'])
