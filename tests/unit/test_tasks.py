"""Each module's task function called directly, as its action plugin calls it: bytes and validated options
in, an Outcome out. keytool judges the bytes where the file format is the point."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.carbon.keystores.plugins.module_utils.errors import (
    KeystoreError, RequestError, WrongPasswordError,
)
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import load_keystore
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import (
    keystore, keystore_convert, keystore_info, product_info, truststore,
)
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates
import pki
from helpers import keytool_entries
from homes import PACK_PASSWORD, SECURITY, node, params, read

PASSWORD = 'Task-Pass-2026'
SUBJECT = 'CN=is.example.org, O=Example, C=LK'


def _keystore(data, path='/srv/x/primary.jks', csr_existing=None, **options):
    """The keystore task as its action plugin runs it (which adds what it read of an existing CSR)."""
    options.setdefault('password', PASSWORD)
    options.setdefault('alias', 'wso2is')
    return keystore.run(data, dict(params(keystore, path=path, **options), csr_existing=csr_existing), path)


@pytest.mark.jvm
def test_keystore_generates_once_and_a_rerun_changes_nothing(tmp_path):
    first = _keystore(None, subject=SUBJECT, subject_alt_names=['DNS:is.example.org'])
    assert first.changed and first.result['changes'][0] == 'created JKS keystore'
    path = tmp_path / 'primary.jks'
    path.write_bytes(first.data)
    (entry,) = keytool_entries(path, PASSWORD)
    assert entry['type'] == 'PrivateKeyEntry' and entry['sha256'] == first.result['fingerprint_sha256']
    again = _keystore(first.data, subject=SUBJECT, subject_alt_names=['DNS:is.example.org'])
    assert not again.changed and again.data is None and again.result['changes'] == []
    assert again.diff['before'] == again.diff['after'] and 'PRIVATE KEY' not in again.diff['after']


def test_keystore_refuses_a_different_request_unless_regenerate_says_so():
    first = _keystore(None, subject=SUBJECT)
    with pytest.raises(RequestError, match=r"entry 'wso2is' exists and differs from the request: subject is"):
        _keystore(first.data, subject='CN=other.example.org')
    kept = _keystore(first.data, subject='CN=other.example.org', regenerate='never')
    assert not kept.changed and 'kept as it is because regenerate is never' in kept.warnings[0]
    replaced = _keystore(first.data, subject='CN=other.example.org', regenerate='when_different')
    assert replaced.changed and replaced.result['fingerprint_sha256'] != first.result['fingerprint_sha256']


def test_keystore_never_rebuilds_on_a_wrong_password():
    first = _keystore(None, subject=SUBJECT)
    with pytest.raises(WrongPasswordError, match=r'Cannot open keystore /srv/x/primary.jks: the store password is wrong'):
        _keystore(first.data, password='Wrong-Pass-1', subject=SUBJECT)


@pytest.mark.jvm
def test_keystore_changes_the_store_password_given_the_old_one(tmp_path):
    first = _keystore(None, subject=SUBJECT)
    changed = _keystore(first.data, password='New-Pass-2027', old_password=PASSWORD)
    assert 'changed the store password' in changed.result['changes']
    path = tmp_path / 'primary.jks'
    path.write_bytes(changed.data)
    assert keytool_entries(path, 'New-Pass-2027')[0]['sha256'] == first.result['fingerprint_sha256']


@pytest.mark.jvm
def test_keystore_writes_a_csr_and_imports_the_ca_reply_keeping_the_key(tmp_path):
    ca = pki.make_ca()
    first = _keystore(None, subject=SUBJECT, csr_path='/srv/x/is.csr')
    (csr_file,) = first.files
    assert csr_file['expected_sha256'] == 'absent' and csr_file['location'] == 'host'
    rerun = _keystore(first.data, csr_path='/srv/x/is.csr', csr_existing=csr_file['data'])
    assert not rerun.changed and not rerun.files
    changed_csr = _keystore(first.data, csr_path='/srv/x/is.csr', csr_existing=b'stale')
    assert changed_csr.files[0]['expected_sha256'] == hashlib.sha256(b'stale').hexdigest()
    reply = pki.pem(pki.sign_csr(first.result['csr'], ca))
    with pytest.raises(RequestError, match=r'cannot establish the chain of the CA reply'):
        _keystore(first.data, ca_reply=reply)
    chain = pki.pem(ca[1])
    imported = _keystore(first.data, ca_reply=reply + chain)
    assert imported.result['chain_length'] == 2 and imported.result['issuer'] == 'CN=Test Root CA, O=Carbon Tests'
    path = tmp_path / 'primary.jks'
    path.write_bytes(imported.data)
    (entry,) = keytool_entries(path, PASSWORD)
    assert entry['chain_length'] == 2 and entry['sha256'] == imported.result['fingerprint_sha256']
    other_key = certificates.generate_private_key('rsa', 2048)
    foreign = pki.pem(pki.sign_csr(certificates.build_csr(other_key, certificates.parse_subject(SUBJECT)), ca))
    with pytest.raises(RequestError, match=r'the CA reply does not hold a certificate for the key of entry'):
        _keystore(imported.data, ca_reply=foreign + chain)


def test_truststore_imports_a_bundle_once_and_removes_by_fingerprint():
    certs = [pki.pem(pki.make_ca('Root %d' % number)[1]) for number in range(3)]
    requested = truststore.requested_certificates([(None, ''.join(certs), 'bundle.pem')])
    options = params(truststore, path='/srv/x/trust.p12', password=PASSWORD)
    first = truststore.run(None, options, requested, '/srv/x/trust.p12')
    assert first.changed and [item['alias'] for item in first.result['added']] == ['root-0', 'root-1', 'root-2']
    store = load_keystore(first.data, PASSWORD, 'trust.p12')
    assert store.store_type == 'pkcs12' and len(store) == 3
    again = truststore.run(first.data, options, requested, '/srv/x/trust.p12')
    assert not again.changed and len(again.result['already_present']) == 3
    doomed = requested[1].fingerprint
    removed = truststore.run(first.data, params(truststore, path='/srv/x/trust.p12', password=PASSWORD,
                                                state='absent', fingerprints=[doomed.replace(':', '')]), [],
                             '/srv/x/trust.p12')
    assert [item['fingerprint_sha256'] for item in removed.result['removed']] == [doomed]
    info = {'status': 'ok', 'entries': [{'kind': 'trusted_certificate', 'fingerprint_sha256': r.fingerprint}
                                        for r in requested[:2]]}
    assert truststore.missing_from(info, requested) == requested[2:]
    assert truststore.missing_from({'status': 'missing'}, requested) == requested


@pytest.mark.jvm
@pytest.mark.parametrize('store_type', ['JKS', 'PKCS12'])
def test_a_trusted_certificate_that_does_not_parse_is_kept_and_reported(tmp_path, store_type):
    # JDK 17's keytool writes a DSA certificate whose signature algorithm carries a NULL parameter: the JDK reads
    # it, cryptography refuses it. Such an entry must survive every write, never fail the read of its store.
    from helpers import keytool
    keytool('-genkeypair', '-keystore', tmp_path / 'legacy.jks', '-storetype', 'JKS', '-storepass', PASSWORD,
            '-alias', 'legacy', '-keyalg', 'DSA', '-keysize', '2048', '-dname', 'CN=legacy.example.org')
    keytool('-exportcert', '-keystore', tmp_path / 'legacy.jks', '-storepass', PASSWORD, '-alias', 'legacy',
            '-file', tmp_path / 'legacy.der')
    path = tmp_path / 'trust.store'
    keytool('-importcert', '-noprompt', '-keystore', path, '-storetype', store_type, '-storepass', PASSWORD,
            '-alias', 'legacy', '-file', tmp_path / 'legacy.der')
    (legacy,) = keytool_entries(path, PASSWORD)
    with pytest.raises(certificates.CertificateError):  # what this test rests on
        certificates.load_certificate_der((tmp_path / 'legacy.der').read_bytes())

    described = keystore_info.run(path.read_bytes(), params(keystore_info, path=str(path), password=PASSWORD), str(path))
    (entry,) = described.result['entries']
    assert entry['fingerprint_sha256'] == legacy['sha256'] and entry['unparsed'] and entry['not_after'] is None
    assert [finding['code'] for finding in described.result['findings']] == ['unparsed_certificate']

    requested = truststore.requested_certificates([(None, pki.pem(pki.make_ca('New Root')[1]), 'new.pem')])
    added = truststore.run(path.read_bytes(), params(truststore, path=str(path), password=PASSWORD), requested, str(path))
    assert added.changed and 'legacy: trusted certificate, not parsed' in added.diff['after']
    path.write_bytes(added.data)
    after = {item['alias']: item for item in keytool_entries(path, PASSWORD)}
    assert set(after) == {'legacy', 'new-root'} and after['legacy']['sha256'] == legacy['sha256']
    assert after['legacy']['type'] == 'trustedCertEntry'


def test_keystore_info_describes_every_entry_with_findings(tmp_path):
    made = _keystore(None, subject=SUBJECT, key_usage=['digitalSignature'], valid_days=10)
    described = keystore_info.run(made.data, params(keystore_info, path='/srv/x/primary.jks', password=PASSWORD),
                                  '/srv/x/primary.jks')
    (entry,) = described.result['entries']
    assert entry['alias'] == 'wso2is' and entry['fingerprint_sha256'] == made.result['fingerprint_sha256']
    assert {finding['code'] for finding in described.result['findings']} == {'expiring', 'no_data_encipherment'}
    with pytest.raises(KeystoreError, match=r'it does not exist'):
        keystore_info.run(None, params(keystore_info, path='/x.jks', password=PASSWORD), '/x.jks')


def test_keystore_convert_copies_every_entry_and_refuses_a_different_destination():
    made = _keystore(None, subject=SUBJECT)
    options = params(keystore_convert, src='/x/a.jks', path='/x/a.p12', type='pkcs12', password=PASSWORD)
    converted = keystore_convert.run(made.data, None, options, '/x/a.jks', '/x/a.p12')
    assert converted.changed and converted.result['entries'][0]['fingerprint_sha256'] == made.result['fingerprint_sha256']
    assert load_keystore(converted.data, PASSWORD, 'a.p12').store_type == 'pkcs12'
    assert not keystore_convert.run(made.data, converted.data, options, '/x/a.jks', '/x/a.p12').changed
    other = _keystore(None, path='/x/b.p12', subject='CN=other')
    with pytest.raises(RequestError, match=r'already exists and holds other entries'):
        keystore_convert.run(made.data, other.data, options, '/x/a.jks', '/x/a.p12')


def test_product_info_reads_a_home_as_the_product_does(tmp_path):
    home = node(tmp_path, 'micro_integrator', 'mi')
    outcome = product_info.run(params(product_info, product='micro_integrator', home=str(home), return_secrets=True), read)
    result = outcome.result
    assert not outcome.changed and result['config_file'] == str(home / 'conf/deployment.toml')
    assert result['default_keystore_type'] == 'JKS'
    assert result['purposes']['tls']['path'] == str(home / SECURITY / 'wso2carbon.jks')
    assert result['purposes']['primary']['file_name'] == '%s/wso2carbon.jks' % SECURITY  # home-relative default
    assert result['secrets']['tls'] == {'password': PACK_PASSWORD, 'key_password': PACK_PASSWORD}
    assert 'pack_default_keystore' in {finding['code'] for finding in result['findings']}
    without = product_info.run(params(product_info, product='micro_integrator', home=str(home)), read).result
    assert 'secrets' not in without and without['config_tables']['keystore.primary']['password'] == '********'
    # a home written with a doubled or trailing slash is the same home: its stores are inside its security folder
    untidy = product_info.run(params(product_info, product='micro_integrator',
                                     home='%s//%s/' % (home.parent, home.name)), read).result
    assert untidy['home'] == str(home) and untidy['purposes']['tls']['inside_security_folder']
    assert {finding['code'] for finding in untidy['findings']} == {finding['code'] for finding in result['findings']}
