# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.product_info on the controller: read the config and keystores, describe them.

One module run on the managed host reads the config file candidates, the secure vault's properties beside
them, the password files of the home and every keystore-like file of the security folder; only a keystore the
config places elsewhere costs another run."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils._transport import files as transport
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import product_info
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products, vault
from ansible_collections.carbon.keystores.plugins.plugin_utils.action import KEYSTORES, TOML, RemoteFileAction

# What the server reads the internal keystore's password from at start (WSO2's secure vault).
PASSWORD_FILES = ('password-persist', 'password-tmp')


class ActionModule(RemoteFileAction):
    task = product_info
    writes = False
    needs = KEYSTORES + TOML
    # return_secrets: the passwords (resolved through the secure vault too) and the tables as the file writes them
    requested_secrets = ('secrets', 'config_tables')

    def execute(self, args, task_vars):
        home = args['home'].rstrip('/') or '/'
        profile = products.profile_for(args['product'], args.get('version'))
        candidates = ['%s/%s' % (home, candidate) for candidate in profile.config_candidates]
        security = '%s/%s' % (home, products.SECURITY_DIR)
        beside = [vault.properties_path(home, candidate) for candidate in candidates] + [
            '%s/%s' % (home, name) for name in PASSWORD_FILES]
        paths = candidates + [home, security] + beside  # the two folders for where they really are (links)
        described, folders = self.read_remote_many(paths, task_vars, folders=[security],
                                                   suffixes=products.KEYSTORE_SUFFIXES)
        # The host expanded ~ and $VARS as its own user: from here on every path is the host's.
        home = described[len(candidates)]['path'].rstrip('/') or '/'
        security = '%s/%s' % (home, products.SECURITY_DIR)
        seen = {item['path']: item for item in described}
        vault_files = [item['path'] for item in described[len(candidates) + 2:]]
        for name, file_described in folders.get(security, {}).items():
            seen['%s/%s' % (security, name)] = file_described

        def lookup(path):
            if path not in seen:
                if path.startswith(security + '/') and '/' not in path[len(security) + 1:]:
                    # the folder listing is complete: a keystore-like name it lacks does not exist
                    if path.lower().endswith(products.KEYSTORE_SUFFIXES):
                        return {'kind': 'missing'}
                seen[path] = self.read_remote_many([path], task_vars)[0][0]
            return seen[path]

        used = {}

        def read(path):
            described = lookup(path)
            used[path] = described
            return transport.read_bytes(described, path)

        outcome = product_info.run(dict(args, home=home), read, realpath=lambda path: lookup(path).get('realpath'))
        result = dict(outcome.result)
        result['changed'] = False
        if args['return_content']:
            # what was read, and every keystore-like file of the security folder: a later write to any of
            # them (the flow's cluster keystore) is a compare-and-swap against this read
            listed = {'%s/%s' % (security, name): described for name, described in folders.get(security, {}).items()}
            # the secure vault's properties and, with the secrets, the password files: the flow writes them too
            listed.update({path: seen[path] for path in vault_files
                           if args['return_secrets'] or not path.endswith(PASSWORD_FILES)})
            result['contents'] = {path: {'sha256': described.get('sha256', 'absent'), 'content': described.get('content', '')}
                                  for path, described in dict(listed, **used).items()
                                  if described.get('kind') in ('file', 'missing')}
        return result
