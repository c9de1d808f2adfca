"""carbon.keystores.truststore, and CSR / CA reply in carbon.keystores.keystore, through real
playbooks, judged by keytool and a JDK TLS handshake."""

from __future__ import annotations

import shutil

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates as certs
import pki
from helpers import (
    cacerts_path, java_keycheck, keytool, keytool_entries, pretty, run_playbook, sha256_file, tls_handshake,
)

PASSWORD = 'Trust-Pass-2026'
SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'


def _trust(name, path, **options):
    args = dict(path=str(path), password=PASSWORD)
    args.update(options)
    return {'name': name, 'carbon.keystores.truststore': args}


def _ks(name, path, **options):
    args = dict(path=str(path), password=PASSWORD, alias='server')
    args.update(options)
    return {'name': name, 'carbon.keystores.keystore': args}


def _bundle_count():
    with open(SYSTEM_BUNDLE, encoding='ascii', errors='replace') as handle:
        return handle.read().count('-----BEGIN CERTIFICATE-----')


def _ca(tmp_path, name='Test Root CA'):
    """A real CA (basic constraints CA:true, made with cryptography) and its certificate in a PEM file."""
    key, cert = pki.make_ca(name)
    path = tmp_path / (name.replace(' ', '-').lower() + '.pem')
    path.write_text(pki.pem(cert))
    return key, cert, path


def _sign(csr_pem, ca_key, ca_cert, days=30):
    return pki.sign_csr(csr_pem, (ca_key, ca_cert), days)


def test_system_bundle_into_new_jks_and_pkcs12_and_into_cacerts(tmp_path):
    count = _bundle_count()
    cacerts_copy = tmp_path / 'cacerts'
    shutil.copyfile(cacerts_path(), cacerts_copy)
    before = sha256_file(cacerts_copy)
    tasks = [
        _trust('jks', tmp_path / 'bundle.jks', certificates=[SYSTEM_BUNDLE]),
        _trust('p12', tmp_path / 'bundle.p12', certificates=[SYSTEM_BUNDLE]),
        _trust('jks_again', tmp_path / 'bundle.jks', certificates=[SYSTEM_BUNDLE]),
        _trust('p12_again', tmp_path / 'bundle.p12', certificates=[SYSTEM_BUNDLE]),
        _trust('cacerts', cacerts_copy, password='changeit', certificates=[SYSTEM_BUNDLE]),
    ]
    run = run_playbook(tmp_path, tasks)
    for name, path in (('jks', 'bundle.jks'), ('p12', 'bundle.p12')):
        assert run[name]['changed'] and len(run[name]['added']) == count, pretty(run[name]['changes'])
        listed = keytool_entries(tmp_path / path, PASSWORD)
        assert sum(1 for e in listed if e['type'] == 'trustedCertEntry') == count == 144
        assert len({e['alias'] for e in listed}) == count
        again = run[name + '_again']
        assert again['changed'] is False and len(again['already_present']) == count
    assert run['cacerts']['changed'] is False and len(run['cacerts']['already_present']) == count
    assert sha256_file(cacerts_copy) == before


def test_trusted_certificates_come_and_go_around_a_key_entry(tmp_path):
    store = tmp_path / 'mixed.jks'
    keytool('-genkeypair', '-keystore', store, '-storetype', 'JKS', '-storepass', PASSWORD, '-keypass', 'Key-Pass-99',
            '-alias', 'wso2carbon', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=node')
    key_before = next(e for e in keytool_entries(store, PASSWORD) if e['alias'] == 'wso2carbon')['sha256']
    _k1, ca1, ca1_path = _ca(tmp_path, 'Alpha Root')
    _k2, ca2, ca2_path = _ca(tmp_path, 'Beta Root')
    _k3, ca3, ca3_path = _ca(tmp_path, 'Gamma Root')
    run = run_playbook(tmp_path, [
        _trust('add', store, certificates=[str(ca1_path), {'alias': 'beta', 'certificate': str(ca2_path)}]),
        _trust('replace_alias', store, certificates=[{'alias': 'beta', 'certificate': str(ca3_path)}]),
        _trust('absent_by_fingerprint', store, state='absent', fingerprints=[certs.fingerprint(ca1)]),
        _trust('key_entry_alias', store, state='absent', aliases=['wso2carbon']),
        _trust('exclusive', store, certificates=[ca2_path.read_text()], exclusive=True),
    ])
    assert [a['alias'] for a in run['add']['added']] == ['alpha-root', 'beta']
    replaced = run['replace_alias']['replaced']
    assert replaced[0]['alias'] == 'beta' and replaced[0]['previous_fingerprint_sha256'] == certs.fingerprint(ca2)
    assert [r['alias'] for r in run['absent_by_fingerprint']['removed']] == ['alpha-root']
    assert run['key_entry_alias']['failed'] and 'never' not in run['key_entry_alias']['msg']
    assert 'only removes trusted certificates' in run['key_entry_alias']['msg']
    assert [r['alias'] for r in run['exclusive']['removed']] == ['beta']
    listed = {e['alias']: e for e in keytool_entries(store, PASSWORD)}
    assert set(listed) == {'wso2carbon', 'beta-root'}
    assert listed['beta-root']['sha256'] == certs.fingerprint(ca2)
    assert listed['wso2carbon']['sha256'] == key_before
    jdk = java_keycheck(store, 'JKS', PASSWORD, 'wso2carbon', 'Key-Pass-99')
    assert jdk.returncode == 0, jdk.stdout + jdk.stderr


def test_csr_signed_by_a_ca_then_reply_serves_tls_to_a_client_trusting_only_the_ca(tmp_path):
    ca_key, ca_cert, ca_path = _ca(tmp_path)
    keystore = tmp_path / 'tls.p12'
    csr_path = tmp_path / 'tls.csr'
    first = run_playbook(tmp_path, [
        _ks('generate', keystore, subject='CN=localhost, O=Carbon Tests',
            subject_alt_names=['DNS:localhost', 'IP:127.0.0.1']),
        _ks('csr', keystore, csr_path=str(csr_path), csr_dest='controller'),
        _ks('csr_again', keystore, csr_path=str(csr_path), csr_dest='controller'),
    ])
    assert first['csr']['changed'] and first['csr_again']['changed'] is False, pretty(first['csr_again'])
    assert csr_path.read_text() == first['csr']['csr']
    csr = x509.load_pem_x509_csr(csr_path.read_bytes())
    assert certs.format_name(csr.subject) == 'CN=localhost, O=Carbon Tests'
    exported = keytool('-exportcert', '-rfc', '-keystore', keystore, '-storepass', PASSWORD, '-alias', 'server').stdout
    assert certs.public_key_der(csr.public_key()) == certs.public_key_der(x509.load_pem_x509_certificate(exported.encode()))
    assert csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ['localhost']
    signed = _sign(first['csr']['csr'], ca_key, ca_cert)
    reply = tmp_path / 'reply.pem'
    reply.write_bytes(signed.public_bytes(serialization.Encoding.PEM))
    truststore = tmp_path / 'ca-only.jks'
    second = run_playbook(tmp_path, [
        _ks('reply_without_ca', keystore, ca_reply=str(reply)),
        _trust('ca_truststore', truststore, certificates=[str(ca_path)]),
        _ks('reply', keystore, ca_reply=str(reply), chain_truststore=str(truststore),
            chain_truststore_password=PASSWORD),
        _ks('reply_again', keystore, ca_reply=str(reply), chain_truststore=str(truststore),
            chain_truststore_password=PASSWORD),
    ])
    missing = second['reply_without_ca']
    assert missing['failed'] and 'cannot establish the chain' in missing['msg']
    assert 'issuer "CN=Test Root CA, O=Carbon Tests"' in missing['msg'], missing['msg']
    assert second['reply']['changed'] and second['reply']['chain_length'] == 2, pretty(second['reply'])
    assert second['reply_again']['changed'] is False
    (entry,) = keytool_entries(keystore, PASSWORD)
    assert entry['type'] == 'PrivateKeyEntry' and entry['chain_length'] == 2
    assert entry['sha256'] == certs.fingerprint(signed)
    assert 'Issuer: CN=Test Root CA, O=Carbon Tests' in entry['block']
    ok, served = tls_handshake(tmp_path, keystore, 'PKCS12', PASSWORD, PASSWORD, truststore, 'JKS', PASSWORD)
    assert ok, served
    assert served == certs.fingerprint(signed)


def test_reply_for_another_key_fails_and_leaves_the_keystore(tmp_path):
    ca_key, ca_cert, ca_path = _ca(tmp_path)
    keystore = tmp_path / 'tls.jks'
    other_key = certs.generate_private_key('rsa', 2048)
    other_csr = certs.build_csr(other_key, certs.parse_subject('CN=someone-else'))
    foreign = tmp_path / 'foreign.pem'
    foreign.write_bytes(_sign(other_csr, ca_key, ca_cert).public_bytes(serialization.Encoding.PEM)
                        + ca_path.read_bytes())
    run_playbook(tmp_path, [_ks('generate', keystore, subject='CN=mine')])
    digest = sha256_file(keystore)
    run = run_playbook(tmp_path, [_ks('foreign_reply', keystore, ca_reply=str(foreign))])
    result = run['foreign_reply']
    assert result['failed'], pretty(result)
    assert 'does not hold a certificate for the key of entry' in result['msg'] and str(keystore) in result['msg']
    assert sha256_file(keystore) == digest


def test_remote_files_inline_pem_and_colliding_names(tmp_path):
    _k1, first, first_path = _ca(tmp_path, 'Same Name')
    same_dir = tmp_path / 'other'
    same_dir.mkdir()
    _k2, second, _second_path = _ca(same_dir, 'Same Name')
    store = tmp_path / 'collide.p12'
    run = run_playbook(tmp_path, [
        _trust('remote', store, certificates=[str(first_path)], remote_src=True),
        _trust('inline', store, certificates=[second.public_bytes(serialization.Encoding.PEM).decode()]),
        _trust('missing_remote', store, certificates=[str(tmp_path / 'nope.pem')], remote_src=True),
    ])
    assert [a['alias'] for a in run['remote']['added']] == ['same-name']
    assert [a['alias'] for a in run['inline']['added']] == ['same-name-2']
    assert run['missing_remote']['failed'] and 'nope.pem' in run['missing_remote']['msg']
    listed = {e['alias']: e['sha256'] for e in keytool_entries(store, PASSWORD)}
    assert listed == {'same-name': certs.fingerprint(first), 'same-name-2': certs.fingerprint(second)}
