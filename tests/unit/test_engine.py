"""The keystore engine on its own, with keytool and the JDK as judges."""

from __future__ import annotations

import os

import pytest
from cryptography import x509

from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates as certs
from ansible_collections.carbon.keystores.plugins.module_utils.errors import (
    CorruptKeystoreError, KeystoreTypeMismatchError, UnsupportedKeystoreError, WrongPasswordError,
)
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import codec as keystore_io
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import der, pkcs12
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.model import Keystore, PrivateKeyEntry, TrustedCertificateEntry
from helpers import cacerts_path, java_keycheck, keytool, keytool_entries


def _key_entry(alias='server', key_type='rsa', key_size=2048, subject='CN=server.example.org'):
    key = certs.generate_private_key(key_type, key_size)
    cert = certs.build_self_signed(key, certs.parse_subject(subject))
    return PrivateKeyEntry(alias, [certs.certificate_der(cert)], pkcs8=certs.private_key_to_pkcs8(key)), key


def _ca(subject='CN=Test Root CA, O=Test'):
    key = certs.generate_private_key('ec', 256)
    return certs.build_self_signed(key, certs.parse_subject(subject), key_usage=['keyCertSign', 'cRLSign'],
                                   extended_key_usage=[])


# --- distinguished names -------------------------------------------------------

def test_dname_string_keeps_keytools_order_and_accepts_s_for_st():
    name = certs.parse_subject('CN=testdomain.org, OU=Home,O=Home,L=SL,S=WS,C=LK')
    assert certs.format_name(name) == 'CN=testdomain.org, OU=Home, O=Home, L=SL, ST=WS, C=LK'
    assert name == certs.parse_subject('CN=testdomain.org,OU=Home,O=Home,L=SL,ST=WS,C=LK')


def test_dname_dict_is_put_in_keytools_order():
    name = certs.parse_subject({'C': 'LK', 'O': 'WSO2', 'CN': 'is.example.org', 'st': 'Western'})
    assert certs.format_name(name) == 'CN=is.example.org, O=WSO2, ST=Western, C=LK'


def test_dname_escaped_comma_and_quotes():
    name = certs.parse_subject('CN=host, O=Example\\, Inc., L="Colombo, 03"')
    values = [attr.value for attr in name]
    assert 'Example, Inc.' in values and 'Colombo, 03' in values


@pytest.mark.parametrize('bad', ['', 'CN', 'XX=1', 'CN=a, C=LKA', 'CN="open'])
def test_dname_errors_are_sentences(bad):
    with pytest.raises(certs.CertificateError) as caught:
        certs.parse_subject(bad)
    assert str(caught.value).endswith('.')


# --- DER ---------------------------------------------------------------------

def test_der_round_trip_and_truncation():
    encoded = der.sequence(der.integer(3), der.oid('1.2.840.113549.1.7.1'), der.octet_string(b'x' * 300))
    node = der.decode(encoded)
    assert node.children[0].integer() == 3
    assert node.children[1].oid() == '1.2.840.113549.1.7.1'
    assert node.children[2].octets() == b'x' * 300
    with pytest.raises(der.DerError):
        der.decode(encoded[:-1])
    with pytest.raises(der.DerError):
        der.decode(encoded + b'\x00')


def test_der_reads_ber_indefinite_length_and_constructed_octets():
    ber = b'\x30\x80' + b'\x24\x80' + der.octet_string(b'ab') + der.octet_string(b'cd') + b'\x00\x00' + b'\x00\x00'
    assert der.decode(ber).children[0].octets() == b'abcd'


# --- PKCS#12 -----------------------------------------------------------------

def test_pkcs12_kdf_matches_known_vector():
    # The widely used PKCS#12 KDF test vector: password "smeg", salt 0A58CF64530D823F, id 1, 1 iteration.
    key = pkcs12.pkcs12_kdf('sha1', 'smeg', bytes.fromhex('0A58CF64530D823F'), 1, 1, 24)
    assert key.hex().upper() == '8AAAE6297B6CB04642AB5B077851284EB7128F1A2A7FBCA3'


@pytest.mark.jvm
@pytest.mark.parametrize('scheme', ['modern', 'legacy'])
def test_pkcs12_with_keys_and_trusted_certificates_round_trips_through_keytool(tmp_path, scheme):
    entry = _key_entry('Server')[0]
    second = _key_entry('second', 'ec', 384, 'CN=second')[0]
    ca = _ca()
    store = Keystore('pkcs12', [entry, second, TrustedCertificateEntry('rootca', certs.certificate_der(ca))])
    path = tmp_path / 'store.p12'
    path.write_bytes(keystore_io.dump_keystore(store, 'storepass', pkcs12_encryption=scheme))

    listed = {e['alias']: e for e in keytool_entries(path, 'storepass')}
    assert listed['rootca']['type'] == 'trustedCertEntry'
    assert listed['server']['type'] == 'PrivateKeyEntry' and listed['second']['type'] == 'PrivateKeyEntry'
    assert listed['rootca']['sha256'] == certs.fingerprint(ca)
    assert java_keycheck(path, 'PKCS12', 'storepass', 'second', 'storepass').returncode == 0

    back = keystore_io.load_keystore(path.read_bytes(), 'storepass', str(path))
    assert back.pkcs12_encryption == scheme
    assert [(e.alias, e.kind) for e in back] == [('server', 'private_key'), ('second', 'private_key'),
                                                 ('rootca', 'trusted_certificate')]
    assert back.get('server').pkcs8 == entry.pkcs8


@pytest.mark.jvm
def test_keytool_pkcs12_with_secret_key_keeps_every_entry_on_rewrite(tmp_path):
    path = tmp_path / 'kt.p12'
    keytool('-genkeypair', '-keystore', path, '-storetype', 'PKCS12', '-storepass', 'storepw', '-alias', 'k1',
            '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=k1')
    keytool('-genseckey', '-keystore', path, '-storepass', 'storepw', '-alias', 'aes1', '-keyalg', 'AES', '-keysize', '128')
    before = {(e['alias'], e['type'], e['sha256']) for e in keytool_entries(path, 'storepw')}
    store = keystore_io.load_keystore(path.read_bytes(), 'storepw', str(path))
    assert store.get('aes1').kind == 'secret_key'
    rewritten = tmp_path / 'rewritten.p12'
    rewritten.write_bytes(keystore_io.dump_keystore(store, 'storepw'))
    assert {(e['alias'], e['type'], e['sha256']) for e in keytool_entries(rewritten, 'storepw')} == before


@pytest.mark.jvm
def test_jks_key_password_differs_from_store_password(tmp_path):
    path = tmp_path / 'kt.jks'
    keytool('-genkeypair', '-keystore', path, '-storetype', 'JKS', '-storepass', 'storepw', '-keypass', 'keypass2',
            '-alias', 'a1', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=a1')
    sealed = keystore_io.load_keystore(path.read_bytes(), 'storepw', str(path))
    assert sealed.get('a1').pkcs8 is None  # kept encrypted: the key password was not given
    # A rewrite (with an entry added) keeps the sealed key usable with its own password.
    sealed.put(TrustedCertificateEntry('ca', certs.certificate_der(_ca())))
    out = tmp_path / 'out.jks'
    out.write_bytes(keystore_io.dump_keystore(sealed, 'storepw'))
    assert java_keycheck(out, 'JKS', 'storepw', 'a1', 'keypass2').returncode == 0
    opened = keystore_io.load_keystore(path.read_bytes(), 'storepw', str(path), key_passwords=['keypass2'])
    assert opened.get('a1').pkcs8 is not None and opened.get('a1').key_password == 'keypass2'


def test_openssl_legacy_rc2_pkcs12_is_read(tmp_path):
    key = certs.generate_private_key('rsa', 2048)
    cert = certs.build_self_signed(key, certs.parse_subject('CN=legacy'))
    (tmp_path / 'k.pem').write_bytes(key.private_bytes(
        certs.serialization.Encoding.PEM, certs.serialization.PrivateFormat.PKCS8, certs.serialization.NoEncryption()))
    (tmp_path / 'c.pem').write_bytes(cert.public_bytes(certs.serialization.Encoding.PEM))
    import subprocess
    made = subprocess.run(['openssl', 'pkcs12', '-export', '-legacy', '-in', tmp_path / 'c.pem', '-inkey',
                           tmp_path / 'k.pem', '-name', 'legacy', '-out', tmp_path / 'l.p12', '-passout', 'pass:pw'],
                          capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip('this openssl cannot write -legacy PKCS12: %s' % made.stderr[-200:])
    store = keystore_io.load_keystore((tmp_path / 'l.p12').read_bytes(), 'pw', 'l.p12')
    assert store.pkcs12_encryption == 'legacy'
    assert store.get('legacy').chain[0] == certs.certificate_der(cert)


@pytest.mark.jvm
def test_jceks_is_read_but_not_written(tmp_path):
    path = tmp_path / 'kt.jceks'
    keytool('-genkeypair', '-keystore', path, '-storetype', 'JCEKS', '-storepass', 'storepw', '-alias', 'j1',
            '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=j1')
    store = keystore_io.load_keystore(path.read_bytes(), 'storepw', str(path))
    assert store.store_type == 'jceks' and store.get('j1').kind == 'private_key'
    with pytest.raises(UnsupportedKeystoreError):
        keystore_io.dump_keystore(store, 'storepw')


@pytest.mark.jvm
def test_cacerts_fingerprints_match_keytool():
    path = cacerts_path()
    with open(path, 'rb') as handle:
        store = keystore_io.load_keystore(handle.read(), 'changeit', path)
    ours = sorted(certs.fingerprint(entry.certificate) for entry in store)
    theirs = sorted(e['sha256'] for e in keytool_entries(path, 'changeit'))
    assert len(ours) == len(theirs) > 100
    assert ours == theirs


@pytest.mark.parametrize('case,error', [
    ('empty', CorruptKeystoreError), ('random', CorruptKeystoreError), ('truncated_p12', CorruptKeystoreError),
    ('truncated_jks', CorruptKeystoreError), ('wrong_password', WrongPasswordError), ('pem', UnsupportedKeystoreError),
    ('p12_as_jks', KeystoreTypeMismatchError),
])
def test_bad_input_is_one_sentence_naming_the_file(tmp_path, case, error):
    entry = _key_entry()[0]
    p12 = keystore_io.dump_keystore(Keystore('pkcs12', [entry]), 'pw')
    jks = keystore_io.dump_keystore(Keystore('jks', [_key_entry()[0]]), 'pw')
    data, password, expected = {
        'empty': (b'', 'pw', None), 'random': (os.urandom(4096), 'pw', None),
        'truncated_p12': (p12[:len(p12) // 2], 'pw', None), 'truncated_jks': (jks[:len(jks) - 30], 'pw', None),
        'wrong_password': (p12, 'nope', None), 'pem': (b'-----BEGIN CERTIFICATE-----\nAAAA\n', 'pw', None),
        'p12_as_jks': (p12, 'pw', 'jks'),
    }[case]
    with pytest.raises(error) as caught:
        keystore_io.load_keystore(data, password, '/srv/x/store.bin', expected)
    message = str(caught.value)
    assert message.startswith('Cannot open keystore /srv/x/store.bin: ') and message.endswith('.')
    assert message.count('. ') == 0 or case in ('pem',), message


def test_self_signed_defaults_match_wso2s_needs():
    key = certs.generate_private_key('rsa', 2048)
    cert = certs.build_self_signed(key, certs.parse_subject('CN=x'), certs.parse_subject_alt_names(['DNS:x', 'IP:10.0.0.1']))
    described = certs.describe_certificate(cert)
    assert described['key_usage'] == ['digitalSignature', 'keyEncipherment', 'dataEncipherment']
    assert described['extended_key_usage'] == ['serverAuth', 'clientAuth']
    assert described['subject_alt_names'] == ['DNS:x', 'IP:10.0.0.1']
    assert described['signature_algorithm'] == 'sha256WithRSAEncryption'
    assert isinstance(cert.extensions.get_extension_for_class(x509.KeyUsage).value, x509.KeyUsage)


def _cert_with(key, subject='CN=finding', days=365, algorithm=None, key_usage=None, offset_days=0):
    import datetime
    from cryptography.hazmat.primitives import hashes
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=offset_days)
    builder = (x509.CertificateBuilder().subject_name(certs.parse_subject(subject)).issuer_name(certs.parse_subject(subject))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=days)))
    if key_usage is not None:
        flags = dict(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                     key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
        flags.update(key_usage)
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    return builder.sign(key, algorithm or hashes.SHA256())


def _sha1_signed(tmp_path):
    """cryptography no longer signs with SHA-1; openssl still does."""
    import subprocess
    made = subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha1', '-subj', '/CN=sha1',
                           '-days', '100', '-keyout', tmp_path / 'k.pem', '-out', tmp_path / 'c.pem'],
                          capture_output=True, check=False)
    assert made.returncode == 0, made.stderr
    key = certs.load_pem_private_key((tmp_path / 'k.pem').read_bytes())
    return key, x509.load_pem_x509_certificate((tmp_path / 'c.pem').read_bytes())


def test_keystore_info_findings_each_have_a_cause(tmp_path):
    from cryptography.hazmat.primitives.asymmetric import rsa
    from ansible_collections.carbon.keystores.plugins.module_utils.keystore import inspection
    weak = rsa.generate_private_key(65537, 1024)
    good = certs.generate_private_key('rsa', 2048)
    entries = {
        'expired': _cert_with(good, days=10, offset_days=-30),
        'expiring': _cert_with(good, days=5),
        'weak_rsa_key': _cert_with(weak),
        'no_data_encipherment': _cert_with(good, key_usage={'digital_signature': True, 'key_encipherment': True}),
        'clean': _cert_with(good, days=400, key_usage={'digital_signature': True, 'data_encipherment': True}),
    }
    sha1_key, entries['weak_signature'] = _sha1_signed(tmp_path)
    store = Keystore('jks')
    for alias, cert in entries.items():
        key = {'weak_rsa_key': weak, 'weak_signature': sha1_key}.get(alias, good)
        store.put(PrivateKeyEntry(alias, [certs.certificate_der(cert)], pkcs8=certs.private_key_to_pkcs8(key),
                                  key_password='pw'))
    store.put(PrivateKeyEntry('key_password_differs', [certs.certificate_der(entries['clean'])],
                              pkcs8=certs.private_key_to_pkcs8(good), key_password='other'))
    _entries, findings = inspection.describe_store(store, 'pw', expiry_warning_days=30)
    found = {(f['alias'], f['code']) for f in findings}
    for code in ('expired', 'expiring', 'weak_rsa_key', 'weak_signature', 'no_data_encipherment', 'key_password_differs'):
        assert (code, code) in found, (code, sorted(found))
    assert not [f for f in findings if f['alias'] == 'clean']
    assert all(f['message'].endswith('.') for f in findings)


def test_pkcs12_key_under_another_password_stays_sealed_until_opened_with_it():
    from ansible_collections.carbon.keystores.plugins.module_utils.errors import WrongKeyPasswordError
    entry = _key_entry()[0]
    algorithm, ciphertext = pkcs12._encrypt(entry.pkcs8, 'other-pass', 'modern')
    sealed = der.sequence(algorithm, der.octet_string(ciphertext))
    store = Keystore('pkcs12', [PrivateKeyEntry('k', entry.chain, sealed=sealed, sealed_format='pkcs12')])
    back = keystore_io.load_keystore(keystore_io.dump_keystore(store, 'store-pass'), 'store-pass', 'x.p12')
    assert back.get('k').pkcs8 is None and back.get('k').sealed == sealed
    with pytest.raises(WrongKeyPasswordError) as caught:
        keystore_io.open_private_key(back.get('k'), 'wrong-pass', 'x.p12')
    assert str(caught.value) == "Cannot open keystore x.p12: the key password of entry 'k' is wrong."
    keystore_io.open_private_key(back.get('k'), 'other-pass', 'x.p12')
    assert back.get('k').pkcs8 == entry.pkcs8


def test_imported_chain_is_ordered_leaf_to_root_whatever_the_order_given():
    import datetime
    from cryptography.hazmat.primitives import hashes
    from ansible_collections.carbon.keystores.plugins.module_utils.tasks import keystore as keystore_task
    now = datetime.datetime.now(datetime.timezone.utc)

    def issue(subject, key, issuer_cert, issuer_key):
        return (x509.CertificateBuilder().subject_name(certs.parse_subject(subject)).issuer_name(issuer_cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30)).sign(issuer_key, hashes.SHA256()))
    root_key, mid_key, leaf_key = (certs.generate_private_key("ec", 256) for _number in range(3))
    root = certs.build_self_signed(root_key, certs.parse_subject('CN=Root'))
    mid = issue('CN=Intermediate', mid_key, root, root_key)
    leaf = issue('CN=leaf', leaf_key, mid, mid_key)
    stranger = certs.build_self_signed(certs.generate_private_key('ec', 256), certs.parse_subject('CN=Stranger'))

    def pem(cert):
        return cert.public_bytes(certs.serialization.Encoding.PEM).decode()
    params = {'private_key': leaf_key.private_bytes(certs.serialization.Encoding.PEM, certs.serialization.PrivateFormat.PKCS8,
                                                    certs.serialization.NoEncryption()).decode(),
              'certificate': pem(leaf), 'chain': [pem(stranger) + pem(root), pem(mid)]}
    _key, chain = keystore_task._requested_material(params, 'x.jks')
    assert chain == [certs.certificate_der(c) for c in (leaf, mid, root, stranger)]


def test_a_damaged_encrypted_key_is_refused_with_a_sentence():
    """Found by the fuzzer: a flipped ciphertext bit decrypts to a PKCS#8 key naming an algorithm that does not
    exist, and cryptography raised UnsupportedAlgorithm past every handler."""
    from cryptography.hazmat.primitives import serialization

    key = certs.generate_private_key('ec', 256)
    pem = bytearray(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.BestAvailableEncryption(b'Fuzz-Pass-77')))
    pem[164] ^= 1
    with pytest.raises(certs.CertificateError):
        certs.load_pem_private_key(bytes(pem), 'Fuzz-Pass-77', 'damaged.pem')


def test_naming_a_dsa_key_raises_no_deprecation_warning():
    # cryptography 51 warns on every use of its DSA names; an old store's DSA key is still named, quietly
    import warnings
    from cryptography.hazmat.primitives.asymmetric import dsa, ed25519
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        dsa_key = dsa.generate_private_key(2048)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert certs.key_type_and_size(dsa_key) == ('dsa', 2048)
        assert certs.key_type_and_size(dsa_key.public_key()) == ('dsa', 2048)
        assert certs.key_type_and_size(ed25519.Ed25519PrivateKey.generate()) == ('ed25519', 256)
        with certs.tolerating_legacy_certificates():
            dsa.DSAPublicKey  # noqa: B018 - the access itself is what warns
