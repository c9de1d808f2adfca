"""carbon.keystores.keystore and keystore_info through real playbooks on localhost,
judged by keytool and the JDK."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates as certs
from helpers import (
    ROOT, VENV_BIN, cacerts_path, java_keycheck, keytool, keytool_entries, pretty, run_playbook, sha256_file,
)

STOREPASS = 'Store-Pass-4711'
KEYPASS = 'Key-Pass-0815'


def _ks(name, path, **options):
    args = dict(path=str(path), password=STOREPASS, alias='wso2carbon')
    args.update(options)
    return {'name': name, 'carbon.keystores.keystore': args}


def _merged(base, **changes):
    return {**base, **changes}


def _info(name, path, password=STOREPASS, **options):
    return {'name': name, 'carbon.keystores.keystore_info': dict(path=str(path), password=password, **options)}


GENERATED = [
    # (file, type, key type, key size, key password)
    ('rsa3072.jks', 'jks', 'rsa', 3072, KEYPASS),
    ('rsa4096.p12', 'pkcs12', 'rsa', 4096, STOREPASS),
    ('ec384.p12', 'pkcs12', 'ec', 384, STOREPASS),
    ('ec256.jks', 'jks', 'ec', 256, STOREPASS),
]


def test_keytool_and_the_jdk_read_what_keystore_writes(tmp_path):
    subject = 'CN=is.example.org, OU=IAM, O=Example, L=Colombo, S=Western, C=LK'
    tasks = []
    for file_name, store_type, key_type, key_size, key_password in GENERATED:
        tasks.append(_ks(file_name.replace('.', '_'), tmp_path / file_name, type=store_type, key_type=key_type,
                         key_size=key_size, key_password=key_password, subject=subject,
                         subject_alt_names=['DNS:is.example.org', 'DNS:localhost', 'IP:127.0.0.1']))
    run = run_playbook(tmp_path, tasks)
    for file_name, store_type, key_type, key_size, key_password in GENERATED:
        result = run[file_name.replace('.', '_')]
        assert result['changed'] and not result.get('failed'), pretty(result)
        path = tmp_path / file_name
        assert oct(path.stat().st_mode & 0o777) == '0o600'
        (entry,) = keytool_entries(path, STOREPASS)
        assert entry['alias'] == 'wso2carbon' and entry['type'] == 'PrivateKeyEntry'
        assert entry['owner'] == 'CN=is.example.org, OU=IAM, O=Example, L=Colombo, ST=Western, C=LK'
        assert entry['public_key'] == (str(key_size) + '-bit', 'RSA' if key_type == 'rsa' else 'EC')
        assert 'Data_Encipherment' in entry['block'] and 'Key_Encipherment' in entry['block']
        assert 'DNSName: is.example.org' in entry['block'] and 'IPAddress: 127.0.0.1' in entry['block']
        assert 'serverAuth' in entry['block'] and 'clientAuth' in entry['block']
        assert entry['sha256'] == result['fingerprint_sha256']
        jdk = java_keycheck(path, store_type.upper(), STOREPASS, 'wso2carbon', key_password)
        assert jdk.returncode == 0 and 'KEY-OK' in jdk.stdout, jdk.stdout + jdk.stderr
    # The JKS key with its own password does not open with the store password: the two really differ.
    jdk = java_keycheck(tmp_path / 'rsa3072.jks', 'JKS', STOREPASS, 'wso2carbon', STOREPASS)
    assert jdk.returncode != 0


def test_second_run_check_mode_and_diff(tmp_path):
    path = tmp_path / 'security' / 'new.jks'
    path.parent.mkdir()
    task = _ks('create', path, subject='CN=node1', key_password=STOREPASS)
    check = run_playbook(tmp_path, [task], check=True, diff=True)
    assert check['create']['changed'] is True, pretty(check['create'])
    assert not path.exists(), 'check mode wrote the file'
    assert 'wso2carbon: private key, subject "CN=node1"' in check['create']['diff']['after']

    first = run_playbook(tmp_path, [task], diff=True, verbosity=3)
    assert first['create']['changed'] is True
    digest = sha256_file(path)
    second = run_playbook(tmp_path, [task, _info('info', path)], diff=True)
    assert second['create']['changed'] is False, pretty(second['create'])
    assert second['create']['changes'] == []
    assert sha256_file(path) == digest, 'an unchanged run rewrote the file'
    assert second['info']['entries'][0]['fingerprint_sha256'] == first['create']['fingerprint_sha256']
    diff = first['create']['diff']
    assert diff['before'] == '' and first['create']['fingerprint_sha256'] in diff['after']
    for output in (first.output, check.output, second.output):
        assert STOREPASS not in output and 'PRIVATE KEY' not in output


def test_keystore_info_agrees_with_keytool(tmp_path):
    jks = tmp_path / 'kt.jks'
    keytool('-genkeypair', '-keystore', jks, '-storetype', 'JKS', '-storepass', STOREPASS, '-keypass', KEYPASS,
            '-alias', 'differs', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=differs, O=Example, C=LK')
    keytool('-genkeypair', '-keystore', jks, '-storetype', 'JKS', '-storepass', STOREPASS, '-alias', 'same',
            '-keyalg', 'EC', '-groupname', 'secp256r1', '-dname', 'CN=same')
    p12 = tmp_path / 'kt.p12'
    keytool('-genkeypair', '-keystore', p12, '-storetype', 'PKCS12', '-storepass', STOREPASS, '-alias', 'p1',
            '-keyalg', 'RSA', '-keysize', '3072', '-dname', 'CN=p1', '-validity', '10')
    keytool('-exportcert', '-keystore', jks, '-storepass', STOREPASS, '-alias', 'same', '-file', tmp_path / 'same.der')
    keytool('-importcert', '-noprompt', '-keystore', p12, '-storepass', STOREPASS, '-alias', 'trusted-same',
            '-file', tmp_path / 'same.der')
    cacerts = cacerts_path()
    run = run_playbook(tmp_path, [_info('jks', jks), _info('p12', p12), _info('cacerts', cacerts, 'changeit')])
    for name, path, password in (('jks', jks, STOREPASS), ('p12', p12, STOREPASS), ('cacerts', cacerts, 'changeit')):
        result = run[name]
        assert not result.get('failed'), pretty(result)
        listed = keytool_entries(path, password)
        assert len(result['entries']) == len(listed)
        assert sorted(e['fingerprint_sha256'] for e in result['entries']) == sorted(e['sha256'] for e in listed)
        kinds = {'PrivateKeyEntry': 'private_key', 'trustedCertEntry': 'trusted_certificate'}
        assert {(e['alias'], e['kind']) for e in result['entries']} == {(e['alias'], kinds[e['type']]) for e in listed}
    assert run['cacerts']['type'] == 'jks' and len(run['cacerts']['entries']) > 100
    codes = {(f['alias'], f['code']) for f in run['jks']['findings']}
    assert ('differs', 'key_password_differs') in codes and ('same', 'key_password_differs') not in codes
    assert ('p1', 'expiring') in {(f['alias'], f['code']) for f in run['p12']['findings']}
    p1 = next(e for e in run['p12']['entries'] if e['alias'] == 'p1')
    assert p1['key_size'] == 3072 and p1['subject'] == 'CN=p1' and p1['days_left'] in (9, 10)


BAD_CASES = ['wrong_store_password', 'wrong_key_password', 'truncated', 'random_bytes', 'empty', 'pkcs12_as_jks']


def test_bad_input_fails_with_one_sentence_and_leaves_the_file(tmp_path):
    good_jks = tmp_path / 'good.jks'
    keytool('-genkeypair', '-keystore', good_jks, '-storetype', 'JKS', '-storepass', STOREPASS, '-keypass', KEYPASS,
            '-alias', 'wso2carbon', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=good')
    good_p12 = tmp_path / 'good.p12'
    keytool('-genkeypair', '-keystore', good_p12, '-storetype', 'PKCS12', '-storepass', STOREPASS,
            '-alias', 'wso2carbon', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=good')
    files = {
        'wrong_store_password': good_jks.read_bytes(),
        'wrong_key_password': good_jks.read_bytes(),
        'truncated': good_p12.read_bytes()[:700],
        'random_bytes': bytes(range(256)) * 8,
        'empty': b'',
        'pkcs12_as_jks': good_p12.read_bytes(),
    }
    expected = {
        'wrong_store_password': 'the store password is wrong',
        'wrong_key_password': "the key password of entry 'wso2carbon' is wrong",
        'truncated': 'it is damaged or truncated',
        'random_bytes': 'it is not a JKS or PKCS12 keystore',
        'empty': 'the file is empty',
        'pkcs12_as_jks': 'it is a PKCS12 keystore, not JKS as type says',
    }
    tasks, digests = [], {}
    for case in BAD_CASES:
        path = tmp_path / (case + '.ks')
        path.write_bytes(files[case])
        digests[case] = sha256_file(path)
        options = dict(subject='CN=good')
        if case == 'wrong_store_password':
            options['password'] = 'not-the-password'
        if case == 'wrong_key_password':
            options['key_password'] = 'not-the-key-password'
        if case == 'pkcs12_as_jks':
            options['type'] = 'jks'
        tasks.append(_ks(case, path, **options))
        tasks.append(_info(case + '_info', path, options.get('password', STOREPASS),
                           **({'type': 'jks'} if case == 'pkcs12_as_jks' else {})))
    run = run_playbook(tmp_path, tasks)
    for case in BAD_CASES:
        path = tmp_path / (case + '.ks')
        result = run[case]
        assert result.get('failed'), pretty(result)
        message = result['msg']
        assert message.startswith('Cannot open keystore %s: ' % path), message
        assert expected[case] in message, message
        assert message.endswith('.') and '\n' not in message
        assert sha256_file(path) == digests[case], '%s changed the file' % case
        if case != 'wrong_key_password':  # keystore_info describes certificates without the key password
            assert run[case + '_info'].get('failed') and expected[case] in run[case + '_info']['msg']


def test_import_pem_key_certificate_and_chain(tmp_path):
    ca_key = certs.generate_private_key('rsa', 2048)
    ca = certs.build_self_signed(ca_key, certs.parse_subject('CN=Example Root CA'), key_usage=['keyCertSign', 'cRLSign'],
                                 extended_key_usage=[])
    key = certs.generate_private_key('rsa', 2048)
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf = (x509.CertificateBuilder().subject_name(certs.parse_subject('CN=apim.example.org'))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=90))
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / 'apim.key').write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b'pem-passphrase')))
    (tmp_path / 'apim.crt').write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / 'ca.crt').write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    other = certs.build_self_signed(certs.generate_private_key('rsa', 2048), certs.parse_subject('CN=other'))
    (tmp_path / 'other.crt').write_bytes(other.public_bytes(serialization.Encoding.PEM))
    path = tmp_path / 'tls.p12'
    imported = dict(private_key=str(tmp_path / 'apim.key'), private_key_passphrase='pem-passphrase',
                    certificate=str(tmp_path / 'apim.crt'), chain=[str(tmp_path / 'ca.crt')], alias='apim')
    run = run_playbook(tmp_path, [
        _ks('import', path, **imported),
        _ks('again', path, **imported),
        _ks('mismatch', path, **_merged(imported, certificate=str(tmp_path / 'other.crt'))),
        _ks('wrong_passphrase', tmp_path / 'never.p12', **_merged(imported, private_key_passphrase='nope')),
    ])
    assert run['import']['changed'] and run['import']['chain_length'] == 2, pretty(run['import'])
    assert run['again']['changed'] is False
    assert run['mismatch']['failed'] and 'does not match private_key' in run['mismatch']['msg']
    assert run['wrong_passphrase']['failed'] and 'passphrase is wrong' in run['wrong_passphrase']['msg']
    assert not (tmp_path / 'never.p12').exists()
    (entry,) = keytool_entries(path, STOREPASS)
    assert entry['type'] == 'PrivateKeyEntry' and entry['chain_length'] == 2 and entry['owner'] == 'CN=apim.example.org'
    assert java_keycheck(path, 'PKCS12', STOREPASS, 'apim', STOREPASS).returncode == 0
    for output in (run.output,):
        assert 'pem-passphrase' not in output and STOREPASS not in output


def test_regenerate_policy_renewal_and_password_change(tmp_path):
    path = tmp_path / 'primary.jks'
    base = dict(subject='CN=primary', key_size=2048)
    run = run_playbook(tmp_path, [
        _ks('create', path, **base),
        _ks('other_subject', path, **_merged(base, subject='CN=changed')),
        _ks('never', path, **_merged(base, subject='CN=changed', regenerate='never')),
        _info('after_refusals', path),
        _ks('replace', path, **_merged(base, subject='CN=changed', regenerate='when_different')),
        _ks('renew', path, **_merged(base, subject='CN=changed', renew_before_days=4000)),
        _ks('new_password', path, **_merged(base, subject='CN=changed', password='New-Pass-2026', old_password=STOREPASS)),
        _ks('new_password_again', path,
            **_merged(base, subject='CN=changed', password='New-Pass-2026', old_password=STOREPASS)),
    ])
    created = run['create']['fingerprint_sha256']
    assert run['other_subject']['failed'] and 'differs from the request' in run['other_subject']['msg']
    assert 'subject is "CN=primary", requested "CN=changed"' in run['other_subject']['msg']
    assert run['never']['changed'] is False and any('regenerate is never' in w for w in run['never']['warnings'])
    assert run['after_refusals']['entries'][0]['fingerprint_sha256'] == created
    assert run['replace']['changed'] and run['replace']['fingerprint_sha256'] != created
    assert run['replace']['subject'] == 'CN=changed'
    renewed = run['renew']
    assert renewed['changed'] and any('renewed' in c for c in renewed['changes'])
    assert run['new_password']['changed'] and 'changed the store password' in run['new_password']['changes']
    assert run['new_password_again']['changed'] is False
    assert keytool('-list', '-keystore', path, '-storepass', STOREPASS, check=False).returncode != 0
    assert java_keycheck(path, 'JKS', 'New-Pass-2026', 'wso2carbon', 'New-Pass-2026').returncode == 0


def test_bare_virtualenv_on_the_managed_host_is_enough(tmp_path):
    bare = tmp_path / 'bare'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(bare)], check=True)
    python = str(bare / 'bin' / 'python')
    probe = subprocess.run([python, '-c', 'import cryptography'], capture_output=True, check=False)
    assert probe.returncode != 0, 'the bare virtualenv unexpectedly has cryptography'
    for package in ('jks', 'tomlkit'):
        assert subprocess.run([python, '-c', 'import ' + package], capture_output=True, check=False).returncode != 0
    path = tmp_path / 'bare.p12'
    run = run_playbook(tmp_path, [_ks('create', path, subject='CN=bare'), _info('info', path)], python=python)
    assert run['create']['changed'] and not run['create'].get('failed'), pretty(run['create'])
    assert run['info']['entries'][0]['fingerprint_sha256'] == run['create']['fingerprint_sha256']
    assert keytool_entries(path, STOREPASS)[0]['sha256'] == run['create']['fingerprint_sha256']


def test_galaxy_build_install_and_ansible_doc(tmp_path):
    # Away from the checkout's ansible.cfg, which would find the collection already "installed" in .venv.
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    installed = tmp_path / 'installed'
    env = {'ANSIBLE_COLLECTIONS_PATH': str(installed), 'ANSIBLE_CONFIG': str(elsewhere / 'none.cfg')}
    galaxy_env = dict(os.environ, **env)
    built = subprocess.run([str(VENV_BIN / 'ansible-galaxy'), 'collection', 'build', '--output-path', str(tmp_path),
                            str(ROOT)], capture_output=True, text=True, cwd=str(elsewhere), env=galaxy_env, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    (tarball,) = tmp_path.glob('carbon-keystores-*.tar.gz')
    listing = subprocess.run(['tar', 'tzf', str(tarball)], capture_output=True, text=True, check=False).stdout.split()
    assert 'plugins/modules/keystore.py' in listing and not any(n.startswith(('tests/', '.venv')) for n in listing)
    install = subprocess.run([str(VENV_BIN / 'ansible-galaxy'), 'collection', 'install', str(tarball), '-p',
                              str(installed)], capture_output=True, text=True, cwd=str(elsewhere), env=galaxy_env, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    assert (installed / 'ansible_collections' / 'carbon' / 'keystores' / 'plugins' / 'modules' / 'keystore.py').exists()
    path = tmp_path / 'from-tarball.jks'
    run = run_playbook(elsewhere, [_ks('create', path, subject='CN=tarball')], env=env, cwd=elsewhere)
    assert run['create']['changed'] and not run['create'].get('failed'), run.output
    for module in ('keystore', 'keystore_info', 'truststore', 'toml_file', 'product_info'):
        doc = subprocess.run([str(VENV_BIN / 'ansible-doc'), 'carbon.keystores.' + module], capture_output=True,
                             text=True, env=galaxy_env, cwd=str(elsewhere), check=False)
        assert doc.returncode == 0, doc.stderr
        assert str(installed) in doc.stdout, 'ansible-doc did not resolve to the installed collection'
        assert 'EXAMPLES' in doc.stdout and 'RETURN VALUES' in doc.stdout and 'password' in doc.stdout


def test_checkout_resolves_to_itself():
    link = ROOT / '.venv' / 'collections' / 'ansible_collections' / 'carbon' / 'keystores'
    assert link.resolve() == ROOT
    doc = subprocess.run([str(VENV_BIN / 'ansible-doc'), 'carbon.keystores.keystore'], capture_output=True, text=True,
                         cwd=str(ROOT), check=False)
    assert doc.returncode == 0 and str(Path('.venv/collections/ansible_collections/carbon/keystores')) in doc.stdout


if __name__ == '__main__':  # pragma: no cover
    sys.exit(pytest.main([__file__]))


def test_absent_backup_mode_and_key_password_change_keep_other_entries(tmp_path):
    path = tmp_path / 'two.jks'
    run = run_playbook(tmp_path, [
        _ks('first', path, alias='first', subject='CN=first', key_password=KEYPASS),
        _ks('second', path, alias='second', subject='CN=second', mode='0640', backup=True),
        _ks('new_key_password', path, alias='first', key_password='Key-Pass-2027', old_key_password=KEYPASS,
            backup=True),
        _ks('remove_second', path, alias='second', state='absent'),
        _ks('remove_again', path, alias='second', state='absent'),
        _info('info', path, key_password='Key-Pass-2027'),
    ])
    assert run['second']['changed'] and oct(path.stat().st_mode & 0o777) == '0o640'
    assert run['new_key_password']['changes'] == ["changed the key password of 'first'"]
    backup = Path(run['new_key_password']['backup_file'])
    assert backup.exists() and backup.stat().st_mode & 0o077 == 0o040 & 0o077
    # The backup is the file as it was: two entries, the old key password.
    assert {e['alias'] for e in keytool_entries(backup, STOREPASS)} == {'first', 'second'}
    assert java_keycheck(backup, 'JKS', STOREPASS, 'first', KEYPASS).returncode == 0
    assert run['remove_second']['changed'] and run['remove_second']['changes'] == ["removed private key entry 'second'"]
    assert run['remove_again']['changed'] is False
    assert [e['alias'] for e in run['info']['entries']] == ['first']
    assert run['info']['entries'][0]['fingerprint_sha256'] == run['first']['fingerprint_sha256']
    assert java_keycheck(path, 'JKS', STOREPASS, 'first', 'Key-Pass-2027').returncode == 0
