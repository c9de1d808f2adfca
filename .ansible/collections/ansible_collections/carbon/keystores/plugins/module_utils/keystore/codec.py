# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load and save keystores of any supported type; the type comes from the bytes."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.errors import (
    CorruptKeystoreError, KeystoreError, KeystoreTypeMismatchError, UnsupportedKeystoreError, WrongKeyPasswordError,
)
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import jks, pkcs12
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.model import JCEKS, JKS, PKCS12, PKCS12_MODERN

TYPE_LABELS = {JKS: 'JKS', PKCS12: 'PKCS12', JCEKS: 'JCEKS', 'bks': 'BKS', 'pem': 'PEM text'}


def detect_type(data):
    """'jks', 'jceks', 'pkcs12', 'bks', 'pem', or None for unrecognised content."""
    head = bytes(data[:4])
    if head == jks.MAGIC:
        return JKS
    if head == jks.JCEKS_MAGIC:
        return JCEKS
    if data.lstrip()[:10] == b'-----BEGIN':
        return 'pem'
    if pkcs12.looks_like_pkcs12(data):
        return PKCS12
    if len(data) > 8 and head in (b'\x00\x00\x00\x01', b'\x00\x00\x00\x02'):
        return 'bks'  # Bouncy Castle BKS/UBER: a version number, then a salt
    if data[:1] == b'\x30':
        return PKCS12  # damaged PKCS#12: let the parser say where
    return None


def load_keystore(data, password, name, expected_type=None, key_passwords=()):
    """Keystore from bytes. ``name`` (the path) opens every error message.

    ``key_passwords`` are tried for key entries the store password does not open;
    keys that none opens are kept sealed, as they were."""
    data = bytes(data)
    if not data:
        raise CorruptKeystoreError('Cannot open keystore %s: the file is empty (0 bytes); remove it or point path at the real keystore.' % name)
    found = detect_type(data)
    if found is None:
        raise CorruptKeystoreError('Cannot open keystore %s: it is not a JKS or PKCS12 keystore (its content is not recognised).' % name)
    if found == 'pem':
        raise UnsupportedKeystoreError('Cannot open keystore %s: it holds PEM text, not a keystore; import PEM files '
                                       'with the certificate and private_key options instead.' % name)
    if found == 'bks':
        raise UnsupportedKeystoreError('Cannot open keystore %s: it looks like a Bouncy Castle BKS keystore, which is '
                                       'not supported; convert it to PKCS12 with keytool -importkeystore.' % name)
    if expected_type and found != expected_type:
        raise KeystoreTypeMismatchError('Cannot open keystore %s: it is a %s keystore, not %s as type says; set type to %s or leave type out.'
                                        % (name, TYPE_LABELS[found], TYPE_LABELS[expected_type], found))
    try:
        if found == PKCS12:
            return pkcs12.load(data, password, key_passwords, name)
        if not jks.HAS_PYJKS:
            raise UnsupportedKeystoreError('reading JKS needs the Python package pyjks on the controller')
        return jks.load(data, password, key_passwords)
    except KeystoreError as exc:
        clause = str(exc).rstrip('.')
        if not clause.startswith('the '):
            clause = 'it ' + clause
        raise type(exc)('Cannot open keystore %s: %s.' % (name, clause))


def open_private_key(entry, key_password, name):
    """Make sure a private-key entry is open; WrongKeyPasswordError if it cannot be."""
    if entry.pkcs8 is not None:
        return entry
    if entry.sealed_format in (JKS, JCEKS) and jks.HAS_PYJKS:
        key = jks.open_sealed_key(entry, key_password)
        if key is None:
            raise WrongKeyPasswordError('Cannot open keystore %s: the key password of entry %r is wrong.' % (name, entry.alias))
        entry.pkcs8 = key
        entry.key_password = key_password
        return entry
    if entry.sealed_format == PKCS12:
        key, worked = pkcs12.open_shrouded_key(entry.sealed, [key_password or ''])
        if key is None:
            raise WrongKeyPasswordError('Cannot open keystore %s: the key password of entry %r is wrong.' % (name, entry.alias))
        entry.pkcs8 = key
        entry.key_password = worked
        return entry
    raise WrongKeyPasswordError('Cannot open keystore %s: entry %r cannot be opened.' % (name, entry.alias))


def dump_keystore(store, password, store_type=None, pkcs12_encryption=None):
    """Bytes of ``store`` as JKS or PKCS12 (``store_type`` defaults to the store's own)."""
    store_type = store_type or store.store_type
    if store_type == PKCS12:
        return pkcs12.dump(store, password, pkcs12_encryption or store.pkcs12_encryption or PKCS12_MODERN)
    if store_type == JKS:
        if not jks.HAS_PYJKS:
            raise UnsupportedKeystoreError('writing JKS needs the Python package pyjks on the controller')
        return jks.dump(store, password)
    raise UnsupportedKeystoreError('writing %s keystores is not supported; write JKS or PKCS12.' % TYPE_LABELS.get(store_type, store_type))


def type_for_new_file(path, requested):
    """The type of a keystore a task creates: the one asked for, else by the file name's extension."""
    if requested:
        return requested
    return PKCS12 if str(path).lower().endswith(('.p12', '.pfx', '.pkcs12')) else JKS
