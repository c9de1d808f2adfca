# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A WSO2 product home read by one module run, for the action plugins that read a home (product_info,
secure_vault): WSO2's layout lives here, the generic action base knows files."""

from __future__ import annotations

import base64

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.carbon.keystores.plugins.module_utils._transport import files as transport
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products, vault


class HomeRead:
    """What one module run read of a product home (read_home); any other path is read by a run of its own when first
    looked up."""

    def __init__(self, action, task_vars, home, security, seen, listed, beside, folders=(), markers=()):
        self._action, self._task_vars = action, task_vars
        self.home = home  # as the host expanded it (~, $VARS, as its user): every path from here on is the host's
        self.security = security
        self.seen = seen  # {path: transport description}
        self.listed = listed  # {name: description} of every keystore-like file of the security folder
        self.beside = beside  # the paths read beside the configuration candidates, as the host names them
        self.folders = list(folders)  # the folders read: the home, its security folder, the configuration's folders
        self.markers = set(markers)  # the config tool's files read to tell the release, as the host names them

    def folder(self, path):
        """{kind, writable} of a folder a write may need (read by a run of its own when it was not read yet)."""
        if path not in self.seen:
            self.seen[path] = self._action.read_remote_many([path], self._task_vars)[0][0]
        if path not in self.folders:
            self.folders.append(path)
        described = self.seen[path]
        return {'kind': described.get('kind'), 'writable': bool(described.get('writable'))}

    def lookup(self, path):
        if (self.seen.get(path) or {}).get('kind') == 'file' and 'content' not in self.seen[path]:
            self.prefetch([path])  # listed by name only: now it is asked for
        if path not in self.seen:
            if path.startswith(self.security + '/') and '/' not in path[len(self.security) + 1:] and \
                    path.lower().endswith(products.KEYSTORE_SUFFIXES):
                return {'kind': 'missing'}  # the folder listing is complete: a name it lacks does not exist
            self.seen[path] = self._action.read_remote_many([path], self._task_vars)[0][0]
        return self.seen[path]

    def prefetch(self, paths):
        """Read, in one module run, those of ``paths`` not read yet (or listed by name only)."""
        wanted = [path for path in paths if path not in self.seen or (
            self.seen[path].get('kind') == 'file' and 'content' not in self.seen[path])]
        if wanted:
            self.seen.update(zip(wanted, self._action.read_remote_many(wanted, self._task_vars)[0]))
            for path in wanted:
                folder, name = path.rsplit('/', 1)
                if folder == self.security and name in self.listed:
                    self.listed[name] = self.seen[path]

    def read(self, path):
        """The file's bytes, None when it does not exist."""
        return transport.read_bytes(self.lookup(path), path)

    def links(self):
        """{path: where it really is} of every path read below the home that is a symbolic link or lies in a folder
        reached through one (the home itself may be a link): no write may go there."""
        home = self.home.rstrip('/')
        real_home = ((self.seen.get(self.home) or {}).get('realpath') or home).rstrip('/')
        return {path: described['realpath'] for path, described in sorted(self.seen.items())
                if path.startswith(home + '/') and described.get('realpath')
                and described['realpath'] != real_home + path[len(home):]}

    def assume(self, path, data):
        """From here on, ``path`` holds ``data`` (a file a write would leave: what check mode judges)."""
        folder, name = path.rsplit('/', 1)
        real_folder = (self.seen.get(folder) or {}).get('realpath') or folder
        described = {'kind': 'file', 'path': path, 'size': len(data), 'sha256': transport.sha256_of(data),
                     'content': to_text(base64.b64encode(data)), 'link': False,
                     'realpath': '%s/%s' % (real_folder.rstrip('/'), name), 'mode': '0600'}
        old = self.seen.get(path) or {}
        if old.get('kind') == 'file':
            described.update(realpath=old.get('realpath', path), link=old.get('link', False), mode=old.get('mode'))
        self.seen[path] = described
        if folder == self.security and name.lower().endswith(products.KEYSTORE_SUFFIXES):
            self.listed[name] = described


def read_home(action, profile, home, task_vars, extra=(), read_also=(), store_names=None):
    """One module run that reads a product home as the product reads it: the configuration file candidates,
    the secure vault's properties beside each (and its cipher-text.properties where the config tool does not render
    it), ``extra`` paths, the home and its security folder (where they
    really are, for links) and every keystore-like file of that folder: the contents of the product's default
    stores (``store_names``, default: the profile's) and of the names matching ``read_also``, the names and sizes of
    the others (a store the configuration names among them is read when looked up)."""
    candidates = ['%s/%s' % (home, candidate) for candidate in profile.config_candidates]
    properties = [vault.properties_path(home, candidate) for candidate in candidates]
    cipher_texts = [vault.cipher_text_path(home, candidate) for candidate in candidates] \
        if not profile.renders_cipher_text else []
    beside = properties + cipher_texts + list(extra)
    # the config tool's files that tell a release from another when no version is given: read, never written
    markers = ['%s/%s' % (home, name) for name in products.marker_files(profile.product)]
    # besides the home and its security folder, the folders a write may need: each configuration's own, and its
    # secure vault's
    config_folders = sorted({path.rsplit('/', 1)[0] for path in candidates + properties})
    security = '%s/%s' % (home, profile.security_dir)
    described, folders = action.read_remote_many(candidates + [home, security] + beside + markers + config_folders,
                                                 task_vars, folders=[security], suffixes=products.KEYSTORE_SUFFIXES,
                                                 folder_content=list(profile.default_store_names if store_names is None
                                                                     else store_names) + list(read_also))
    home = described[len(candidates)]['path'].rstrip('/') or '/'
    expanded_security = '%s/%s' % (home, profile.security_dir)
    listed = folders.get(expanded_security, {})  # the host names the folder as it expanded it
    seen = {item['path']: item for item in described}
    seen.update({'%s/%s' % (expanded_security, name): item for name, item in listed.items()})
    first_beside = len(candidates) + 2
    first_folder = first_beside + len(beside) + len(markers)
    return HomeRead(action, task_vars, home, expanded_security, seen, listed,
                    [item['path'] for item in described[first_beside:first_beside + len(beside)]],
                    [item['path'] for item in described[len(candidates):first_beside] + described[first_folder:]],
                    [item['path'] for item in described[first_beside + len(beside):first_folder]])
