# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load and save keystores of any supported type; the type comes from the bytes."""

from __future__ import annotations

import struct

from ansible_collections.carbon.keystores.plugins.module_utils import pkcs12
from ansible_collections.carbon.keystores.plugins.module_utils.model import (
    JCEKS, JKS, PKCS12, PKCS12_MODERN, CorruptKeystoreError, Keystore, KeystoreError,
    KeystoreTypeMismatchError, PrivateKeyEntry, SecretKeyEntry, TrustedCertificateEntry,
    UnsupportedKeystoreError, WrongKeyPasswordError, WrongPasswordError, normalize_alias,
)

try:
    import jks as pyjks
    HAS_PYJKS = True
    PYJKS_IMPORT_ERROR = None
except ImportError as exc:  # reported by the module that needs it
    HAS_PYJKS = False
    PYJKS_IMPORT_ERROR = exc

JKS_MAGIC = b'\xfe\xed\xfe\xed'
JCEKS_MAGIC = b'\xce\xce\xce\xce'
TYPE_LABELS = {JKS: 'JKS', PKCS12: 'PKCS12', JCEKS: 'JCEKS', 'bks': 'BKS', 'pem': 'PEM text'}


def detect_type(data):
    """'jks', 'jceks', 'pkcs12', 'bks', 'pem', or None for unrecognised content."""
    head = bytes(data[:4])
    if head == JKS_MAGIC:
        return JKS
    if head == JCEKS_MAGIC:
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
        return _load_jks(data, password, key_passwords)
    except KeystoreError as exc:
        clause = str(exc).rstrip('.')
        if not clause.startswith('the '):
            clause = 'it ' + clause
        raise type(exc)('Cannot open keystore %s: %s.' % (name, clause))


def _load_jks(data, password, key_passwords):
    if not HAS_PYJKS:
        raise UnsupportedKeystoreError('reading JKS needs the Python package pyjks on the controller')
    try:
        native = pyjks.KeyStore.loads(data, password or '', try_decrypt_keys=False)
    except pyjks.util.KeystoreSignatureException:
        raise WrongPasswordError('the store password is wrong (the keystore integrity check failed)')
    except (pyjks.util.BadKeystoreFormatException, pyjks.util.UnsupportedKeystoreVersionException,
            struct.error, IndexError, ValueError) as exc:
        raise CorruptKeystoreError('is damaged or truncated (%s)' % (exc or type(exc).__name__))
    except pyjks.util.DuplicateAliasException as exc:
        raise CorruptKeystoreError('is damaged: %s' % exc)
    except Exception as exc:  # pyjks raises a few bare exceptions on garbage (e.g. from pyasn1)
        raise CorruptKeystoreError('is damaged or truncated (%s)' % (exc or type(exc).__name__))
    store = Keystore(native.store_type)
    for alias, item in native.entries.items():
        if isinstance(item, pyjks.PrivateKeyEntry):
            chain = [cert for _type, cert in item.cert_chain]
            entry = PrivateKeyEntry(alias, chain, sealed=item._encrypted, sealed_format=native.store_type,
                                    timestamp=item.timestamp)
            for candidate in [password] + [p for p in key_passwords if p and p != password]:
                try:
                    item.decrypt(candidate or '')
                except (pyjks.util.DecryptionFailureException, ValueError):
                    continue
                except Exception as exc:
                    raise CorruptKeystoreError('has a damaged private key %r (%s)' % (alias, exc))
                entry.pkcs8 = item.pkey_pkcs8
                entry.key_password = candidate
                break
            store.put(entry)
        elif isinstance(item, pyjks.TrustedCertEntry):
            store.put(TrustedCertificateEntry(alias, item.cert, timestamp=item.timestamp))
        else:
            store.put(SecretKeyEntry(alias, item, native.store_type, timestamp=item.timestamp,
                                     algorithm=getattr(item, '_algorithm', None)))
    return store


def open_private_key(entry, key_password, name):
    """Make sure a private-key entry is open; WrongKeyPasswordError if it cannot be."""
    if entry.pkcs8 is not None:
        return entry
    if entry.sealed_format in (JKS, JCEKS) and HAS_PYJKS:
        item = pyjks.PrivateKeyEntry(alias=entry.alias, timestamp=entry.timestamp, cert_chain=[],
                                     encrypted=entry.sealed, store_type=entry.sealed_format)
        try:
            item.decrypt(key_password or '')
        except (pyjks.util.DecryptionFailureException, ValueError):
            raise WrongKeyPasswordError('Cannot open keystore %s: the key password of entry %r is wrong.' % (name, entry.alias))
        entry.pkcs8 = item.pkey_pkcs8
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
        return _dump_jks(store, password)
    raise UnsupportedKeystoreError('writing %s keystores is not supported; write JKS or PKCS12.' % TYPE_LABELS.get(store_type, store_type))


def _dump_jks(store, password):
    if not HAS_PYJKS:
        raise UnsupportedKeystoreError('writing JKS needs the Python package pyjks on the controller')
    if store.loose_certificates:
        raise UnsupportedKeystoreError('JKS cannot hold the PKCS#12 file\'s certificates that are not entries')
    items = []
    for entry in store:
        if entry.kind == 'private_key':
            if entry.pkcs8 is not None:
                item = pyjks.PrivateKeyEntry.new(entry.alias, entry.chain, entry.pkcs8)
                item.encrypt(entry.key_password if entry.key_password is not None else (password or ''))
            elif entry.sealed_format == JKS:
                item = pyjks.PrivateKeyEntry(alias=entry.alias, cert_chain=[('X.509', c) for c in entry.chain],
                                             encrypted=entry.sealed, store_type=JKS)
            else:
                raise KeystoreError('cannot write the private key %r as JKS: its key password is unknown' % entry.alias)
        elif entry.kind == 'trusted_certificate':
            item = pyjks.TrustedCertEntry.new(entry.alias, entry.certificate)
        else:
            raise UnsupportedKeystoreError('JKS cannot hold the secret key entry %r; use PKCS12' % entry.alias)
        item.alias = normalize_alias(entry.alias)
        if entry.timestamp is not None:
            item.timestamp = entry.timestamp
        items.append(item)
    return pyjks.KeyStore.new(JKS, items).saves(password or '')
