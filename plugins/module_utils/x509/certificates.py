# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""X.509 helpers: key pairs, distinguished names written as keytool writes them,
self-signed certificates, PEM input, and a certificate described as plain data."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import re
import warnings

from ansible_collections.carbon.keystores.plugins.module_utils.errors import CertificateError

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, ed448, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the caller
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc


RSA_SIZES = (2048, 3072, 4096)
_DSA_DEPRECATION = r'DSA is deprecated'
EC_SIZES = {256: 'secp256r1', 384: 'secp384r1'}
DEFAULT_KEY_USAGE = ('digitalSignature', 'keyEncipherment', 'dataEncipherment')
DEFAULT_EXTENDED_KEY_USAGE = ('serverAuth', 'clientAuth')

# keytool's -dname attribute keywords, in the order keytool prints them.
_DNAME_ORDER = ('CN', 'OU', 'O', 'L', 'ST', 'C')
_DNAME_ALIASES = {
    'CN': 'CN', 'COMMONNAME': 'CN',
    'OU': 'OU', 'ORGANIZATIONALUNITNAME': 'OU', 'ORGANIZATIONALUNIT': 'OU',
    'O': 'O', 'ORGANIZATIONNAME': 'O', 'ORGANIZATION': 'O',
    'L': 'L', 'LOCALITYNAME': 'L', 'LOCALITY': 'L',
    'S': 'ST', 'ST': 'ST', 'STATEORPROVINCENAME': 'ST', 'STATE': 'ST',
    'C': 'C', 'COUNTRYNAME': 'C', 'COUNTRY': 'C',
    'EMAILADDRESS': 'EMAILADDRESS', 'E': 'EMAILADDRESS',
    'DC': 'DC', 'STREET': 'STREET', 'UID': 'UID', 'SERIALNUMBER': 'SERIALNUMBER',
}

KEY_USAGE_NAMES = (
    'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment',
    'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
)
_KEY_USAGE_ATTRS = {
    'digitalSignature': 'digital_signature', 'nonRepudiation': 'content_commitment',
    'keyEncipherment': 'key_encipherment', 'dataEncipherment': 'data_encipherment',
    'keyAgreement': 'key_agreement', 'keyCertSign': 'key_cert_sign', 'cRLSign': 'crl_sign',
    'encipherOnly': 'encipher_only', 'decipherOnly': 'decipher_only',
}
EXTENDED_KEY_USAGE_NAMES = (
    'serverAuth', 'clientAuth', 'codeSigning', 'emailProtection', 'timeStamping', 'OCSPSigning',
)


def _oid_tables():
    name_oids = {
        'CN': NameOID.COMMON_NAME, 'OU': NameOID.ORGANIZATIONAL_UNIT_NAME,
        'O': NameOID.ORGANIZATION_NAME, 'L': NameOID.LOCALITY_NAME,
        'ST': NameOID.STATE_OR_PROVINCE_NAME, 'C': NameOID.COUNTRY_NAME,
        'EMAILADDRESS': NameOID.EMAIL_ADDRESS, 'DC': NameOID.DOMAIN_COMPONENT,
        'STREET': NameOID.STREET_ADDRESS, 'UID': NameOID.USER_ID,
        'SERIALNUMBER': NameOID.SERIAL_NUMBER,
    }
    eku_oids = {
        'serverAuth': ExtendedKeyUsageOID.SERVER_AUTH, 'clientAuth': ExtendedKeyUsageOID.CLIENT_AUTH,
        'codeSigning': ExtendedKeyUsageOID.CODE_SIGNING,
        'emailProtection': ExtendedKeyUsageOID.EMAIL_PROTECTION,
        'timeStamping': ExtendedKeyUsageOID.TIME_STAMPING, 'OCSPSigning': ExtendedKeyUsageOID.OCSP_SIGNING,
    }
    return name_oids, eku_oids


# --- keys ------------------------------------------------------------------

def generate_private_key(key_type='rsa', key_size=2048):
    if key_type == 'rsa':
        if key_size not in RSA_SIZES:
            raise CertificateError('RSA key_size must be one of %s, not %s.' % (', '.join(map(str, RSA_SIZES)), key_size))
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    if key_type == 'ec':
        if key_size not in EC_SIZES:
            raise CertificateError('EC key_size must be 256 (P-256) or 384 (P-384), not %s.' % key_size)
        curve = ec.SECP256R1() if key_size == 256 else ec.SECP384R1()
        return ec.generate_private_key(curve)
    raise CertificateError('key_type must be rsa or ec, not %s.' % key_type)


def key_type_and_size(key):
    """('rsa', 2048), ('ec', 256), ... for a private or public key."""
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return 'rsa', key.key_size
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return 'ec', key.curve.key_size
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return 'ed25519', 256
    if isinstance(key, (ed448.Ed448PrivateKey, ed448.Ed448PublicKey)):
        return 'ed448', 456
    with warnings.catch_warnings():  # cryptography 51 warns on any use of its DSA names
        warnings.filterwarnings('ignore', message=_DSA_DEPRECATION)
        if isinstance(key, (dsa.DSAPrivateKey, dsa.DSAPublicKey)):
            return 'dsa', key.key_size
    return 'unknown', None


def private_key_to_pkcs8(key):
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_pkcs8(der):
    try:
        return serialization.load_der_private_key(der, password=None)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CertificateError('A private key in the keystore is damaged or of a kind this collection cannot use (%s).'
                               % exc)


def public_key_der(key):
    """SubjectPublicKeyInfo DER of a private key, public key or certificate."""
    if isinstance(key, x509.Certificate):
        key = key.public_key()
    elif hasattr(key, 'public_key'):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- names -----------------------------------------------------------------

def _split_dname(text):
    """Split 'CN=a\\, b, O="x, y"' at unescaped, unquoted commas (and keep + inside RDNs out)."""
    parts, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == '\\':
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char in ',;' and not quoted:
            parts.append(''.join(current))
            current = []
        else:
            current.append(char)
    if quoted or escaped:
        raise CertificateError('subject %r has an unterminated quote or escape.' % text)
    parts.append(''.join(current))
    return parts


def parse_subject(subject):
    """x509.Name from WSO2's dname string ('CN=..,OU=..,O=..,L=..,S=..,C=..') or a dict.

    A string keeps the order it was written in, as keytool prints it (the first
    attribute is the most specific); a dict is put in keytool's usual order."""
    name_oids = _oid_tables()[0]
    pairs = []
    if isinstance(subject, dict):
        for key, value in subject.items():
            keyword = _DNAME_ALIASES.get(str(key).replace('_', '').upper())
            if keyword is None:
                raise CertificateError('subject attribute %r is not one of %s.' % (key, ', '.join(sorted(set(_DNAME_ALIASES.values())))))
            pairs.append((keyword, str(value)))
        rank = {keyword: index for index, keyword in enumerate(_DNAME_ORDER)}
        pairs.sort(key=lambda pair: rank.get(pair[0], len(rank)))
    else:
        text = str(subject or '').strip()
        if not text:
            raise CertificateError('subject is empty; give it as "CN=host, OU=unit, O=org, L=city, ST=state, C=LK".')
        for part in _split_dname(text):
            if not part.strip():
                continue
            if '=' not in part:
                raise CertificateError('subject part %r is not KEYWORD=value.' % part.strip())
            key, value = part.split('=', 1)
            keyword = _DNAME_ALIASES.get(key.strip().upper())
            if keyword is None:
                raise CertificateError('subject attribute %r is not one of %s.' % (key.strip(), ', '.join(sorted(set(_DNAME_ALIASES.values())))))
            pairs.append((keyword, value.strip()))
    if not pairs:
        raise CertificateError('subject has no attributes.')
    attributes = []
    for keyword, value in pairs:
        if keyword == 'C' and len(value) != 2:
            raise CertificateError('subject country C=%s must be a two-letter code.' % value)
        if not value:
            raise CertificateError('subject attribute %s has an empty value.' % keyword)
        attributes.append(x509.NameAttribute(name_oids[keyword], value))
    # A DN string lists the most specific RDN first; the encoding stores it last.
    return x509.Name(list(reversed(attributes)))


_JAVA_KEYWORDS = None


def format_name(name):
    """A Name as keytool prints it: 'CN=host, OU=unit, O=org, L=city, ST=state, C=LK'."""
    global _JAVA_KEYWORDS
    if _JAVA_KEYWORDS is None:
        _JAVA_KEYWORDS = {oid.dotted_string: keyword for keyword, oid in _oid_tables()[0].items()}
    rdns = []
    for rdn in reversed(list(name.rdns)):
        values = []
        for attribute in rdn:
            keyword = _JAVA_KEYWORDS.get(attribute.oid.dotted_string, 'OID.' + attribute.oid.dotted_string)
            value = attribute.value if isinstance(attribute.value, str) else attribute.value.hex()
            if re.search(r'[,+=";<>#\\]|^\s|\s$', value):
                value = '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"')
            values.append('%s=%s' % (keyword, value))
        rdns.append(' + '.join(values))
    return ', '.join(rdns)


def parse_subject_alt_names(values):
    """['DNS:host', 'IP:10.0.0.1'] -> list of GeneralName."""
    names: list[x509.GeneralName] = []
    for value in values or ():
        kind, sep, rest = str(value).partition(':')
        kind = kind.strip().upper()
        rest = rest.strip()
        if not sep or not rest:
            raise CertificateError('subject alternative name %r must look like DNS:host.example.org or IP:10.0.0.1.' % value)
        if kind == 'DNS':
            names.append(x509.DNSName(rest))
        elif kind == 'IP':
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(rest)))
            except ValueError:
                raise CertificateError('subject alternative name %r is not an IP address.' % value)
        elif kind in ('EMAIL', 'RFC822'):
            names.append(x509.RFC822Name(rest))
        elif kind == 'URI':
            names.append(x509.UniformResourceIdentifier(rest))
        else:
            raise CertificateError('subject alternative name %r: the type must be DNS, IP, EMAIL or URI.' % value)
    return names


def format_general_name(name):
    if isinstance(name, x509.DNSName):
        return 'DNS:' + name.value
    if isinstance(name, x509.IPAddress):
        return 'IP:' + str(name.value)
    if isinstance(name, x509.RFC822Name):
        return 'EMAIL:' + name.value
    if isinstance(name, x509.UniformResourceIdentifier):
        return 'URI:' + name.value
    if isinstance(name, x509.DirectoryName):
        return 'DIRNAME:' + format_name(name.value)
    return 'OTHER:' + repr(name.value)


# --- certificates ----------------------------------------------------------

def build_self_signed(private_key, subject, subject_alt_names=(), valid_days=3650,
                      key_usage=DEFAULT_KEY_USAGE, extended_key_usage=DEFAULT_EXTENDED_KEY_USAGE,
                      now=None):
    """A self-signed certificate for ``private_key`` (SHA-256 signature)."""
    name_oids, eku_oids = _oid_tables()
    now = now or datetime.datetime.now(datetime.timezone.utc)
    not_before = now - datetime.timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(now + datetime.timedelta(days=int(valid_days)))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False)
    )
    if subject_alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(subject_alt_names)), critical=False)
    if key_usage:
        unknown = set(key_usage) - set(KEY_USAGE_NAMES)
        if unknown:
            raise CertificateError('key_usage %s unknown; use %s.' % (', '.join(sorted(unknown)), ', '.join(KEY_USAGE_NAMES)))
        flags = {attr: name in key_usage for name, attr in _KEY_USAGE_ATTRS.items()}
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    if extended_key_usage:
        unknown = set(extended_key_usage) - set(eku_oids)
        if unknown:
            raise CertificateError('extended_key_usage %s unknown; use %s.' % (', '.join(sorted(unknown)), ', '.join(EXTENDED_KEY_USAGE_NAMES)))
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku_oids[name] for name in extended_key_usage]), critical=False)
    algorithm = None if isinstance(private_key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)) else hashes.SHA256()
    return builder.sign(private_key, algorithm)


@contextlib.contextmanager
def tolerating_legacy_certificates():
    """Work on certificates without cryptography's deprecation warnings for what old trust stores
    hold: a serial number of zero (in the certificate or in its authority key identifier), which
    trusted roots in every JDK's cacerts have (Starfield, Go Daddy), and DSA keys (deprecated in
    cryptography 51), which an old truststore may carry. Printed on the task's stderr, they say
    nothing an operator can act on there. Wraps a whole task, since cryptography parses lazily."""
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message=r'Parsed a serial number which wasn.t positive')
        warnings.filterwarnings('ignore', message=_DSA_DEPRECATION)
        yield


def load_certificate_der(der):
    try:
        return x509.load_der_x509_certificate(bytes(der))
    except ValueError as exc:
        raise CertificateError('not a valid X.509 certificate (%s).' % exc)


def certificate_der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


_PEM_BEGIN = re.compile(rb'-----BEGIN ([A-Z0-9 ]{1,64})-----')


def pem_blocks(data, name='PEM input'):
    """[(label, pem bytes)] found in ``data``, in one pass (text around the blocks is ignored, as
    OpenSSL does). A BEGIN line without its END line is an error: a bundle cut short must not
    lose its last certificate silently."""
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    blocks: list[tuple[str, bytes]] = []
    position = 0
    while True:
        begin = _PEM_BEGIN.search(data, position)
        if begin is None:
            return blocks
        label = begin.group(1)
        end_line = b'-----END ' + label + b'-----'
        end = data.find(end_line, begin.end())
        if end < 0:
            raise CertificateError('%s has a -----BEGIN %s----- line without its -----END %s----- line; the file '
                                   'looks cut short.' % (name, label.decode('ascii'), label.decode('ascii')))
        position = end + len(end_line)
        blocks.append((label.decode('ascii'), data[begin.start():position]))


def load_pem_certificates(data, name='PEM input'):
    """Every CERTIFICATE block in ``data`` as DER, in order; at least one."""
    ders = []
    for label, block in pem_blocks(data, name):
        if label in ('CERTIFICATE', 'TRUSTED CERTIFICATE', 'X509 CERTIFICATE'):
            try:
                ders.append(certificate_der(x509.load_pem_x509_certificate(block.replace(label.encode(), b'CERTIFICATE'))))
            except ValueError as exc:
                raise CertificateError('%s holds a CERTIFICATE block that is not a valid certificate (%s).' % (name, exc))
    if not ders:
        raise CertificateError('%s contains no PEM certificate (-----BEGIN CERTIFICATE-----).' % name)
    return ders


def load_pem_private_key(data, passphrase=None, name='private key'):
    """A private key from PEM (PKCS#8, PKCS#1 or SEC1; encrypted or not)."""
    blocks = [block for label, block in pem_blocks(data, name) if label.endswith('PRIVATE KEY')]
    if not blocks:
        raise CertificateError('%s contains no PEM private key block; give the key as PEM (PKCS#8, PKCS#1 or SEC1).' % name)
    if len(blocks) > 1:
        raise CertificateError('%s contains %d private keys; give exactly one.' % (name, len(blocks)))
    password = passphrase.encode('utf-8') if passphrase else None
    try:
        return serialization.load_pem_private_key(blocks[0], password=password)
    except TypeError:
        if password is None:
            raise CertificateError('%s is encrypted; give private_key_passphrase.' % name)
        raise CertificateError('%s is not encrypted; remove private_key_passphrase.' % name)
    except ValueError:
        if password is not None:
            raise CertificateError('%s could not be decrypted: the passphrase is wrong or the key is damaged.' % name)
        raise CertificateError('%s is not a valid private key.' % name)
    except UnsupportedAlgorithm as exc:  # a damaged key can name an algorithm that does not exist
        raise CertificateError('%s is damaged or uses a key type or encryption this collection cannot read (%s).'
                               % (name, exc))


def certificate_pem(der):
    return load_certificate_der(der).public_bytes(serialization.Encoding.PEM).decode('ascii')


def _colon_hex(digest):
    return ':'.join('%02X' % byte for byte in digest)


def fingerprint(cert_or_der, algorithm='sha256'):
    """Upper-case hex pairs joined by ':', as keytool prints them."""
    import hashlib
    der = cert_or_der if isinstance(cert_or_der, (bytes, bytearray)) else certificate_der(cert_or_der)
    return _colon_hex(hashlib.new(algorithm, bytes(der)).digest())


def _utc(cert, attribute):
    value = getattr(cert, attribute + '_utc', None)
    if value is None:  # cryptography < 42
        value = getattr(cert, attribute).replace(tzinfo=datetime.timezone.utc)
    return value


def not_after(cert):
    return _utc(cert, 'not_valid_after')


def iso8601(moment):
    return moment.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _extension(cert, cls):
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None
    except ValueError:  # malformed extension: describe the rest of the certificate
        return None


def key_usage_names(cert):
    usage = _extension(cert, x509.KeyUsage)
    if usage is None:
        return []
    names = []
    for name, attr in _KEY_USAGE_ATTRS.items():
        if attr in ('encipher_only', 'decipher_only') and not usage.key_agreement:
            continue
        if getattr(usage, attr):
            names.append(name)
    return names


def restricts_key_usage(cert):
    """Whether the certificate has a Key Usage extension (without one, every usage is allowed)."""
    return _extension(cert, x509.KeyUsage) is not None


def extended_key_usage_names(cert):
    usage = _extension(cert, x509.ExtendedKeyUsage)
    if usage is None:
        return []
    by_oid = {oid.dotted_string: name for name, oid in _oid_tables()[1].items()}
    return [by_oid.get(oid.dotted_string, oid.dotted_string) for oid in usage]


def subject_alt_names(cert):
    names = _extension(cert, x509.SubjectAlternativeName)
    return [format_general_name(name) for name in names] if names is not None else []


def signature_algorithm(cert):
    try:
        name = cert.signature_algorithm_oid._name
    except Exception:  # pragma: no cover - defensive: unknown OIDs still have a dotted string
        name = None
    return name or cert.signature_algorithm_oid.dotted_string


def describe_certificate(cert_or_der, now=None):
    """A certificate as plain data (JSON-ready)."""
    cert = load_certificate_der(cert_or_der) if isinstance(cert_or_der, (bytes, bytearray)) else cert_or_der
    der = certificate_der(cert)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    expires = not_after(cert)
    try:
        key_type, key_size = key_type_and_size(cert.public_key())
    except (ValueError, UnsupportedAlgorithm):  # unsupported public key algorithm
        key_type, key_size = 'unknown', None
    return {
        'subject': format_name(cert.subject),
        'issuer': format_name(cert.issuer),
        'serial': '%x' % cert.serial_number,
        'not_before': iso8601(_utc(cert, 'not_valid_before')),
        'not_after': iso8601(expires),
        'days_left': (expires - now).days,
        'expired': expires <= now,
        'fingerprint_sha256': fingerprint(der, 'sha256'),
        'fingerprint_sha1': fingerprint(der, 'sha1'),
        'key_type': key_type,
        'key_size': key_size,
        'signature_algorithm': signature_algorithm(cert),
        'key_usage': key_usage_names(cert),
        'extended_key_usage': extended_key_usage_names(cert),
        'subject_alt_names': subject_alt_names(cert),
        'self_signed': cert.issuer == cert.subject,
    }


def describe_trusted_certificate(der, now=None):
    """A trusted certificate as describe_certificate gives it or, where cryptography cannot parse it (the JDK may:
    JDK 17's keytool encodes a DSA signature's algorithm with a NULL parameter, which RFC 5758 forbids), what the
    bytes alone tell: its fingerprints, and why the rest is unknown. A truststore keeps such an entry as it is."""
    try:
        return describe_certificate(der, now)
    except CertificateError as exc:
        unknown = dict.fromkeys(('subject', 'issuer', 'serial', 'not_before', 'not_after', 'days_left', 'key_size'))
        return dict(unknown, expired=False, fingerprint_sha256=fingerprint(der, 'sha256'),
                    fingerprint_sha1=fingerprint(der, 'sha1'), key_type='unknown', signature_algorithm='unknown',
                    key_usage=[], extended_key_usage=[], subject_alt_names=[], self_signed=False, unparsed=str(exc).rstrip('.'))


# --- signing requests and CA replies -----------------------------------------

def build_csr(private_key, subject, subject_alt_names=(), key_usage=(), extended_key_usage=()):
    """A PKCS#10 request (PEM bytes) for ``private_key``, asking for the given extensions."""
    eku_oids = _oid_tables()[1]
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if subject_alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(subject_alt_names)), critical=False)
    if key_usage:
        flags = {attr: name in key_usage for name, attr in _KEY_USAGE_ATTRS.items()}
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    if extended_key_usage:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([eku_oids[name] for name in extended_key_usage if name in eku_oids]), critical=False)
    algorithm = None if isinstance(private_key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)) else hashes.SHA256()
    return builder.sign(private_key, algorithm).public_bytes(serialization.Encoding.PEM)


def same_csr(existing_pem, wanted_pem):
    """Whether an existing request asks for the same key, subject and extensions."""
    if not existing_pem:
        return False
    try:
        existing = x509.load_pem_x509_csr(existing_pem)
    except ValueError:
        return False
    wanted = x509.load_pem_x509_csr(wanted_pem)
    return (public_key_der(existing.public_key()) == public_key_der(wanted.public_key())
            and existing.subject == wanted.subject and set(existing.extensions) == set(wanted.extensions))


def _issued_by(cert, issuer):
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False


def complete_chain(leaf, candidates):
    """[leaf, issuer, ..., root]: each certificate verifiably signed by the next, taken from
    ``candidates``; stops at a self-signed root. Returns (chain, missing issuer Name or None)."""
    chain = [leaf]
    while len(chain) < 12:
        current = chain[-1]
        if current.issuer == current.subject:
            return chain, None
        issuer = next((c for c in candidates if c not in chain and _issued_by(current, c)), None)
        if issuer is None:
            return chain, current.issuer
        chain.append(issuer)
    return chain, None
