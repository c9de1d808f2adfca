# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One entry model for every keystore format: private keys with their chains, trusted certificates and
secret keys, by alias, in file order."""

from __future__ import annotations

import collections
import hashlib

PRIVATE_KEY = 'private_key'
TRUSTED_CERTIFICATE = 'trusted_certificate'
SECRET_KEY = 'secret_key'

JKS = 'jks'
PKCS12 = 'pkcs12'
JCEKS = 'jceks'
WRITABLE_TYPES = (JKS, PKCS12)

# PKCS#12 protection schemes we write: 'modern' is what keytool writes since Java 8u301 / 11.0.12 / 17
# (PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, HMAC-SHA256 MAC); 'legacy' is what older Java 8
# reads (PBE with SHA-1 and 3-key Triple DES, HMAC-SHA1 MAC).
PKCS12_MODERN = 'modern'
PKCS12_LEGACY = 'legacy'


class PrivateKeyEntry:
    """A private key with its certificate chain (leaf first, DER).

    ``pkcs8`` is the unencrypted key (PKCS#8 DER) when we could open it. When we could
    not (a JKS key password we were not given), ``sealed`` keeps the encrypted form so the
    entry is written back exactly as it was; ``sealed_format`` names the format it belongs to.
    """

    kind = PRIVATE_KEY

    def __init__(self, alias, chain, pkcs8=None, key_password=None, sealed=None, sealed_format=None,
                 timestamp=None):
        self.alias = alias
        self.chain = list(chain)
        self.pkcs8 = pkcs8
        self.key_password = key_password
        self.sealed = sealed
        self.sealed_format = sealed_format
        self.timestamp = timestamp

    @property
    def certificate(self):
        return self.chain[0] if self.chain else None

    def same_as(self, other):
        if other.kind != self.kind or self.chain != other.chain:
            return False
        if self.pkcs8 is not None and other.pkcs8 is not None:
            return self.pkcs8 == other.pkcs8
        return self.sealed == other.sealed and self.pkcs8 == other.pkcs8


class TrustedCertificateEntry:
    kind = TRUSTED_CERTIFICATE

    def __init__(self, alias, certificate, timestamp=None):
        self.alias = alias
        self.certificate = certificate
        self.timestamp = timestamp

    @property
    def chain(self):
        return [self.certificate]

    def same_as(self, other):
        return other.kind == self.kind and other.certificate == self.certificate


class SecretKeyEntry:
    """A secret (symmetric) key kept exactly as read; we never open it."""

    kind = SECRET_KEY

    def __init__(self, alias, sealed, sealed_format, timestamp=None, algorithm=None):
        self.alias = alias
        self.sealed = sealed
        self.sealed_format = sealed_format
        self.timestamp = timestamp
        self.algorithm = algorithm
        self.chain = []
        self.certificate = None

    def same_as(self, other):
        return other.kind == self.kind and other.sealed == self.sealed


class Keystore:
    """Entries by alias (lower case, as Java keeps them), in file order."""

    def __init__(self, store_type, entries=(), pkcs12_encryption=None, loose_certificates=()):
        self.store_type = store_type
        self.entries = collections.OrderedDict()
        for entry in entries:
            self.entries[entry.alias] = entry
        # PKCS#12 only: the scheme the file was written with, and certificates that are neither
        # a trusted entry nor part of a key's chain (kept so nothing is lost on rewrite).
        self.pkcs12_encryption = pkcs12_encryption
        self.loose_certificates = list(loose_certificates)

    def get(self, alias):
        return self.entries.get(normalize_alias(alias))

    def put(self, entry):
        entry.alias = normalize_alias(entry.alias)
        self.entries[entry.alias] = entry

    def remove(self, alias):
        return self.entries.pop(normalize_alias(alias), None)

    def __len__(self):
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries.values())


def normalize_alias(alias):
    return str(alias).lower()


def local_key_id(alias, leaf_der):
    return hashlib.sha1(alias.encode('utf-8') + b'\0' + bytes(leaf_der)).digest()
