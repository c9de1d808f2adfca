# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module side: what an action plugin does over the connection, main() does with
local files (used when a module runs without its action plugin, on a host that has
the Python dependencies)."""

from __future__ import annotations

import contextlib
import os
import tempfile

from ansible_collections.carbon.keystores.plugins.module_utils import atomic_file
from ansible_collections.carbon.keystores.plugins.module_utils.dependencies import KEYSTORES, missing_dependencies
from ansible_collections.carbon.keystores.plugins.module_utils.errors import USER_ERRORS

DEFAULT_NEW_FILE_MODE = atomic_file.DEFAULT_NEW_FILE_MODE


class LocalFileError(Exception):
    pass


def read_file(path):
    """Bytes of ``path``, or None when it does not exist (a directory, device or huge file is refused)."""
    described = atomic_file.describe(path, content=False)
    if described['kind'] == 'missing':
        return None
    if described['kind'] != 'file':
        atomic_file.read_bytes(described, path)  # raises the sentence for this kind
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LocalFileError('Cannot read %s: %s.' % (path, exc.strerror))


def read_source(value):
    """Inline PEM as it is, else the text of the file it names (bounded like every file read)."""
    if value is None or '-----BEGIN' in value:
        return value
    data = read_file(value)
    if data is None:
        raise LocalFileError('Cannot read %s: it does not exist; give a path or inline PEM.' % value)
    return data.decode('utf-8', 'surrogateescape')


def write_plain(path, data, mode, expected_sha256=None):
    """Atomically write a small public file (a CSR, say) with ``mode`` (octal string): a compare-and-swap
    against ``expected_sha256`` (what the caller read, ``absent`` for no file; None: any content)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise LocalFileError('Cannot write %s: the folder %s does not exist.' % (path, folder))
    with atomic_file.folder_lock(path):
        atomic_file.check_unchanged(path, expected_sha256)
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
        with (atomic_file.folder_lock(path) if writes and not module.check_mode else contextlib.nullcontext()):
            current = read_file(path)
            outcome = compute(current)
            result = dict(outcome.result)
            if outcome.changed and outcome.data is not None and not module.check_mode:
                backup_file = atomic_file.replace(module, path, outcome.data, atomic_file.sha256_of(current),
                                                  new_file_mode, module.params.get('backup'))
                if backup_file:
                    result['backup_file'] = backup_file
            if not module.check_mode:
                for extra in outcome.files:
                    write_plain(extra['path'], extra['data'], extra['mode'], extra.get('expected_sha256'))
    except (LocalFileError, atomic_file.FileProblem) + USER_ERRORS as exc:
        module.fail_json(msg=str(exc))
    for warning in outcome.warnings:
        module.warn(warning)
    if module._diff and outcome.diff is not None:
        result['diff'] = outcome.diff
    module.exit_json(changed=outcome.changed, **result)
