# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JKS and JCEKS keystores through pyjks, in the collection's entry model. JCEKS is read only."""

from __future__ import annotations

import struct

from ansible_collections.carbon.keystores.plugins.module_utils.errors import (
    CorruptKeystoreError, KeystoreError, UnsupportedKeystoreError, WrongPasswordError,
)
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.model import (
    JKS, Keystore, PrivateKeyEntry, SecretKeyEntry, TrustedCertificateEntry, normalize_alias,
)

try:
    import jks as pyjks
    HAS_PYJKS = True
except ImportError:  # reported by the action plugin that needs it
    HAS_PYJKS = False

MAGIC = b'\xfe\xed\xfe\xed'
JCEKS_MAGIC = b'\xce\xce\xce\xce'


def load(data, password, key_passwords):
    """A JKS or JCEKS Keystore from bytes; errors are clauses that codec.load_keystore completes."""
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


def open_sealed_key(entry, key_password):
    """PKCS#8 DER of a sealed JKS/JCEKS key entry, or None when ``key_password`` does not open it."""
    item = pyjks.PrivateKeyEntry(alias=entry.alias, timestamp=entry.timestamp, cert_chain=[],
                                 encrypted=entry.sealed, store_type=entry.sealed_format)
    try:
        item.decrypt(key_password or '')
    except (pyjks.util.DecryptionFailureException, ValueError):
        return None
    return item.pkey_pkcs8


def dump(store, password):
    """JKS bytes of ``store``: open keys are sealed with their key password, sealed ones written as read."""
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
