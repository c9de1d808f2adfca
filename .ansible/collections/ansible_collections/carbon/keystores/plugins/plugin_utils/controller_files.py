# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files on the Ansible controller itself: PEM inputs given as paths, and CSRs written there.

Reads are bounded like every read of the file transport (a directory, a device or a file bigger than
any keystore or certificate bundle is refused with a sentence); a write is a compare-and-swap under
a lock on the folder, as on managed hosts."""

from __future__ import annotations

import os

from ansible_collections.carbon.keystores.plugins.module_utils._transport import files as transport
from ansible_collections.carbon.keystores.plugins.module_utils.errors import FileProblem

PEM_MARK = '-----BEGIN'


def read_file(path, max_size=transport.DEFAULT_MAX_SIZE):
    """Bytes of ``path``, or None when it does not exist."""
    described = transport.describe(path, max_size, content=False)
    if described['kind'] == 'missing':
        return None
    if described['kind'] != 'file':
        transport.read_bytes(described, path)  # raises the sentence for this kind
    try:
        with open(path, 'rb') as handle:
            data = handle.read(max_size + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FileProblem('Cannot read %s on the controller: %s.' % (path, exc.strerror))
    if len(data) > max_size:  # it grew after the stat
        transport.read_bytes({'kind': 'too_large', 'size': len(data)}, path)
    return data


def is_inline_pem(value):
    return PEM_MARK in value


def not_found(name):
    """The error for a PEM file name that neither the path nor the files/ folders hold."""
    return FileProblem('Cannot find %s on the controller (looked in the role\'s and playbook\'s files/ folders '
                       'too); give a path or inline PEM.' % name)


def lookup_locator(lookup, variables):
    """``locate`` for pem_text in a lookup plugin: the path itself, else the role's and playbook's files/."""
    def locate(name):
        found = lookup.find_file_in_search_path(variables, 'files', name, ignore_missing=True)
        if not found:
            raise not_found(name)
        return found
    return locate


def pem_text(value, locate):
    """The text of a PEM option: inline PEM as it is, else the controller file it names.

    ``locate(value)`` turns the name into the path to read (the action's or lookup's search of the
    role's and playbook's files/ folders) or raises FileProblem; the read is bounded."""
    if value is None or is_inline_pem(value):
        return value
    path = locate(value)
    data = read_file(path)
    if data is None:
        raise FileProblem('Cannot read %s on the controller: it does not exist; give a path or inline PEM.' % value)
    return data.decode('utf-8', 'surrogateescape')


def write_file(path, data, mode, expected_sha256=None):
    """Write a small public file (a CSR) atomically with ``mode`` (octal string), as a compare-and-swap
    against ``expected_sha256`` (what the caller read; ``absent`` for no file; None: whatever is there)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileProblem('Cannot write %s on the controller: the folder %s does not exist.' % (path, folder))
    with transport.folder_lock(path):
        transport.check_unchanged(path, expected_sha256)
        temp = transport.temporary_beside(os.path.abspath(path), data, int(mode, 8))
        try:
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
