# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module side: what an action plugin does over the connection, main() does with
local files (used when a module runs without its action plugin, on a host that has
the Python dependencies)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile

from ansible_collections.carbon.keystores.plugins.module_utils.dependencies import KEYSTORES, missing_dependencies
from ansible_collections.carbon.keystores.plugins.module_utils.errors import USER_ERRORS

DEFAULT_NEW_FILE_MODE = '0600'


class LocalFileError(Exception):
    pass


def read_file(path):
    """Bytes of ``path``, or None when it does not exist."""
    if os.path.isdir(path):
        raise LocalFileError('%s is a directory; path must name a file.' % path)
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LocalFileError('Cannot read %s: %s.' % (path, exc.strerror))


def read_source(value):
    """Inline PEM as it is, else the text of the file it names."""
    if value is None or '-----BEGIN' in value:
        return value
    try:
        with open(value, 'rb') as handle:
            return handle.read().decode('utf-8', 'surrogateescape')
    except OSError as exc:
        raise LocalFileError('Cannot read %s: %s; give a path or inline PEM.' % (value, exc.strerror))


@contextlib.contextmanager
def locked(path):
    """Serialise read-modify-write of ``path`` by locking its folder (no stray lock files)."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise LocalFileError('Cannot use folder %s: %s.' % (folder, exc.strerror))
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def write_file(module, path, data, new_file_mode=DEFAULT_NEW_FILE_MODE):
    """Atomically replace ``path`` with ``data``; backup and file attributes as asked."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise LocalFileError('Cannot write %s: the folder %s does not exist.' % (path, folder))
    existed = os.path.exists(path)
    backup_file = module.backup_local(path) if existed and module.params.get('backup') else None
    handle, temp = tempfile.mkstemp(dir=folder, prefix='.%s.' % os.path.basename(path))
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        module.atomic_move(temp, path, unsafe_writes=module.params.get('unsafe_writes'))
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    file_args = module.load_file_common_arguments(module.params, path=path)
    if file_args.get('mode') is None and not existed:
        file_args['mode'] = new_file_mode
    module.set_fs_attributes_if_different(file_args, False)
    return backup_file


def write_plain(path, data, mode):
    """Atomically write a small public file (a CSR, say) with ``mode`` (octal string)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise LocalFileError('Cannot write %s: the folder %s does not exist.' % (path, folder))
    handle, temp = tempfile.mkstemp(dir=folder, prefix='.%s.' % os.path.basename(path))
    try:
        os.fchmod(handle, int(mode, 8))
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def run_module(module, compute, writes=True, needs=KEYSTORES, new_file_mode=DEFAULT_NEW_FILE_MODE):
    """main() of a carbon.keystores module: read, compute with module_utils, write if changed.

    ``compute(current_bytes)`` returns an Outcome like the action plugins get."""
    missing = missing_dependencies(needs)
    if missing:
        module.fail_json(msg=missing + ' on the host that runs the module, or let the collection\'s action plugin '
                         'run it on the controller.')
    path = module.params['path']
    try:
        with (locked(path) if writes and not module.check_mode else contextlib.nullcontext()):
            current = read_file(path)
            outcome = compute(current)
            result = dict(outcome.result)
            if outcome.changed and outcome.data is not None and not module.check_mode:
                backup_file = write_file(module, path, outcome.data, new_file_mode)
                if backup_file:
                    result['backup_file'] = backup_file
            if not module.check_mode:
                for extra in outcome.files:
                    write_plain(extra['path'], extra['data'], extra['mode'])
    except (LocalFileError,) + USER_ERRORS as exc:
        module.fail_json(msg=str(exc))
    for warning in outcome.warnings:
        module.warn(warning)
    if module._diff and outcome.diff is not None:
        result['diff'] = outcome.diff
    module.exit_json(changed=outcome.changed, **result)
