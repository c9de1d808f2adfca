# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every error that carries a message for the operator, under one root.

A task fails with the message of a ``CarbonKeystoresError`` and nothing else; any other exception
is a bug and shows as one. Standard library only: the file transport that runs on managed hosts
raises these too."""

from __future__ import annotations


class CarbonKeystoresError(Exception):
    """Something an operator can act on; the message says what, naming the file and the cause."""


class RequestError(CarbonKeystoresError):
    """A request the collection refuses (options that contradict each other or the file)."""


class FileProblem(CarbonKeystoresError):
    """A problem with a file itself: missing folder, a directory, unreadable, too big."""


class Conflict(FileProblem):
    """The file changed between the read and the write (another writer); nothing was written."""


class KeystoreError(CarbonKeystoresError):
    """A keystore that cannot be read or written as asked."""


class WrongPasswordError(KeystoreError):
    pass


class WrongKeyPasswordError(KeystoreError):
    pass


class CorruptKeystoreError(KeystoreError):
    pass


class UnsupportedKeystoreError(KeystoreError):
    pass


class KeystoreTypeMismatchError(KeystoreError):
    pass


class CertificateError(CarbonKeystoresError):
    """Input that cannot become the key or certificate asked for."""


class TomlEditError(CarbonKeystoresError):
    """Bad TOML input or an edit the editor refuses; the message says which and where."""


class TomlSelfCheckError(TomlEditError):
    """The editor's own check failed: the edited text would not parse to exactly the requested change.
    Never the input's fault; a bug to report with the file."""


class ClusterError(CarbonKeystoresError):
    """The nodes of a cluster cannot be brought to one keystore as they are."""
