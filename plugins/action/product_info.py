# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""carbon.keystores.product_info on the controller: read the config and keystores, describe them.

One module run on the managed host reads the home (plugin_utils/home_read.py) and the password files of the
home; only a keystore the config places elsewhere costs another run."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils._transport import files as transport
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import product_info
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import home as wso2_home
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products, vault
from ansible_collections.carbon.keystores.plugins.plugin_utils.action import KEYSTORES, TOML, RemoteFileAction, decoded
from ansible_collections.carbon.keystores.plugins.plugin_utils import home_read, served

# What the server reads the internal keystore's password from at start (WSO2's secure vault).
PASSWORD_FILES = vault.PASSWORD_FILES

# The product roles' filters run in the worker processes Ansible forks to template each task, and a worker inherits
# what the controller's main process has imported. The strategy loads this action in the main process when it queues
# the roles' first read, so importing the filters and what they use here spares every later task on every host
# importing them anew (about 170 ms per host and task; bench/README.md). The filters import it only when they run.
try:
    from ansible_collections.carbon.keystores.plugins.filter import flow as _flow_filters  # noqa: F401  # pylint: disable=unused-import
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import (  # noqa: F401  # pylint: disable=unused-import
        cluster as _cluster, cluster_keys as _cluster_keys, migration as _migration, node_tables as _node_tables,
        rotations as _rotations, writes as _writes)
except ImportError:  # a missing dependency is the action's own error to report (missing_dependencies)
    pass


class ActionModule(RemoteFileAction):
    task = product_info
    writes = False
    needs = KEYSTORES + TOML

    def execute(self, args, task_vars):
        home = args['home'].rstrip('/') or '/'
        profile = products.profile_for(args['product'], args.get('version'))
        extra = ['%s/%s' % (home, name) for name in PASSWORD_FILES] + [
            '%s/%s/%s' % (home, profile.security_dir, products.ROTATION_MARKER)]
        read_home = home_read.read_home(self, profile, home, task_vars, extra=extra, read_also=args['read_also'],
                                        store_names=products.store_names(args['product'], args.get('version')))
        for item in args['overlay']:
            read_home.assume(item['path'], decoded(item['content'], 'overlay[%s].content' % item['path']))
        # the stores the configuration names that the first read listed by name only: one more run for all of them
        read_home.prefetch(wso2_home.configured_store_paths(profile, read_home.home, read_home.read))
        used = {}

        def read(path):
            described = read_home.lookup(path)
            used[path] = described
            return transport.read_bytes(described, path)

        outcome = product_info.run(dict(args, home=read_home.home), read,
                                   realpath=lambda path: read_home.lookup(path).get('realpath'))
        result = dict(outcome.result)
        result['changed'] = False
        # the folders a write may need: the home's, the configuration's, the secure vault's, each store's
        stores = sorted({described['path'].rsplit('/', 1)[0] for described in result.get('purposes', {}).values()
                         if described.get('path')})
        result['folders'] = {path: read_home.folder(path) for path in read_home.folders + stores}
        result['links'] = read_home.links()
        if args.get('https_port'):
            # from the controller, as a client of the node would connect
            host = args.get('https_host') or self._templar.template(
                task_vars.get('ansible_host', task_vars.get('inventory_hostname')))
            der, error = served.served_certificate(host, args['https_port'])
            wso2_home.judge_served(result, profile, der, error, '%s:%s' % (host, args['https_port']))
        if args['return_content']:
            # what was read, and every keystore-like file of the security folder: a later write to any of
            # them (the flow's cluster keystore) is a compare-and-swap against this read
            listed = {'%s/%s' % (read_home.security, name): described for name, described in read_home.listed.items()}
            # the secure vault's properties and, with the secrets, the password files: the flow writes them too
            listed.update({path: read_home.seen[path] for path in read_home.beside
                           if args['return_secrets'] or not path.endswith(PASSWORD_FILES)})
            # a file listed by name only is 'unread': it exists, and no write may swap it (it matches no digest)
            result['contents'] = {path: dict({'sha256': described.get('sha256', 'absent' if described.get('kind') ==
                                                                      'missing' else 'unread'),
                                              'content': described.get('content', '')},
                                             **({'mode': described['mode']} if described.get('mode') else {}))
                                  for path, described in dict(listed, **used).items()
                                  if described.get('kind') in ('file', 'missing', 'too_large') and path not in read_home.markers}
        return result
