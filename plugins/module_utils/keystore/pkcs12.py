# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PKCS#12 keystores as Java reads and writes them (RFC 7292).

We read and write the bags ourselves because a Java PKCS#12 keystore is more than one
key and its certificates: several key entries, trusted-certificate entries marked with
Oracle's trusted-key-usage attribute, and secret-key bags must all survive a rewrite.
The cryptographic primitives come from ``cryptography``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any, Union

from ansible_collections.carbon.keystores.plugins.module_utils.errors import (
    CorruptKeystoreError, KeystoreError, UnsupportedKeystoreError, WrongPasswordError,
)
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import der
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.model import (
    PKCS12, PKCS12_LEGACY, PKCS12_MODERN, Keystore, PrivateKeyEntry, SecretKeyEntry, TrustedCertificateEntry,
    local_key_id, normalize_alias,
)

try:
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    try:
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:  # cryptography < 43
        TripleDES = algorithms.TripleDES  # type: ignore[misc]
except ImportError:  # reported by the module that needs it
    pass

try:
    # RC2 with a 40-bit key (old Java 8 and `openssl pkcs12 -legacy` certificate encryption) is beyond
    # cryptography's RC2; pycryptodomex, which pyjks already requires, has it.
    from Cryptodome.Cipher import ARC2
except ImportError:
    ARC2 = None  # type: ignore[assignment]

OID_DATA = '1.2.840.113549.1.7.1'
OID_ENCRYPTED_DATA = '1.2.840.113549.1.7.6'
OID_KEY_BAG = '1.2.840.113549.1.12.10.1.1'
OID_SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2'
OID_CERT_BAG = '1.2.840.113549.1.12.10.1.3'
OID_CRL_BAG = '1.2.840.113549.1.12.10.1.4'
OID_SECRET_BAG = '1.2.840.113549.1.12.10.1.5'
OID_SAFE_CONTENTS_BAG = '1.2.840.113549.1.12.10.1.6'
OID_X509_CERTIFICATE = '1.2.840.113549.1.9.22.1'
OID_FRIENDLY_NAME = '1.2.840.113549.1.9.20'
OID_LOCAL_KEY_ID = '1.2.840.113549.1.9.21'
OID_JAVA_TRUSTED_KEY_USAGE = '2.16.840.1.113894.746875.1.1'
OID_ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0'

OID_PBES2 = '1.2.840.113549.1.5.13'
OID_PBKDF2 = '1.2.840.113549.1.5.12'
OID_PBE_SHA1_3DES = '1.2.840.113549.1.12.1.3'
OID_PBE_SHA1_2DES = '1.2.840.113549.1.12.1.4'
OID_PBE_SHA1_RC2_128 = '1.2.840.113549.1.12.1.5'
OID_PBE_SHA1_RC2_40 = '1.2.840.113549.1.12.1.6'
OID_AES_CBC = {'2.16.840.1.101.3.4.1.2': 16, '2.16.840.1.101.3.4.1.22': 24, '2.16.840.1.101.3.4.1.42': 32}
OID_DES_EDE3_CBC = '1.2.840.113549.3.7'
OID_AES256_CBC = '2.16.840.1.101.3.4.1.42'
HMAC_PRF = {
    '1.2.840.113549.2.7': 'sha1', '1.2.840.113549.2.8': 'sha224', '1.2.840.113549.2.9': 'sha256',
    '1.2.840.113549.2.10': 'sha384', '1.2.840.113549.2.11': 'sha512',
}
HMAC_SHA256_PRF = '1.2.840.113549.2.9'
DIGEST = {
    '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.4': 'sha224', '2.16.840.1.101.3.4.2.1': 'sha256',
    '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512',
}
DIGEST_OID = {name: oid for oid, name in DIGEST.items()}

MODERN_ITERATIONS = 10000
LEGACY_ITERATIONS = 2048

_KDF_KEY, _KDF_IV, _KDF_MAC = 1, 2, 3


def looks_like_pkcs12(data):
    """A DER SEQUENCE whose first element is INTEGER 3 (the PFX version)."""
    if len(data) < 8 or data[0] != der.SEQUENCE:
        return False
    try:
        pfx = der.decode(data, 'PKCS#12')
        children = pfx.items('PFX', 2)
        return children[0].integer('PFX version') == 3
    except der.DerError:
        return False


# --- key derivation and ciphers ---------------------------------------------

def _bmp_password(password):
    """PKCS#12 passwords are BMPStrings with a two-byte terminator."""
    return password.encode('utf-16-be') + b'\x00\x00' if password else b''


def pkcs12_kdf(hash_name, password, salt, purpose, iterations, length):
    """RFC 7292 appendix B.2 key derivation."""
    digest = hashlib.new(hash_name)
    u, v = digest.digest_size, digest.block_size
    password_bytes = _bmp_password(password)
    diversifier = bytes([purpose]) * v

    def fill(value):
        if not value:
            return b''
        size = v * ((len(value) + v - 1) // v)
        return (value * (size // len(value) + 1))[:size]

    block = bytearray(fill(salt) + fill(password_bytes))
    output = b''
    while len(output) < length:
        a = hashlib.new(hash_name, diversifier + bytes(block)).digest()
        for _round in range(iterations - 1):
            a = hashlib.new(hash_name, a).digest()
        output += a
        if len(output) >= length:
            break
        b = int.from_bytes((a * (v // u + 1))[:v], 'big')
        for start in range(0, len(block), v):
            chunk = int.from_bytes(block[start:start + v], 'big')
            block[start:start + v] = ((chunk + b + 1) % (1 << (8 * v))).to_bytes(v, 'big')
    return output[:length]


def _cbc_decrypt(algorithm, iv, ciphertext):
    if not ciphertext or len(ciphertext) % (algorithm.block_size // 8):
        raise ValueError('ciphertext length is not a multiple of the block size')
    decryptor = Cipher(algorithm, modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(algorithm.block_size).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def _cbc_encrypt(algorithm, iv, plaintext):
    padder = padding.PKCS7(algorithm.block_size).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithm, modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


class _BadDecryption(Exception):
    """Padding or structure wrong after decryption: almost always a wrong password."""


def decrypt(algorithm_node, ciphertext, password):
    """Decrypt with the PBE scheme named by an AlgorithmIdentifier node."""
    parts = algorithm_node.items('encryption algorithm', 1)
    scheme = parts[0].oid('encryption algorithm')
    if len(parts) < 2:
        raise CorruptKeystoreError('names encryption %s without its parameters' % scheme)
    params = parts[1]
    try:
        if scheme == OID_PBES2:
            kdf, cipher = params.items('PBES2 parameters', 2)
            kdf_oid = kdf.items('PBES2 KDF', 2)[0].oid()
            if kdf_oid != OID_PBKDF2:
                raise UnsupportedKeystoreError('uses key derivation %s; only PBKDF2 is supported' % kdf_oid)
            kdf_params = kdf.children[1].items('PBKDF2 parameters', 2)
            salt = kdf_params[0].octets('PBKDF2 salt')
            iterations = kdf_params[1].integer('PBKDF2 iterations')
            prf = 'sha1'
            for extra in kdf_params[2:]:
                if extra.tag == der.SEQUENCE:
                    prf_oid = extra.items('PBKDF2 PRF', 1)[0].oid()
                    if prf_oid not in HMAC_PRF:
                        raise UnsupportedKeystoreError('uses PBKDF2 PRF %s, which is not supported' % prf_oid)
                    prf = HMAC_PRF[prf_oid]
            cipher_parts = cipher.items('PBES2 cipher', 2)
            cipher_oid = cipher_parts[0].oid()
            iv = cipher_parts[1].octets('cipher IV')
            if cipher_oid in OID_AES_CBC:
                key = hashlib.pbkdf2_hmac(prf, password.encode('utf-8'), salt, _check_iterations(iterations), OID_AES_CBC[cipher_oid])
                return _cbc_decrypt(algorithms.AES(key), iv, ciphertext)
            if cipher_oid == OID_DES_EDE3_CBC:
                key = hashlib.pbkdf2_hmac(prf, password.encode('utf-8'), salt, _check_iterations(iterations), 24)
                return _cbc_decrypt(TripleDES(key), iv, ciphertext)
            raise UnsupportedKeystoreError('uses cipher %s, which is not supported' % cipher_oid)
        if scheme in (OID_PBE_SHA1_3DES, OID_PBE_SHA1_2DES, OID_PBE_SHA1_RC2_128, OID_PBE_SHA1_RC2_40):
            pbe = params.items('PBE parameters', 2)
            salt = pbe[0].octets('PBE salt')
            iterations = _check_iterations(pbe[1].integer('PBE iterations'))
            if scheme in (OID_PBE_SHA1_3DES, OID_PBE_SHA1_2DES):
                key_size = 24 if scheme == OID_PBE_SHA1_3DES else 16
                key = pkcs12_kdf('sha1', password, salt, _KDF_KEY, iterations, key_size)
                if key_size == 16:
                    key = key + key[:8]
                iv = pkcs12_kdf('sha1', password, salt, _KDF_IV, iterations, 8)
                return _cbc_decrypt(TripleDES(key), iv, ciphertext)
            if ARC2 is None:
                raise UnsupportedKeystoreError('uses RC2 encryption, which needs the Python package pycryptodomex on the controller')
            key_size = 16 if scheme == OID_PBE_SHA1_RC2_128 else 5
            key = pkcs12_kdf('sha1', password, salt, _KDF_KEY, iterations, key_size)
            iv = pkcs12_kdf('sha1', password, salt, _KDF_IV, iterations, 8)
            if not ciphertext or len(ciphertext) % 8:
                raise ValueError('ciphertext length is not a multiple of the block size')
            # effective_keylen is pycryptodome's own RC2 parameter, missing from its type stubs
            padded = ARC2.new(key, ARC2.MODE_CBC, iv=iv, effective_keylen=8 * key_size).decrypt(  # type: ignore[call-arg]
                ciphertext)
            unpadder = padding.PKCS7(64).unpadder()
            return unpadder.update(padded) + unpadder.finalize()
    except der.DerError as exc:
        raise CorruptKeystoreError('has malformed encryption parameters (%s)' % exc)
    except ValueError as exc:  # bad padding after decryption
        raise _BadDecryption(str(exc))
    raise UnsupportedKeystoreError('uses encryption algorithm %s, which is not supported' % scheme)


def _check_iterations(count):
    if count < 1 or count > 10000000:
        raise CorruptKeystoreError('has an implausible iteration count (%d)' % count)
    return count


def _encrypt(plaintext, password, scheme):
    """(AlgorithmIdentifier DER, ciphertext) for our two writing schemes."""
    if scheme == PKCS12_LEGACY:
        salt = os.urandom(20)
        key = pkcs12_kdf('sha1', password, salt, _KDF_KEY, LEGACY_ITERATIONS, 24)
        iv = pkcs12_kdf('sha1', password, salt, _KDF_IV, LEGACY_ITERATIONS, 8)
        params = der.sequence(der.octet_string(salt), der.integer(LEGACY_ITERATIONS))
        return der.sequence(der.oid(OID_PBE_SHA1_3DES), params), _cbc_encrypt(TripleDES(key), iv, plaintext)
    salt = os.urandom(16)
    iv = os.urandom(16)
    key = hashlib.pbkdf2_hmac('sha256', password.encode('utf-8'), salt, MODERN_ITERATIONS, 32)
    kdf = der.sequence(der.oid(OID_PBKDF2), der.sequence(
        der.octet_string(salt), der.integer(MODERN_ITERATIONS), der.integer(32),
        der.algorithm(HMAC_SHA256_PRF)))
    cipher = der.sequence(der.oid(OID_AES256_CBC), der.octet_string(iv))
    params = der.sequence(kdf, cipher)
    return der.sequence(der.oid(OID_PBES2), params), _cbc_encrypt(algorithms.AES(key), iv, plaintext)


def _scheme_of(algorithm_node):
    scheme = algorithm_node.children[0].oid()
    if scheme == OID_PBES2:
        return PKCS12_MODERN
    if scheme in (OID_PBE_SHA1_3DES, OID_PBE_SHA1_RC2_40, OID_PBE_SHA1_RC2_128, OID_PBE_SHA1_2DES):
        return PKCS12_LEGACY
    return None


# --- reading ------------------------------------------------------------------

class _Bag:
    __slots__ = ('kind', 'value', 'alias', 'local_key_id', 'trusted', 'encoded')

    def __init__(self, kind, value, alias, local_key_id, trusted, encoded):
        self.kind = kind
        self.value = value
        self.alias = alias
        self.local_key_id = local_key_id
        self.trusted = trusted
        self.encoded = encoded


def _attributes(node):
    alias, key_id, trusted = None, None, False
    if node is None:
        return alias, key_id, trusted
    for attribute in node.items('bag attributes'):
        parts = attribute.items('bag attribute', 2)
        attr_oid = parts[0].oid()
        values = parts[1].items('attribute values')
        if not values:
            continue
        if attr_oid == OID_FRIENDLY_NAME:
            alias = values[0].bmp_string('friendlyName')
        elif attr_oid == OID_LOCAL_KEY_ID:
            key_id = values[0].octets('localKeyID')
        elif attr_oid == OID_JAVA_TRUSTED_KEY_USAGE:
            trusted = True
    return alias, key_id, trusted


def _read_safe_contents(data, password, bags, state, depth=0):
    if depth > 4:
        raise CorruptKeystoreError('nests SafeContents too deeply')
    for bag in der.decode(data, 'SafeContents').items('SafeContents'):
        parts = bag.items('SafeBag', 2)
        bag_oid = parts[0].oid('bag type')
        value = parts[1].items('bag value', 1)[0]
        alias, key_id, trusted = _attributes(parts[2] if len(parts) > 2 else None)
        if bag_oid == OID_SHROUDED_KEY_BAG:
            enc = value.items('EncryptedPrivateKeyInfo', 2)
            state['schemes'].add(_scheme_of(enc[0]))
            bags.append(_Bag('shrouded_key', value.encoded, alias, key_id, False, bag.encoded))
        elif bag_oid == OID_KEY_BAG:
            bags.append(_Bag('key', value.encoded, alias, key_id, False, bag.encoded))
        elif bag_oid == OID_CERT_BAG:
            cert_parts = value.items('CertBag', 2)
            if cert_parts[0].oid() != OID_X509_CERTIFICATE:
                state['other'].append(bag.encoded)
                continue
            cert = cert_parts[1].items('certificate value', 1)[0].octets('certificate')
            bags.append(_Bag('cert', cert, alias, key_id, trusted, bag.encoded))
        elif bag_oid == OID_SECRET_BAG:
            bags.append(_Bag('secret', None, alias, key_id, False, bag.encoded))
        elif bag_oid == OID_SAFE_CONTENTS_BAG:
            _read_safe_contents(value.encoded, password, bags, state, depth + 1)
        else:  # CRL bags and anything else: keep as they are
            state['other'].append(bag.encoded)


def _verify_mac(mac_data, auth_safe, password, name):
    parts = mac_data.items('MacData', 2)
    digest_info = parts[0].items('DigestInfo', 2)
    digest_oid = digest_info[0].items('digest algorithm', 1)[0].oid()
    if digest_oid not in DIGEST:
        raise UnsupportedKeystoreError('%s uses MAC digest %s, which is not supported' % (name, digest_oid))
    hash_name = DIGEST[digest_oid]
    expected = digest_info[1].octets('MAC digest')
    salt = parts[1].octets('MAC salt')
    iterations = _check_iterations(parts[2].integer('MAC iterations') if len(parts) > 2 else 1)
    key = pkcs12_kdf(hash_name, password, salt, _KDF_MAC, iterations, hashlib.new(hash_name).digest_size)
    actual = hmac.new(key, auth_safe, hash_name).digest()
    if not hmac.compare_digest(actual, expected):
        # Java and OpenSSL disagree on how an empty password is encoded; try the other way.
        if not password:
            key = pkcs12_kdf(hash_name, '\0', salt, _KDF_MAC, iterations, hashlib.new(hash_name).digest_size)
            if hmac.compare_digest(hmac.new(key, auth_safe, hash_name).digest(), expected):
                return hash_name
        raise WrongPasswordError('the store password is wrong (the PKCS#12 integrity check failed)')
    return hash_name


def load(data, password, key_passwords=(), name='keystore'):
    """Parse a PKCS#12 keystore into a Keystore. ``name`` only appears in messages."""
    password = password or ''
    try:
        pfx = der.decode(data, 'PKCS#12')
        parts = pfx.items('PFX', 2)
        if parts[0].integer('PFX version') != 3:
            raise UnsupportedKeystoreError('is a PKCS#12 file of an unsupported version')
        auth_info = parts[1].items('authSafe', 2)
        if auth_info[0].oid() != OID_DATA:
            raise UnsupportedKeystoreError('uses public-key integrity mode, which is not supported')
        auth_safe = auth_info[1].items('authSafe content', 1)[0].octets('authSafe')
        mac_hash = None
        if len(parts) > 2:
            mac_hash = _verify_mac(parts[2], auth_safe, password, name)
        bags: list[_Bag] = []
        state: dict[str, Any] = {'schemes': set(), 'other': []}
        for content_info in der.decode(auth_safe, 'AuthenticatedSafe').items('AuthenticatedSafe'):
            ci = content_info.items('ContentInfo', 1)
            content_oid = ci[0].oid()
            if content_oid == OID_DATA:
                inner = ci[1].items('data', 1)[0].octets('data')
                _read_safe_contents(inner, password, bags, state)
            elif content_oid == OID_ENCRYPTED_DATA:
                enc = ci[1].items('encryptedData', 1)[0].items('EncryptedData', 2)[1].items('EncryptedContentInfo', 2)
                state['schemes'].add(_scheme_of(enc[1]))
                if len(enc) < 3:
                    continue
                try:
                    inner = decrypt(enc[1], enc[2].octets('encrypted content'), password)
                except _BadDecryption:
                    raise WrongPasswordError('the store password is wrong (the certificates could not be decrypted)')
                _read_safe_contents(inner, password, bags, state)
            else:
                raise UnsupportedKeystoreError('holds content of type %s (enveloped data), which is not supported' % content_oid)
    except der.DerError as exc:
        raise CorruptKeystoreError('is damaged or truncated (%s)' % exc)
    scheme = None
    if mac_hash == 'sha1' and state['schemes'] <= {PKCS12_LEGACY}:
        scheme = PKCS12_LEGACY
    elif state['schemes'] <= {PKCS12_MODERN}:
        scheme = PKCS12_MODERN
    store = _assemble(bags, password, key_passwords, name)
    store.pkcs12_encryption = scheme
    store.loose_certificates.extend(state['other'])
    return store


def _open_key(bag, password, key_passwords):
    """(pkcs8, password that worked) or (None, None)."""
    if bag.kind == 'key':
        return bag.value, password
    return open_shrouded_key(bag.value, [password] + [p for p in key_passwords if p and p != password])


def open_shrouded_key(encrypted_private_key_info, passwords):
    """(PKCS#8 DER, the password that opened it) or (None, None) when none of ``passwords`` does."""
    enc = der.decode(encrypted_private_key_info, 'EncryptedPrivateKeyInfo').items('EncryptedPrivateKeyInfo', 2)
    for candidate in passwords:
        try:
            plain = decrypt(enc[0], enc[1].octets('encrypted key'), candidate)
            der.decode(plain, 'PrivateKeyInfo').items('PrivateKeyInfo', 3)
            return plain, candidate
        except (_BadDecryption, der.DerError):
            continue
    return None, None


def _assemble(bags, password, key_passwords, name):
    certs = [bag for bag in bags if bag.kind == 'cert']
    by_subject: dict[Any, list[_Bag]] = {}  # by x509.Name
    from cryptography import x509
    parsed = {}
    for bag in certs:
        try:
            cert = x509.load_der_x509_certificate(bag.value)
        except ValueError as exc:
            # a trusted certificate stays an entry, as the JDK may read what cryptography cannot (a JKS reader keeps
            # it too); a key's chain is built from subjects and issuers, so its certificates must parse
            if bag.trusted:
                continue
            raise CorruptKeystoreError('holds a certificate that cannot be parsed (%s)' % exc)
        parsed[id(bag)] = cert
        by_subject.setdefault(cert.subject, []).append(bag)

    used = set()
    entries: list[Union[PrivateKeyEntry, TrustedCertificateEntry, SecretKeyEntry]] = []
    keys = [bag for bag in bags if bag.kind in ('key', 'shrouded_key')]
    for index, bag in enumerate(keys):
        leaf = None
        if bag.local_key_id is not None:
            leaf = next((c for c in certs if c.local_key_id == bag.local_key_id), None)
        if leaf is None and len(keys) == 1:
            leaf = next((c for c in certs if not c.trusted), None)
        if leaf is None:
            raise CorruptKeystoreError('has a private key (%s) without its certificate' % (bag.alias or 'no alias'))
        chain = [leaf]
        used.add(id(leaf))
        while len(chain) < 10:
            current = parsed[id(chain[-1])]
            if current.issuer == current.subject:
                break
            issuers = [c for c in by_subject.get(current.issuer, []) if c not in chain]
            issuers.sort(key=lambda c: c.trusted)  # prefer plain chain certificates
            if not issuers:
                break
            chain.append(issuers[0])
            if not issuers[0].trusted:
                used.add(id(issuers[0]))
        alias = bag.alias or leaf.alias or 'key%d' % (index + 1)
        pkcs8, worked = _open_key(bag, password, key_passwords)
        if pkcs8 is None:
            entry = PrivateKeyEntry(alias, [c.value for c in chain], sealed=bag.value, sealed_format=PKCS12)
        else:
            entry = PrivateKeyEntry(alias, [c.value for c in chain], pkcs8=pkcs8, key_password=worked)
        entries.append(entry)
    for bag in certs:
        if bag.trusted:
            used.add(id(bag))
            alias = bag.alias or 'cert-' + hashlib.sha256(bag.value).hexdigest()[:12]
            entries.append(TrustedCertificateEntry(alias, bag.value))
    for bag in bags:
        if bag.kind == 'secret':
            entries.append(SecretKeyEntry(bag.alias or 'secret', bag.encoded, PKCS12))
    loose = [bag.encoded for bag in certs if id(bag) not in used]
    store = Keystore(PKCS12, loose_certificates=loose)
    for added in entries:
        added.alias = normalize_alias(added.alias)
        if added.alias in store.entries:
            raise CorruptKeystoreError('holds the alias %r twice' % added.alias)
        store.put(added)
    return store


# --- writing ------------------------------------------------------------------

def _attribute(attr_oid, value_der):
    return der.sequence(der.oid(attr_oid), der.set_of(value_der))


def _bag(bag_oid, value_der, attributes):
    parts = [der.oid(bag_oid), der.explicit(0, value_der)]
    if attributes:
        parts.append(der.set_of(*attributes))
    return der.sequence(*parts)


def _cert_bag(cert_der, attributes):
    value = der.sequence(der.oid(OID_X509_CERTIFICATE), der.explicit(0, der.octet_string(cert_der)))
    return _bag(OID_CERT_BAG, value, attributes)


def dump(store, password, scheme=PKCS12_MODERN):
    """Serialise a Keystore as PKCS#12 with the given protection scheme."""
    password = password or ''
    key_bags, cert_bags = [], []
    for entry in store:
        friendly = _attribute(OID_FRIENDLY_NAME, der.bmp_string(entry.alias))
        if entry.kind == 'private_key':
            key_id = _attribute(OID_LOCAL_KEY_ID, der.octet_string(local_key_id(entry.alias, entry.certificate)))
            if entry.pkcs8 is not None:
                algorithm, ciphertext = _encrypt(entry.pkcs8, password, scheme)
                shrouded = der.sequence(algorithm, der.octet_string(ciphertext))
            elif entry.sealed_format == PKCS12:
                shrouded = entry.sealed
            else:
                raise KeystoreError('cannot write the private key %r as PKCS#12: its key password is unknown' % entry.alias)
            key_bags.append(_bag(OID_SHROUDED_KEY_BAG, shrouded, [friendly, key_id]))
            cert_bags.append(_cert_bag(entry.chain[0], [friendly, key_id]))
            cert_bags.extend(_cert_bag(cert, []) for cert in entry.chain[1:])
        elif entry.kind == 'trusted_certificate':
            trusted = _attribute(OID_JAVA_TRUSTED_KEY_USAGE, der.oid(OID_ANY_EXTENDED_KEY_USAGE))
            cert_bags.append(_cert_bag(entry.certificate, [friendly, trusted]))
        elif entry.sealed_format == PKCS12:
            key_bags.append(entry.sealed)
        else:
            raise KeystoreError('cannot write the secret key %r as PKCS#12' % entry.alias)
    cert_bags.extend(store.loose_certificates)
    contents = []
    if cert_bags:
        algorithm, ciphertext = _encrypt(der.sequence(*cert_bags), password, scheme)
        encrypted_content_info = der.sequence(der.oid(OID_DATA), algorithm, der.implicit_octets(0, ciphertext))
        encrypted_data = der.sequence(der.integer(0), encrypted_content_info)
        contents.append(der.sequence(der.oid(OID_ENCRYPTED_DATA), der.explicit(0, encrypted_data)))
    if key_bags:
        contents.append(der.sequence(der.oid(OID_DATA), der.explicit(0, der.octet_string(der.sequence(*key_bags)))))
    auth_safe = der.sequence(*contents)
    hash_name = 'sha1' if scheme == PKCS12_LEGACY else 'sha256'
    iterations = LEGACY_ITERATIONS if scheme == PKCS12_LEGACY else MODERN_ITERATIONS
    salt = os.urandom(20)
    mac_key = pkcs12_kdf(hash_name, password, salt, _KDF_MAC, iterations, hashlib.new(hash_name).digest_size)
    mac = hmac.new(mac_key, auth_safe, hash_name).digest()
    mac_data = der.sequence(
        der.sequence(der.algorithm(DIGEST_OID[hash_name]), der.octet_string(mac)),
        der.octet_string(salt), der.integer(iterations))
    auth_info = der.sequence(der.oid(OID_DATA), der.explicit(0, der.octet_string(auth_safe)))
    return der.sequence(der.integer(3), auth_info, mac_data)
