# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.secure_vault on the controller: one module run reads the configuration, the secure vault's
properties and the security folder (the internal keystore); the values are encrypted and decrypted here; one
module run writes what changed, each file a compare-and-swap against that read."""

from __future__ import annotations

import base64

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.carbon.keystores.plugins.module_utils._transport import files as transport
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import secure_vault
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import home as wso2_home
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products, vault
from ansible_collections.carbon.keystores.plugins.plugin_utils import home_read
from ansible_collections.carbon.keystores.plugins.plugin_utils.action import (
    KEYSTORES, TOML, RemoteFileAction, decoded, retried,
)


def _changed_files(outcome):
    return {item['path']: item['data'] for item in outcome.files}


class ActionModule(RemoteFileAction):
    task = secure_vault
    needs = KEYSTORES + TOML

    def secret_values(self, args):
        return secure_vault.secret_values(args)

    def execute(self, args, task_vars):
        if args['in_memory']:
            return self._in_memory(args)
        # a file changed since it was read: read again, decide again
        return retried(lambda: self._converge(args, task_vars), 'The configuration of %s' % args['home'])

    def _in_memory(self, args):
        """On bytes the caller gives (the configuration, the internal keystore, secret-conf.properties): the new
        configuration comes back as ``content``, the properties as ``properties_content``."""
        config_path = args['path']
        home = args['home'].rstrip('/') or '/'
        keystore = decoded(args['keystore_content'], 'keystore_content')
        properties = decoded(args['properties_content'], 'properties_content') if args.get('properties_content') \
            else None
        cipher_text = decoded(args['cipher_text_content'], 'cipher_text_content') \
            if args.get('cipher_text_content') else None
        config = decoded(args['content'], 'content')
        outcome = secure_vault.run(args, home, config_path, config, lambda _path: keystore, properties,
                                   cipher_text_bytes=cipher_text)
        result, files, diff = outcome.result, _changed_files(outcome), outcome.diff
        conf_path = vault.properties_path(home, config_path)
        result.update(changed=bool(files), files_changed=sorted(files),
                      content=to_text(base64.b64encode(files.get(config_path, config))),
                      properties_content=to_text(base64.b64encode(files.get(conf_path, properties or b''))))
        if result['cipher_text_file']:
            result['cipher_text_content'] = to_text(base64.b64encode(
                files.get(result['cipher_text_file'], cipher_text or b'')))
        if self._task.diff:
            result['diff'] = diff
        return result

    def _converge(self, args, task_vars):
        profile = products.profile_for(args['product'], args.get('version'))
        read_home = home_read.read_home(self, profile, args['home'].rstrip('/') or '/', task_vars)
        config_path, config = wso2_home.find_config(profile, read_home.home, read_home.read)
        properties_path = vault.properties_path(read_home.home, config_path)
        with self.serialised(config_path, task_vars, write=not self._task.check_mode):
            outcome = secure_vault.run(args, read_home.home, config_path, config, read_home.read,
                                       read_home.read(properties_path), exists=lambda _folder, name: name in read_home.listed,
                                       read_relative=lambda relative: read_home.read('%s/%s' % (read_home.home, relative)),
                                       cipher_text_bytes=read_home.read(vault.cipher_text_path(read_home.home,
                                                                                               config_path)))
            result, files, diff = outcome.result, _changed_files(outcome), outcome.diff
            if files and not self._task.check_mode:
                # the vault's files first: the configuration is what the server reads at start
                ordered = sorted(files.items(), key=lambda item: item[0] == config_path)
                writes = [{'path': path, 'content': to_text(base64.b64encode(data)),
                           'expected_sha256': read_home.seen[path].get('sha256', transport.ABSENT), 'mode': None,
                           'backup': False} for path, data in ordered]
                self.write_remote_many(writes, task_vars)
        result['changed'] = bool(files)
        if self._task.diff:
            result['diff'] = diff
        return result
