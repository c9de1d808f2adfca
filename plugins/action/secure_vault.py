# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.secure_vault on the controller: one module run reads the configuration, the secure vault's
properties and the security folder (the internal keystore); the values are encrypted and decrypted here; one
module run writes what changed, each file a compare-and-swap against that read."""

from __future__ import annotations

import base64

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.carbon.keystores.plugins.module_utils._transport import files as transport
from ansible_collections.carbon.keystores.plugins.module_utils.errors import Conflict, FileProblem, RequestError
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import secure_vault
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products, vault
from ansible_collections.carbon.keystores.plugins.plugin_utils.action import (
    KEYSTORES, TOML, WRITE_ATTEMPTS, RemoteFileAction,
)


def _decoded(value, option):
    try:
        return base64.b64decode(value or '', validate=True)
    except ValueError:
        raise RequestError('%s must be base64.' % option)


class ActionModule(RemoteFileAction):
    task = secure_vault
    needs = KEYSTORES + TOML

    def secret_values(self, args):
        return secure_vault.secret_values(args)

    def execute(self, args, task_vars):
        if args['in_memory']:
            return self._in_memory(args)
        for _attempt in range(WRITE_ATTEMPTS):
            try:
                return self._converge(args, task_vars)
            except Conflict:
                continue  # a file changed since it was read: read again, decide again
        raise FileProblem('The configuration of %s kept changing while this task worked on it (%d attempts); nothing '
                          'was written. Another process is rewriting it: stop it, then run again.'
                          % (args['home'], WRITE_ATTEMPTS))

    def _in_memory(self, args):
        """On bytes the caller gives (the configuration, the internal keystore, secret-conf.properties): the new
        configuration comes back as ``content``, the properties as ``properties_content``."""
        config_path = args['path']
        home = args['home'].rstrip('/') or '/'
        keystore = _decoded(args['keystore_content'], 'keystore_content')
        properties = _decoded(args['properties_content'], 'properties_content') if args.get('properties_content') \
            else None
        config = _decoded(args['content'], 'content')
        result, files, diff = secure_vault.run(args, home, config_path, config, lambda _path: keystore, properties)
        conf_path = vault.properties_path(home, config_path)
        result.update(changed=bool(files), files_changed=sorted(files),
                      content=to_text(base64.b64encode(files.get(config_path, config))),
                      properties_content=to_text(base64.b64encode(files.get(conf_path, properties or b''))))
        if self._task.diff:
            result['diff'] = diff
        return result

    def _converge(self, args, task_vars):
        given_home = args['home'].rstrip('/') or '/'
        profile = products.profile_for(args['product'], args.get('version'))
        candidates = ['%s/%s' % (given_home, candidate) for candidate in profile.config_candidates]
        vault_files = [vault.properties_path(given_home, candidate) for candidate in candidates]
        security = '%s/%s' % (given_home, products.SECURITY_DIR)
        described, folders = self.read_remote_many(candidates + vault_files + [given_home], task_vars,
                                                   folders=[security], suffixes=products.KEYSTORE_SUFFIXES)
        # The host expanded ~ and $VARS as its own user: from here on every path is the host's.
        home = described[-1]['path'].rstrip('/') or '/'
        listed = folders.get(security, {})
        seen = {item['path']: item for item in described}
        seen.update({'%s/%s/%s' % (home, products.SECURITY_DIR, name): item for name, item in listed.items()})
        found = [index for index, item in enumerate(described[:len(candidates)]) if item.get('kind') == 'file']
        if not found:
            raise RequestError('%s has no %s configuration file (looked for %s); is home the product home?' % (
                home, profile.label, ' and '.join(item['path'] for item in described[:len(candidates)])))
        config = described[found[0]]
        properties = described[len(candidates) + found[0]]

        def read_keystore(path):
            if path not in seen:
                seen[path] = self.read_remote_many([path], task_vars)[0][0]
            return transport.read_bytes(seen[path], path)

        with self.serialised(config['path'], task_vars, write=not self._task.check_mode):
            result, files, diff = secure_vault.run(
                args, home, config['path'], transport.read_bytes(config, config['path']), read_keystore,
                transport.read_bytes(properties, properties['path']), exists=lambda name: name in listed)
            if files and not self._task.check_mode:
                # the properties first: the configuration is what the server reads at start
                ordered = sorted(files.items(), key=lambda item: item[0] == config['path'])
                writes = [{'path': path, 'content': to_text(base64.b64encode(data)),
                           'expected_sha256': seen[path].get('sha256', transport.ABSENT), 'mode': None,
                           'backup': False} for path, data in ordered]
                self.write_remote_many(writes, task_vars)
        result['changed'] = bool(files)
        if self._task.diff:
            result['diff'] = diff
        return result
