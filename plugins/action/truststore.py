# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.truststore on the controller: one read, one write for a whole bundle."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils import argspecs, truststore_entries
from ansible_collections.carbon.keystores.plugins.plugin_utils.remote_file import RemoteFileAction


class ActionModule(RemoteFileAction):
    argument_spec = argspecs.TRUSTSTORE
    spec_rules = argspecs.TRUSTSTORE_RULES
    file_arguments = True

    def compute(self, current, args, task_vars):
        items = [(alias, self.read_source(value, args['remote_src'], task_vars), label)
                 for alias, value, label in truststore_entries.certificate_items(args['certificates'])]
        requested = truststore_entries.requested_certificates(items)
        return truststore_entries.run(current, args, requested, args['path'])
