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
import fnmatch
import hashlib
import os
import stat
import time

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


def list_folder(folder, suffixes, max_size=DEFAULT_MAX_SIZE, content=('*',)):
    """{name: describe()} of the regular files directly in ``folder`` whose names end with one of
    ``suffixes`` (all files when empty); {} when the folder does not exist. Only the files whose names match one of
    the shell patterns ``content`` are read; the others are described by kind and size, so that a folder full of files
    nobody asked about costs no memory."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return {}
    found = {}
    for name in names:
        if suffixes and not name.lower().endswith(tuple(suffixes)):
            continue
        read = any(fnmatch.fnmatchcase(name, pattern) for pattern in content)
        found[name] = describe(os.path.join(folder, name), max_size, content=read)
    return found


def read_many(paths, folders=(), suffixes=(), max_size=DEFAULT_MAX_SIZE, folder_content=('*',)):
    """Everything one read needs, in the shape the remote_files module returns: ``files``, one
    describe() per path, and ``folders``, one list_folder() per folder (suffixes compared lowercased; contents of the
    files matching ``folder_content``)."""
    suffixes = [suffix.lower() for suffix in suffixes]
    return {'files': [dict(describe(path, max_size), path=path) for path in paths],
            'folders': [{'path': folder, 'files': list_folder(folder, suffixes, max_size, folder_content)}
                        for folder in folders]}


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


def temporary_beside(target, data, mode):
    """A new temporary file in ``target``'s folder holding ``data`` with ``mode`` (an int), synced to disk: the first
    half of an atomic replace. Returns its path; the caller renames it over ``target`` or removes it. Written by the
    same code as swap_within's temporary files, so _remove_stale_at finds either after a crash."""
    folder_path, name = os.path.split(target)
    folder = os.open(folder_path or '.', os.O_RDONLY | _DIRECTORY)
    try:
        temp = _temporary_name(name)
        os.close(_write_new_at(folder, temp, data, mode))
    finally:
        os.close(folder)
    return os.path.join(folder_path, temp)


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
        temp = temporary_beside(target, data, 0o600)
    except OSError as exc:
        raise FileProblem('Cannot write %s: %s (in folder %s).' % (path, exc.strerror, folder))
    try:
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
    """Temporary files an earlier writer left when it was killed mid-write (see _remove_stale_at)."""
    folder_path, name = os.path.split(target)
    folder = os.open(folder_path or '.', os.O_RDONLY | _DIRECTORY)
    try:
        _remove_stale_at(folder, name)
    finally:
        os.close(folder)


def _temporary_name(name):
    """The name of a temporary file for ``name``: hidden, and recognisable as ``name``'s by _remove_stale_at."""
    return '.%s.%s.tmp' % (name, os.urandom(6).hex())


def _remove_stale_at(folder, name):
    """Remove ``name``'s temporary files from the folder descriptor. Every writer holds the folder lock while its
    temporary file exists, and the caller holds it now: any found are stale."""
    prefix = '.%s.' % name
    for entry in os.listdir(folder):
        if entry.startswith(prefix) and entry.endswith('.tmp'):
            try:
                os.unlink(entry, dir_fd=folder)
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


# --- writes inside a product home: never through a symbolic link ------------------------------------------------
# The product's own account can write the product's folders. A link planted where a root (or become) run is about to
# write would make the run replace, and hand over, a file anywhere on the host. So a write inside a product home
# reaches its folder from the home one name at a time without following a link (O_NOFOLLOW), reads, locks, creates
# and renames relative to that folder's descriptor, and gives the file its mode and owner through its own descriptor.
# The home itself may be a link (/opt/wso2is -> /opt/wso2is-7.0.0): only what lies below it is judged.

_DIRECTORY = getattr(os, 'O_DIRECTORY', 0)
_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)


def _link_refusal(path):
    return FileProblem('%s is a symbolic link (to %s); the collection never writes through a link inside the product '
                       'home, and nothing was written. Put the file or folder itself there.'
                       % (path, os.path.realpath(path)))


def open_folder_within(home, folder):
    """A descriptor of ``folder``, reached from ``home`` one name at a time without following a symbolic link; a link,
    or a folder outside the home, is a FileProblem naming it. The caller closes the descriptor."""
    home, folder = os.path.normpath(home), os.path.normpath(folder)
    relative = os.path.relpath(folder, home)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        raise FileProblem('%s is outside the product home %s; the collection writes only inside it, and nothing was '
                          'written.' % (folder, home))
    try:
        descriptor = os.open(home, os.O_RDONLY | _DIRECTORY)
    except OSError as exc:
        raise FileProblem('Cannot use the product home %s: %s.' % (home, exc.strerror))
    reached = home
    try:
        for name in ([] if relative == os.curdir else relative.split(os.sep)):
            reached = os.path.join(reached, name)
            try:
                inner = os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=descriptor)
            except OSError as exc:
                if os.path.islink(reached):
                    raise _link_refusal(reached)
                raise FileProblem('Cannot use folder %s: %s.' % (reached, exc.strerror))
            os.close(descriptor)
            descriptor = inner
        return descriptor
    except BaseException:
        os.close(descriptor)
        raise


def _read_at(folder, name, path):
    """(bytes, stat) of the file ``name`` in the folder descriptor, (None, None) when there is none; a link is refused."""
    try:
        handle = os.open(name, os.O_RDONLY | _NOFOLLOW, dir_fd=folder)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        if os.path.islink(path):
            raise _link_refusal(path)
        raise FileProblem('Cannot read %s: %s.' % (path, exc.strerror))
    try:
        found = os.fstat(handle)
        if not stat.S_ISREG(found.st_mode):
            raise FileProblem('%s is not a regular file; nothing was written.' % path)
        chunks = []
        while True:
            chunk = os.read(handle, 1024 * 1024)
            if not chunk:
                break
            chunks.append(chunk)
        return b''.join(chunks), found
    finally:
        os.close(handle)


def _write_new_at(folder, name, data, mode):
    """Create ``name`` (which must not exist) in the folder descriptor with ``data``, flushed; its descriptor stays
    open for the caller to give it attributes and close."""
    handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode, dir_fd=folder)
    try:
        os.fchmod(handle, mode)  # the umask must not widen or narrow what the caller asked
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]
        os.fsync(handle)
        return handle
    except BaseException:
        os.close(handle)
        os.unlink(name, dir_fd=folder)
        raise


def _mode_of(module, wanted, found, new_file_mode):
    """The mode a written file gets: the one asked (octal or symbolic), else the file's own minus every permission of
    others, else ``new_file_mode`` for a new file."""
    if wanted is None:
        return stat.S_IMODE(found.st_mode) & ~0o007 if found is not None else int(str(new_file_mode), 8)
    if isinstance(wanted, int):
        return wanted
    if str(wanted).isdigit():
        return int(str(wanted), 8)
    return module._symbolic_mode_to_octal(found or os.stat_result((stat.S_IFREG,) + (0,) * 9), str(wanted))


def _ids(owner, group):
    """(uid, gid) of an owner and group given by name or number; -1 for one not given."""
    import grp
    import pwd

    def number(value, lookup, field):
        if value in (None, ''):
            return -1
        if str(value).isdigit():
            return int(value)
        try:
            return getattr(lookup(str(value)), field)
        except KeyError:
            raise FileProblem('%s is no account of this host.' % value)
    return number(owner, pwd.getpwnam, 'pw_uid'), number(group, grp.getgrnam, 'gr_gid')


def swap_within(module, home, path, data, expected_sha256, new_file_mode=DEFAULT_NEW_FILE_MODE, backup=False,
                mode=None, owner=None, group=None, leave_identical=False, predicted_sha256=None):
    """Compare-and-swap ``path``, a file inside the product ``home``, to ``data`` without ever following a symbolic
    link below the home: {changed, sha256, backup_file}. ``predicted_sha256``: in check mode, what earlier writes of
    this run would have left there. ``owner``/``group``: given to the file (else an existing file keeps its owner)."""
    folder_path, name = os.path.split(os.path.normpath(path))
    after = sha256_of(data)
    folder = open_folder_within(home, folder_path)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)  # the same lock folder_lock takes: other writers of this folder wait
        current, found = _read_at(folder, name, path)
        before = predicted_sha256 if module.check_mode and predicted_sha256 is not None else sha256_of(current)
        if leave_identical and before == after:
            return dict(changed=False, sha256=after)  # already what it must be, whoever wrote it
        check_unchanged(path, expected_sha256, before)
        if module.check_mode:
            return dict(changed=before != after, sha256=after)
        _remove_stale_at(folder, name)
        backup_file = None
        if backup and current is not None:
            backup_name = '%s.%s.%s' % (name, os.getpid(), time.strftime('%Y-%m-%d@%H:%M:%S~'))
            os.close(_owned(_write_new_at(folder, backup_name, current, stat.S_IMODE(found.st_mode) & ~0o007), found))
            backup_file = os.path.join(folder_path, backup_name)
        context = module.selinux_context(path) if found is not None and module.selinux_enabled() else None
        temp = _temporary_name(name)
        handle = _write_new_at(folder, temp, data, _mode_of(module, mode, found, new_file_mode))
        try:
            uid, gid = _ids(owner, group)
            if found is not None:
                uid, gid = (found.st_uid if uid == -1 else uid), (found.st_gid if gid == -1 else gid)
            if (uid, gid) != (-1, -1):
                try:
                    os.fchown(handle, uid, gid)
                except PermissionError:
                    if (uid, gid) != (os.geteuid(), os.getegid()) and (owner or group):
                        raise FileProblem('Cannot give %s the owner %s: %s.' % (path, owner or group, 'not permitted'))
            os.rename(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            try:
                os.unlink(temp, dir_fd=folder)
            except OSError:
                pass
            raise
        finally:
            os.close(handle)
        os.fsync(folder)
        if context is not None:
            module.set_context_if_different(path, context, False)
        return dict(changed=True, sha256=after, backup_file=backup_file)
    except OSError as exc:
        raise FileProblem('Cannot write %s: %s.' % (path, exc.strerror))
    finally:
        os.close(folder)


def _owned(handle, found):
    """A backup keeps the owner of the file it copies (where this account may give it)."""
    try:
        os.fchown(handle, found.st_uid, found.st_gid)
    except PermissionError:
        pass
    return handle
