# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file transport: reading and replacing files on the host that holds them. Standard library
only (with the collection's errors), because the remote_files module ships it to managed hosts that
lack the collection's dependencies; the action plugins run the same code for reads on the controller.

Every write is a compare-and-swap: under a lock on the file's folder, the file must still be
what the caller read (same SHA-256, or still absent), then a complete temporary file in the
same folder is flushed to disk and renamed over it. A crash leaves the old or the new file,
never a torn one; a concurrent writer makes the swap fail instead of losing its change."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import stat
import tempfile

from ansible_collections.carbon.keystores.plugins.module_utils.errors import Conflict, FileProblem

DEFAULT_NEW_FILE_MODE = '0600'
# Keystores, truststores and configuration files are small; a bigger file is a mistake, not input.
DEFAULT_MAX_SIZE = 32 * 1024 * 1024
ABSENT = 'absent'


def sha256_of(data):
    return hashlib.sha256(data).hexdigest() if data is not None else ABSENT


def describe(path, max_size=DEFAULT_MAX_SIZE, content=True):
    """What a caller needs to know of ``path``: kind, size, where it really is, and (for a
    regular file) its bytes base64-encoded with their SHA-256. Symbolic links are followed."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return {'kind': 'missing'}
    except OSError as exc:
        return {'kind': 'error', 'error': exc.strerror}
    described = {'realpath': os.path.realpath(path), 'link': os.path.islink(path),
                 'mode': '%04o' % stat.S_IMODE(info.st_mode)}
    if stat.S_ISDIR(info.st_mode):
        described['kind'] = 'directory'
        # whether this account (the become user) can create files in it: what a later write needs
        described['writable'] = os.access(path, os.W_OK | os.X_OK)
        return described
    if not stat.S_ISREG(info.st_mode):
        described['kind'] = 'other'
        return described
    described.update(kind='file', size=info.st_size)
    if info.st_size > max_size:
        described['kind'] = 'too_large'
        return described
    if content:
        try:
            with open(path, 'rb') as handle:
                data = handle.read(max_size + 1)
        except OSError as exc:
            return dict(described, kind='error', error=exc.strerror)
        if len(data) > max_size:
            return dict(described, kind='too_large', size=len(data))
        described['sha256'] = sha256_of(data)
        described['content'] = base64.b64encode(data).decode('ascii')
    return described


def read_bytes(described, path):
    """The bytes a ``describe`` result holds, None for a missing file, else FileProblem."""
    kind = described.get('kind')
    if kind == 'missing':
        return None
    if kind == 'file':
        return base64.b64decode(described['content'])
    if kind == 'directory':
        raise FileProblem('%s is a directory; path must name a file.' % path)
    if kind == 'too_large':
        raise FileProblem('%s is %d bytes, more than any keystore or configuration file should be (limit %d bytes); '
                          'check the path.' % (path, described.get('size', 0), DEFAULT_MAX_SIZE))
    if kind == 'error':
        raise FileProblem('Cannot read %s: %s.' % (path, described.get('error')))
    raise FileProblem('%s is not a regular file; path must name a file.' % path)


def list_folder(folder, suffixes, max_size=DEFAULT_MAX_SIZE):
    """{name: describe()} of the regular files directly in ``folder`` whose names end with one of
    ``suffixes`` (all files when empty); {} when the folder does not exist."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return {}
    found = {}
    for name in names:
        if suffixes and not name.lower().endswith(tuple(suffixes)):
            continue
        found[name] = describe(os.path.join(folder, name), max_size)
    return found


def read_many(paths, folders=(), suffixes=(), max_size=DEFAULT_MAX_SIZE):
    """Everything one read needs, in the shape the remote_files module returns: ``files``, one
    describe() per path, and ``folders``, one list_folder() per folder (suffixes compared lowercased)."""
    suffixes = [suffix.lower() for suffix in suffixes]
    return {'files': [dict(describe(path, max_size), path=path) for path in paths],
            'folders': [{'path': folder, 'files': list_folder(folder, suffixes, max_size)} for folder in folders]}


@contextlib.contextmanager
def folder_lock(path):
    """Serialise read-modify-write of ``path`` on this host by locking its folder (no lock files)."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise FileProblem('Cannot use folder %s: %s.' % (folder, exc.strerror))
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def current_sha256(path):
    try:
        with open(path, 'rb') as handle:
            return sha256_of(handle.read())
    except FileNotFoundError:
        return ABSENT
    except IsADirectoryError:
        raise FileProblem('%s is a directory; path must name a file.' % path)
    except OSError as exc:
        raise FileProblem('Cannot read %s: %s.' % (path, exc.strerror))


def check_unchanged(path, expected_sha256, found=None):
    """The SHA-256 ``path`` holds now (or ``found``, what it would hold: a check run's prediction); Conflict when it
    is not ``expected_sha256`` (None: any content)."""
    found = current_sha256(path) if found is None else found
    if expected_sha256 is not None and found != expected_sha256:
        raise Conflict('%s changed while this task worked on it (another run wrote it); nothing was written.' % path)
    return found


def replace(module, path, data, expected_sha256=None, new_file_mode=DEFAULT_NEW_FILE_MODE, backup=False):
    """Compare-and-swap ``path`` to ``data`` with ``module``'s atomic_move (keeps owner, group,
    mode and SELinux context of an existing file), then apply the task's file attributes.

    ``expected_sha256``: what the caller read (``ABSENT`` for no file); None skips the compare.
    The caller holds ``folder_lock(path)``. Returns the backup file's path or None."""
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileProblem('Cannot write %s: the folder %s does not exist.' % (path, folder))
    check_unchanged(target, expected_sha256)
    existed = os.path.exists(target)
    _remove_stale_temporaries(target)
    backup_file = module.backup_local(target) if existed and backup else None
    if backup_file:
        _close_to_others(backup_file)  # the old content holds the same kind of secrets
    try:
        handle, temp = tempfile.mkstemp(dir=folder, prefix='.%s.' % os.path.basename(target), suffix='.tmp')
    except OSError as exc:
        raise FileProblem('Cannot write %s: %s (in folder %s).' % (path, exc.strerror, folder))
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if existed:
            try:
                module.atomic_move(temp, target, unsafe_writes=module.params.get('unsafe_writes'))
            except Exception as exc:  # ansible-core raises a bare Exception, the OSError as its cause
                cause = getattr(exc.__cause__, 'strerror', None)
                raise FileProblem('Cannot write %s: %s%s' % (path, cause + '; ' if cause else '', exc))
        else:
            # atomic_move gives a new file the umask's mode (often 0644) until set_fs_attributes runs:
            # a new keystore must never be readable by others, not even for that moment.
            os.rename(temp, target)
        _sync_folder(folder)
    except OSError as exc:
        raise FileProblem('Cannot write %s: %s.' % (path, exc.strerror))
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    file_args = module.load_file_common_arguments(module.params, path=target)
    if file_args.get('mode') is None:
        if existed:
            _close_to_others(target)
        else:
            file_args['mode'] = new_file_mode
    module.set_fs_attributes_if_different(file_args, False)
    return backup_file


def _close_to_others(path):
    """Keystores and the configs that hold their passwords are never readable by every user: drop the
    permissions of others (owner and group keep theirs, so the product still reads the file)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o007:
            os.chmod(path, mode & ~0o007)
    except OSError as exc:
        raise FileProblem('Cannot protect %s from other users: %s.' % (path, exc.strerror))


def _remove_stale_temporaries(target):
    """Temporary files an earlier writer left when it was killed mid-write. Every writer holds the
    folder lock while its temporary file exists, and the caller holds it now: these are stale."""
    folder, base = os.path.split(target)
    prefix = '.%s.' % base
    for name in os.listdir(folder):
        if name.startswith(prefix) and name.endswith('.tmp'):
            try:
                os.unlink(os.path.join(folder, name))
            except OSError:
                pass


def _sync_folder(folder):
    """Make the rename itself durable (a power cut after it must not bring the old name back)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
