"""A small test PKI made with cryptography in the test itself: root and intermediate CAs, certificates
they issue for a key or a CSR, PEM out. Nothing here comes from the collection's own code."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_KEY_USAGE = dict(digital_signature=True, content_commitment=False, key_encipherment=True,
                        data_encipherment=True, key_agreement=False, key_cert_sign=False, crl_sign=False,
                        encipher_only=False, decipher_only=False)
CA_KEY_USAGE = dict(SERVER_KEY_USAGE, digital_signature=False, key_encipherment=False, data_encipherment=False,
                    key_cert_sign=True, crl_sign=True)


def new_key(size=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=size)


def name(common_name, organisation='Carbon Tests'):
    """'CN=<common_name>, O=<organisation>' as keytool prints it (the encoding stores the CN last)."""
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _validity(builder, days, start_days_ago=0):
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=start_days_ago)
    return builder.not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=days))


def make_ca(common_name='Test Root CA', parent=None, days=365):
    """(key, certificate) of a CA: self-signed, or issued by ``parent`` = (key, certificate)."""
    key = new_key()
    issuer_key, issuer = parent if parent else (key, None)
    builder = (x509.CertificateBuilder().subject_name(name(common_name))
               .issuer_name(issuer.subject if issuer is not None else name(common_name))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(**CA_KEY_USAGE), critical=True))
    return key, _validity(builder, days).sign(issuer_key, hashes.SHA256())


def issue(public_key, common_name, ca, days=90, sans=(), key_usage='server', start_days_ago=0):
    """A server certificate for ``public_key`` issued by ``ca`` = (key, certificate); ``key_usage`` is 'server'
    (with Data Encipherment, as WSO2 wants), None (no extension) or a dict of KeyUsage flags."""
    if key_usage == 'server':
        key_usage = SERVER_KEY_USAGE
    ca_key, ca_cert = ca
    builder = (x509.CertificateBuilder().subject_name(name(common_name)).issuer_name(ca_cert.subject)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                              critical=False))
    if key_usage is not None:
        builder = builder.add_extension(x509.KeyUsage(**key_usage), critical=True)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san) for san in sans]), critical=False)
    return _validity(builder, days, start_days_ago).sign(ca_key, hashes.SHA256())


def sign_csr(csr_pem, ca, days=30):
    """The CA's reply to a PKCS#10 request: its subject, public key and requested extensions."""
    ca_key, ca_cert = ca
    csr = x509.load_pem_x509_csr(csr_pem.encode() if isinstance(csr_pem, str) else csr_pem)
    assert csr.is_signature_valid
    builder = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca_cert.subject)
               .public_key(csr.public_key()).serial_number(x509.random_serial_number()))
    for extension in csr.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    return _validity(builder, days).sign(ca_key, hashes.SHA256())


def pem(*certs):
    return b''.join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs).decode('ascii')


def key_pem(key, passphrase=None):
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode('ascii')
