# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RSA encryption with a certificate's public key, and decryption with its private key, under the names Java's
javax.crypto gives the transformations."""

from __future__ import annotations

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
except ImportError:  # pragma: no cover - the action plugins name the missing package
    pass

from ansible_collections.carbon.keystores.plugins.module_utils.errors import CertificateError
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates

PKCS1 = 'RSA/ECB/PKCS1Padding'  # what the JDK's Cipher.getInstance("RSA") is
OAEP_SHA1 = 'RSA/ECB/OAEPwithSHA1andMGF1Padding'
TRANSFORMATIONS = (PKCS1, OAEP_SHA1)


def _oaep():
    # Java's OAEPwithSHA1andMGF1Padding: SHA-1 for the label hash and for MGF1
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)


class RsaCipher:
    """A certificate (DER) and its private key (PKCS#8 DER)."""

    def __init__(self, certificate_der, pkcs8_der, name):
        private_key = serialization.load_der_private_key(pkcs8_der, None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise CertificateError('The key of %s is not an RSA key; only RSA keys encrypt this way.' % name)
        self.private_key: rsa.RSAPrivateKey = private_key
        self.public_key = certificates.load_certificate_der(certificate_der).public_key()

    def encrypt(self, data, transformation):
        return self.public_key.encrypt(data, _oaep() if transformation == OAEP_SHA1 else padding.PKCS1v15())

    def decrypt(self, data, transformation):
        """The plaintext, or None when ``data`` was not encrypted for this key with ``transformation``."""
        if transformation == OAEP_SHA1:
            try:
                return self.private_key.decrypt(data, _oaep())
            except ValueError:
                return None
        return self._pkcs1_unpadded(data)

    def _pkcs1_unpadded(self, data):
        # OpenSSL 3.2 and later answer a PKCS#1 v1.5 ciphertext that is not theirs with random bytes (implicit
        # rejection) instead of an error, which cannot tell "another key" from "another value". The padding of
        # the raw RSA result can: 00 02, eight or more non-zero bytes, 00, the message. Only the controller sees
        # the answer, and only for values read from the operator's own files.
        numbers = self.private_key.private_numbers()
        modulus = numbers.public_numbers.n
        size = (modulus.bit_length() + 7) // 8
        if len(data) != size:
            return None
        ciphertext = int.from_bytes(data, 'big')
        if ciphertext >= modulus:
            return None
        padded = pow(ciphertext, numbers.d, modulus).to_bytes(size, 'big')
        if padded[:2] != b'\x00\x02':
            return None
        separator = padded.find(b'\x00', 2)
        if separator < 10:
            return None
        return padded[separator + 1:]
