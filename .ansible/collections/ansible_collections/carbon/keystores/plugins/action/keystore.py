# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.keystore on the controller: read, compute, write back when changed."""

from __future__ import annotations

import os

from ansible_collections.carbon.keystores.plugins.module_utils.tasks import keystore
from ansible_collections.carbon.keystores.plugins.plugin_utils import controller_files
from ansible_collections.carbon.keystores.plugins.plugin_utils.action import RemoteFileAction


class ActionModule(RemoteFileAction):
    task = keystore
    file_arguments = True

    def compute(self, current, args, task_vars):
        remote = args['remote_src']
        args = dict(args)
        args['private_key'] = self.read_source(args.get('private_key'), remote, task_vars)
        args['certificate'] = self.read_source(args.get('certificate'), remote, task_vars)
        args['chain'] = [self.read_source(item, remote, task_vars) for item in args.get('chain') or []]
        args['ca_reply'] = self.read_source(args.get('ca_reply'), remote, task_vars)
        if args.get('chain_truststore'):
            args['chain_certificates'] = keystore.chain_certificates_from(
                self.read_remote(args['chain_truststore'], task_vars), args['chain_truststore_password'],
                args['chain_truststore'])
        if args.get('csr_path'):
            if args['csr_dest'] == 'controller':
                args['csr_path'] = os.path.expanduser(os.path.expandvars(args['csr_path']))  # a controller path
                args['csr_existing'] = controller_files.read_file(args['csr_path'])
            else:
                args['csr_existing'] = self.read_remote(args['csr_path'], task_vars)
        return keystore.run(current, args, args['path'])
