"""The bad-input matrix: every module and the roles, each bad input answered with a sentence an operator
can act on, and every file involved left byte for byte as it was (no temporary file left beside it).

Each case names its input, the pattern its failure message must match and the files it involves. The
cases of one group run as tasks of one playbook; the role cases run the product playbook each. The
tally is printed at the end of the test session (tests/conftest.py)."""

from __future__ import annotations

import base64
import datetime
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates as certs
from helpers import FIXTURES, ROOT, VENV_BIN, command_secrets, keytool, pretty, run_playbook, scan_for_secrets, sha256_file
import pki
from tally import tried
from sandbox import PACK_PASSWORD, SECURITY, build_cluster
from test_roles import recap

STOREPASS = 'Matrix-Store-1'
KEYPASS = 'Matrix-Key-22'
SYSTEM_BUNDLE = Path('/etc/ssl/certs/ca-certificates.crt')


class Case:
    """One bad input: a task, the failure it must give (``None``: it must succeed), the files it touches."""

    def __init__(self, name, module, args, pattern, files, warning=None):
        self.name, self.module, self.args, self.pattern = name, module, args, pattern
        self.files = [Path(f) for f in files]
        self.warning = warning

    def task(self):
        return {'name': self.name, 'carbon.keystores.' + self.module: self.args}


def _digests(paths):
    """sha256 of each file (a directory: the sorted listing of its entries, so a stray file shows)."""
    found = {}
    for path in paths:
        if path.is_dir():
            found[path] = sorted(os.listdir(path))
        elif path.exists():
            found[path] = sha256_file(path)
        else:
            found[path] = None
    return found


def _stray_temp_files(paths):
    folders = {p if p.is_dir() else p.parent for p in paths}
    return [str(f / name) for f in folders if f.is_dir() for name in os.listdir(f) if name.endswith('.tmp')]


def _judge(case, result, before):
    """Assert one case; count it in the tally whatever the outcome."""
    ok = False
    try:
        if case.pattern is None:
            assert not result.get('failed'), '%s must succeed: %s' % (case.name, pretty(result))
            if case.warning:
                assert any(re.search(case.warning, w) for w in result.get('warnings') or []), pretty(result)
        else:
            assert result.get('failed'), '%s must fail: %s' % (case.name, pretty(result))
            message = result.get('msg', '')
            assert re.search(case.pattern, message), '%s: %r does not match %r' % (case.name, message, case.pattern)
            assert 'Traceback' not in message and 'module_stderr' not in result, pretty(result)
            assert _digests(case.files) == before, '%s changed a file it must leave alone' % case.name
        assert not _stray_temp_files(case.files), _stray_temp_files(case.files)
        ok = True
    finally:
        tried(case.name.split(':')[0], ok)


def _run_cases(tmp_path, cases):
    before = {case.name: _digests(case.files) for case in cases}
    run = run_playbook(tmp_path, [case.task() for case in cases])
    failures = []
    for case in cases:
        try:
            _judge(case, run[case.name], before[case.name])
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, '\n\n'.join(failures)


# --- inputs ------------------------------------------------------------------------------------

def _self_signed(common_name, days=365, ca=False, expired=False):
    key = certs.generate_private_key('rsa', 2048)
    name = certs.parse_subject('CN=%s, O=Matrix' % common_name)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = (now - datetime.timedelta(days=400), now - datetime.timedelta(days=35)) if expired else (
        now - datetime.timedelta(minutes=1), now + datetime.timedelta(days=days))
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return key, builder.sign(key, hashes.SHA256())


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key, passphrase=None):
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    """Every bad (and borderline) input file, made once for the module's cases."""
    folder = tmp_path_factory.mktemp('inputs')
    good = folder / 'good.jks'
    keytool('-genkeypair', '-keystore', good, '-storetype', 'JKS', '-storepass', STOREPASS, '-keypass', KEYPASS,
            '-alias', 'server', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=matrix')
    jceks = folder / 'good.jceks'
    keytool('-genkeypair', '-keystore', jceks, '-storetype', 'JCEKS', '-storepass', STOREPASS, '-keypass', STOREPASS,
            '-alias', 'server', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=jceks')
    key_a, cert_a = _self_signed('a.example')
    _key_b, cert_b = _self_signed('b.example')
    _ca_key, expired_ca = _self_signed('Expired Root', ca=True, expired=True)
    files = {
        'good': good, 'jceks': jceks,
        'empty': b'', 'truncated': good.read_bytes()[: len(good.read_bytes()) // 2],
        'random': bytes((i * 7919 + 13) % 256 for i in range(4096)),
        # Bouncy Castle BKS: version 2, a 20-byte salt, an iteration count, then entries
        'bks': b'\x00\x00\x00\x02' + b'\x00\x00\x00\x14' + bytes(range(20)) + b'\x00\x00\x04\x00' + b'\x00' * 40,
        'cert_a': _pem(cert_a), 'key_a': _key_pem(key_a), 'cert_b': _pem(cert_b),
        'key_a_encrypted': _key_pem(key_a, 'right-passphrase'),
        'empty_pem': b'',
        'trailing_garbage': _pem(cert_a) + b'\n\x00\x01garbage that is not PEM\xff\n',
        'cut_short': _pem(cert_b) + _pem(cert_a)[:300],
        'broken_block': _pem(cert_a).replace(b'MII', b'M!I', 1),
        'expired_ca': _pem(expired_ca),
        'dup_table': b'[keystore.tls]\nfile_name = "a.jks"\n\n[keystore.tls]\nalias = "b"\n',
        'bad_syntax': b'[keystore.tls]\nfile_name = "a.jks\nalias = b\n',
        'not_utf8': b'[keystore.tls]\nfile_name = "caf\xe9.jks"\n',
    }
    paths = {}
    for name, content in files.items():
        if isinstance(content, Path):
            paths[name] = content
            continue
        path = folder / name
        path.write_bytes(content)
        paths[name] = path
    (folder / 'a_directory').mkdir()
    paths['directory'] = folder / 'a_directory'
    bundle = folder / 'ten-megabytes.pem'
    system = SYSTEM_BUNDLE.read_bytes()
    with open(bundle, 'wb') as handle:
        while handle.tell() < 10 * 1024 * 1024:
            handle.write(system)
    paths['ten_megabytes'] = bundle
    return paths


def _copy(inputs, name, tmp_path, target=None):
    """A private copy of an input for one case (cases never share a file they could change)."""
    path = tmp_path / (target or name)
    if inputs[name].is_dir():
        path.mkdir()
    else:
        shutil.copyfile(inputs[name], path)
    return path


# --- keystore files ------------------------------------------------------------------------------

def test_keystore_files(tmp_path, inputs):
    cases = []

    def keystore(name, source, pattern, module='keystore', **args):
        path = _copy(inputs, source, tmp_path, name.replace(':', '_'))
        base = dict(path=str(path), password=STOREPASS)
        if module == 'keystore':
            base.update(alias='server', subject='CN=matrix')
        base.update(args)
        cases.append(Case(name, module, base, pattern, [path]))

    keystore('keystore:wrong store password', 'good', r'^Cannot open keystore .*: the store password is wrong',
             password='Not-The-Password')
    keystore('keystore:wrong key password', 'good', r"the key password of entry 'server' is wrong",
             key_password='Not-The-Key-Password')
    keystore('keystore:empty file', 'empty', r'the file is empty \(0 bytes\)')
    keystore('keystore:truncated file', 'truncated', r'damaged or truncated')
    keystore('keystore:random bytes', 'random', r'not a JKS or PKCS12 keystore')
    keystore('keystore:PEM where a keystore is expected', 'cert_a', r'it holds PEM text, not a keystore')
    keystore('keystore:directory where a file is expected', 'directory', r'is a directory; path must name a file')
    keystore('keystore:JCEKS store (read, never rewritten)', 'jceks', r'JCEKS.*(cannot|not) .*writ|writ.*JCEKS',
             subject='CN=other', regenerate='always')
    keystore('keystore:BKS store', 'bks', r'Bouncy Castle BKS keystore, which is not supported')
    keystore('keystore_info:wrong store password', 'good', r'the store password is wrong', module='keystore_info',
             password='Not-The-Password')
    keystore('keystore_info:empty file', 'empty', r'the file is empty', module='keystore_info')
    keystore('keystore_info:truncated file', 'truncated', r'damaged or truncated', module='keystore_info')
    keystore('keystore_info:random bytes', 'random', r'not a JKS or PKCS12 keystore', module='keystore_info')
    keystore('keystore_info:PEM where a keystore is expected', 'cert_a', r'holds PEM text', module='keystore_info')
    keystore('keystore_info:directory where a file is expected', 'directory', r'is a directory',
             module='keystore_info')
    keystore('keystore_info:BKS store', 'bks', r'BKS keystore, which is not supported', module='keystore_info')
    keystore('keystore_info:JCEKS store is read', 'jceks', None, module='keystore_info')
    keystore('truststore:wrong store password', 'good', r'the store password is wrong', module='truststore',
             password='Not-The-Password', certificates=[str(inputs['cert_a'])])
    keystore('truststore:random bytes', 'random', r'not a JKS or PKCS12 keystore', module='truststore',
             certificates=[str(inputs['cert_a'])])
    keystore('truststore:directory where a file is expected', 'directory', r'is a directory', module='truststore',
             certificates=[str(inputs['cert_a'])])
    _run_cases(tmp_path, cases)


# --- PEM inputs ----------------------------------------------------------------------------------

def test_pem_inputs(tmp_path, inputs):
    cases = []

    def pem_case(name, pattern, module='truststore', warning=None, **args):
        path = _copy(inputs, 'good', tmp_path, name.split(':')[1].replace(' ', '_') + '.jks')
        base = dict(path=str(path), password=STOREPASS)
        if module == 'keystore':
            base['alias'] = 'imported'
            base['key_password'] = STOREPASS
        base.update(args)
        cases.append(Case(name, module, base, pattern, [path], warning))

    pem_case('keystore:certificate not matching its key', r'(does not match|not the key of)', module='keystore',
             private_key=str(inputs['key_a']), certificate=str(inputs['cert_b']))
    pem_case('keystore:encrypted key with a wrong passphrase', r'could not be decrypted: the passphrase is wrong',
             module='keystore', private_key=str(inputs['key_a_encrypted']), certificate=str(inputs['cert_a']),
             private_key_passphrase='wrong-passphrase')
    pem_case('keystore:encrypted key without a passphrase', r'is encrypted; give private_key_passphrase',
             module='keystore', private_key=str(inputs['key_a_encrypted']), certificate=str(inputs['cert_a']))
    pem_case('keystore:unknown alias for a CA reply', r"there is no entry 'imported' to import the CA reply for",
             module='keystore', ca_reply=str(inputs['cert_a']), state='present')
    pem_case('truststore:empty PEM', r'contains no PEM certificate', certificates=[str(inputs['empty_pem'])])
    pem_case('truststore:PEM cut short', r'without its -----END CERTIFICATE----- line; the file looks cut short',
             certificates=[str(inputs['cut_short'])])
    pem_case('truststore:PEM block that is not a certificate', r'holds a CERTIFICATE block that is not a valid',
             certificates=[str(inputs['broken_block'])])
    # Decisions, documented in the truststore module: text around PEM blocks is ignored (as OpenSSL does);
    # an expired CA certificate is imported as asked, with a warning naming it.
    pem_case('truststore:PEM with trailing garbage (ignored, imported)', None,
             certificates=[str(inputs['trailing_garbage'])])
    pem_case('truststore:expired CA certificate (imported with a warning)', None,
             warning=r'expired on .*it is trusted as asked', certificates=[str(inputs['expired_ca'])])
    pem_case('truststore:10 MB PEM bundle', None, certificates=[str(inputs['ten_megabytes'])])
    _run_cases(tmp_path, cases)
    bundle = [c for c in cases if c.name == 'truststore:10 MB PEM bundle'][0]
    assert keytool('-list', '-keystore', bundle.files[0], '-storepass', STOREPASS).stdout.count('trustedCertEntry') \
        == SYSTEM_BUNDLE.read_text(errors='replace').count('BEGIN CERTIFICATE')


# --- TOML and product homes ----------------------------------------------------------------------

def _immutable(path):
    """Make ``path`` unwritable even for root (chattr +i); False where the filesystem cannot."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        path.parent.chmod(0o555)
        return True
    return subprocess.run(['chattr', '+i', str(path)], capture_output=True, check=False).returncode == 0


def _writable_again(path):
    if os.geteuid() != 0:
        path.parent.chmod(0o755)
        path.chmod(0o644)
    else:
        subprocess.run(['chattr', '-i', str(path)], capture_output=True, check=False)


def test_toml_and_product_homes(tmp_path, inputs):
    cases = []

    def toml_case(name, source, pattern, **args):
        path = _copy(inputs, source, tmp_path, name.split(':')[1].replace(' ', '_') + '.toml')
        base = dict(path=str(path), table='keystore.tls', settings={'alias': 'new'})
        base.update(args)
        cases.append(Case(name, 'toml_file', base, pattern, [path]))

    toml_case('toml_file:duplicate table', 'dup_table', r'line 4.*(duplicate|already|defined)|(duplicate|already|defined).*line 4')
    toml_case('toml_file:bad syntax', 'bad_syntax', r'line 2')
    toml_case('toml_file:not UTF-8', 'not_utf8', r'is not valid UTF-8 at line 2, column \d+')
    toml_case('toml_file:directory where a file is expected', 'directory', r'is a directory')
    homes = tmp_path / 'homes'
    homes.mkdir()
    cases.append(Case('product_info:missing product home', 'product_info',
                      dict(product='identity_server', home=str(homes / 'no-such-home')),
                      r'has no Identity Server.* configuration file \(looked for .*\); is it the product home\?',
                      [homes]))
    locked = tmp_path / 'locked'
    locked.mkdir()
    config = locked / 'deployment.toml'
    shutil.copyfile(FIXTURES / 'is-latest.deployment.toml', config)
    if not _immutable(config):
        pytest.skip('this filesystem cannot make a file unwritable')
    cases.append(Case('toml_file:config file that is not writable', 'toml_file',
                      dict(path=str(config), table='keystore.tls', settings={'alias': 'new'}),
                      r'^Cannot write .*deployment.toml', [config, locked]))
    try:
        _run_cases(tmp_path, cases)
    finally:
        _writable_again(config)


# --- the roles -----------------------------------------------------------------------------------

ROLE_PASSWORD = 'Role-Matrix-Secret-7'


def _role_run(root, extra=None):
    inventory = root / 'inventory.ini'
    extra = dict(extra or {})
    playbook = extra.pop('playbook', 'identity_server.yml')
    command = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(ROOT / 'playbooks' / playbook)]
    for key, value in extra.items():
        if isinstance(value, list):  # a list goes as JSON
            command += ['-e', json.dumps({key: [str(item).format(root=root) for item in value]})]
        else:
            command += ['-e', '%s=%s' % (key, str(value).format(root=root))]
    run = subprocess.run(command, capture_output=True, text=True, cwd=str(ROOT), check=False,
                         env=dict(os.environ, ANSIBLE_NOCOLOR='1'))
    output = run.stdout + run.stderr
    scan_for_secrets(output, command_secrets(command, inventory) | {ROLE_PASSWORD}, [root])
    return run.returncode, output


def _home_files(root, nodes):
    return [f for node in nodes for f in (root / node).rglob('*') if f.is_file()]


VAULT = {'identity_server_encrypt_passwords': 'true', 'identity_server_internal_keystore_password': 'Internal-Pass-77'}
ROLE_CASES = {
    # name: (how the sandbox is broken, extra vars, pattern of the failure)
    'wrong keystore password': ('other_password', {}, r'protected by another password'),
    'file_name with ../': (None, {'identity_server_keystore_file_name': '../../../etc/evil.jks'},
                           r'must be a bare file name'),
    'absolute file_name outside the home': (None, {'identity_server_keystore_file_name': '/tmp/evil.jks'},
                                            r'must be a bare file name'),
    'symlink in the security folder pointing outside it': ('symlink', {}, r'is a symbolic link to .*outside '
                                                           r'repository/resources/security'),
    'missing product home': ('no_home', {}, r'node1: identity_server_home: .*/node1 has no Identity Server.* '
                                            r'configuration file'),
    'duplicate table in deployment.toml': ('dup_table', {}, r'line \d+'),
    'deployment.toml not UTF-8': ('not_utf8', {}, r'is not valid UTF-8 at line \d+'),
    'truncated keystore on a node': ('truncated', {}, r'Cannot decide the cluster\'s keystore'),
    'unknown alias in [keystore.tls]': ('unknown_alias', {}, r'Cannot decide the cluster\'s keystore'),
    'key password differs from keystore password': (None, {'identity_server_key_password': 'Another-Key-Pass-9'},
                                                    r'differs from identity_server_keystore_password'),
    # CA-signed material handed to the role (files made by _break('pem')): refused before any node changes
    'TLS private key with the wrong passphrase': (
        'pem', {'identity_server_tls_certificate': '{root}/pem/leaf.pem', 'identity_server_tls_private_key':
                '{root}/pem/leaf.key', 'identity_server_tls_private_key_passphrase': 'Not-The-Passphrase'},
        r'identity_server_tls_private_key could not be decrypted.*identity_server_tls_private_key_passphrase'),
    'TLS certificate that does not belong to the key': (
        'pem', {'identity_server_tls_certificate': '{root}/pem/other.pem', 'identity_server_tls_private_key':
                '{root}/pem/leaf.key', 'identity_server_tls_private_key_passphrase': 'Leaf-Passphrase-1'},
        r'identity_server_tls_certificate: the certificate "CN=other.example.org, O=Carbon Tests" does not belong '
        r'to the private key of identity_server_tls_private_key'),
    'TLS chain that does not lead to the certificate': (
        'pem', {'identity_server_tls_certificate': '{root}/pem/leaf.pem', 'identity_server_tls_private_key':
                '{root}/pem/leaf.key', 'identity_server_tls_private_key_passphrase': 'Leaf-Passphrase-1',
                'identity_server_tls_certificate_chain': ['{root}/pem/stranger-ca.pem']},
        r'identity_server_tls_certificate_chain: "CN=Stranger CA, O=Carbon Tests" does not lead to the certificate'),
    # every entry point validates the role's variables by its argument spec
    'key size that is not a number': (None, {'identity_server_key_size': 'big'},
                                      r"identity_server_key_size' is of type str and we were unable to convert to int"),
    'rotation with an unknown key type': (None, {'playbook': 'rotate.yml', 'product_role': 'identity_server',
                                                 'identity_server_key_type': 'dsa'},
                                          r"arg spec 'rotate_stage'(.|\n)*value of identity_server_key_type must be one of"),
    # an operator's first hour: each refusal names the variable to fix, before any write
    'secure vault on a home without repository/conf/security': (
        'no_vault_folder', {'identity_server_encrypt_passwords': 'true',
                            'identity_server_internal_keystore_password': 'Internal-Pass-77'},
        r'node1: the folder .*/node1/repository/conf/security does not exist, and the run writes secret-conf.properties '
        r'there \(identity_server_encrypt_passwords\)'),
    'unknown product version': (None, {'identity_server_version': '9.9.9'},
                                r'identity_server_version: 9.9.9 is not a version of Identity Server that this '
                                r'collection knows; it knows 5.9.0, .*, 7.3.0'),
    'a version that is no version': (None, {'identity_server_version': 'banana'},
                                     r'identity_server_version: banana is not a version of Identity Server'),
    'missing CA certificate file': (None, {'identity_server_ca_certificates': ['{root}/nowhere/ca.pem']},
                                    r'identity_server_ca_certificates item 1: Cannot find .*/nowhere/ca.pem on the '
                                    r'controller'),
    'mistyped internal keystore password on an encrypted cluster': (
        'encrypted', {'identity_server_encrypt_passwords': 'true',
                      'identity_server_internal_keystore_password': 'Internal-Typo-77'},
        r'node1: identity_server_internal_keystore_password does not open the internal keystore, whose key reads the '
        r'secure vault'),
    # nothing lost, no one in: what only the preflight may refuse, before any write
    'configuration that starts with a byte order mark': (
        'bom', {}, r'node1: .*/node1/repository/conf/deployment.toml starts with a byte order mark'),
    'a $secret{} that [secrets] lacks': (
        'secret_missing', VAULT, r'node1: truststore.password = \$secret\{truststore_password\} in .*deployment.toml: '
                                 r'\[secrets\] has no such alias'),
    'a [secrets] value another key encrypted': (
        'secret_other_key', VAULT, r'node1: keystore.(tls|primary).(key_)?password = \$secret\{keystore_password\} in .*: '
                                   r'\[secrets\] holds a value that does not decrypt'),
    'an EC internal key under encrypt_passwords': (
        'ec_internal', VAULT, r'node1: identity_server_encrypt_passwords: the internal keystore .*wso2carbon.jks holds '
                              r'an EC key'),
    'a read-only configuration': (
        'read_only', {}, r'node1: .*/node1/repository/conf/deployment.toml is read-only \(mode 0444\)'),
    # the signing keystores: a table the version does not read, a file name with a folder
    'a SAML keystore on a version without [keystore.saml]': (
        None, {'identity_server_version': '5.10.0', 'identity_server_separate_saml_keystore': 'true'},
        r'identity_server_separate_saml_keystore: Identity Server 5.10.0 reads no \[keystore.saml\], only '
        r'\[keystore.primary\]'),
    'an OAuth keystore file name with a folder': (
        None, {'identity_server_separate_oauth_keystore': 'true',
               'identity_server_oauth_keystore_file_name': 'keys/oauth.jks'},
        r'identity_server_oauth_keystore_file_name must be a bare file name'),
}
# The node a refusal fails (the others stop with it, unmarked): a refusal of one node's state names that node.
GUILTY = {
    'wrong keystore password': ['node1'],
    'symlink in the security folder pointing outside it': ['node1'],
    'missing product home': ['node1'],
    'secure vault on a home without repository/conf/security': ['node1'],
    'mistyped internal keystore password on an encrypted cluster': ['node1', 'node2'],
    'configuration that starts with a byte order mark': ['node1'],
    'a $secret{} that [secrets] lacks': ['node1'],
    'a [secrets] value another key encrypted': ['node1'],
    'a read-only configuration': ['node1'],
}


def _break(root, how):
    home = root / 'node1'
    config = home / 'repository/conf/deployment.toml'
    security = home / SECURITY
    if how == 'other_password':
        keytool('-genkeypair', '-keystore', security / 'cluster.jks', '-storetype', 'JKS', '-storepass',
                'Another-Pass-11', '-keypass', 'Another-Pass-11', '-alias', 'cluster', '-keyalg', 'RSA',
                '-keysize', '2048', '-dname', 'CN=cluster')
        config.write_text(config.read_text() + '\n[keystore.tls]\nfile_name = "cluster.jks"\ntype = "JKS"\n'
                          'password = "Another-Pass-11"\nalias = "cluster"\nkey_password = "Another-Pass-11"\n')
    elif how == 'symlink':
        outside = root / 'outside'
        outside.mkdir()
        shutil.move(str(security / 'wso2carbon.jks'), str(outside / 'wso2carbon.jks'))
        (security / 'wso2carbon.jks').symlink_to(outside / 'wso2carbon.jks')
    elif how == 'no_home':
        shutil.rmtree(home)
    elif how == 'dup_table':
        config.write_text(config.read_text() + '\n[server]\nhostname = "again"\n')
    elif how == 'not_utf8':
        config.write_bytes(config.read_bytes() + b'\n# caf\xe9\n')
    elif how == 'truncated':
        keystore = security / 'wso2carbon.jks'
        keystore.write_bytes(keystore.read_bytes()[:900])
        text = config.read_text()
        config.write_text(text + '\n[keystore.tls]\nfile_name = "wso2carbon.jks"\ntype = "JKS"\npassword = "%s"\n'
                          'alias = "wso2carbon"\nkey_password = "%s"\n' % ('Tls-Own-Pass-1', 'Tls-Own-Pass-1'))
    elif how == 'pem':
        folder = root / 'pem'
        folder.mkdir()
        ca = pki.make_ca('Matrix CA')
        key = pki.new_key()
        (folder / 'leaf.pem').write_text(pki.pem(pki.issue(key.public_key(), 'node.example.org', ca)))
        (folder / 'leaf.key').write_text(pki.key_pem(key, 'Leaf-Passphrase-1'))
        (folder / 'other.pem').write_text(pki.pem(pki.issue(pki.new_key().public_key(), 'other.example.org', ca)))
        (folder / 'stranger-ca.pem').write_text(pki.pem(pki.make_ca('Stranger CA')[1]))
    elif how == 'no_vault_folder':
        shutil.rmtree(home / 'repository/conf/security')
    elif how in ('encrypted', 'secret_missing', 'secret_other_key'):
        rc, output = _role_run(root, extra=VAULT)
        assert rc == 0, output[-3000:]
        text = config.read_text()
        if how == 'secret_missing':
            config.write_text(re.sub(r'(?m)^truststore_password = .*\n', '', text))
        elif how == 'secret_other_key':
            stranger = pki.new_key().public_key().encrypt(ROLE_PASSWORD.encode(), padding.PKCS1v15())
            config.write_text(re.sub(r'(?m)^keystore_password = .*$', 'keystore_password = "%s"'
                                     % base64.b64encode(stranger).decode(), text))
    elif how == 'bom':
        config.write_bytes(b'\xef\xbb\xbf' + config.read_bytes())
    elif how == 'read_only':
        config.chmod(0o444)
    elif how == 'ec_internal':
        for node in ('node1', 'node2'):
            keystore = root / node / SECURITY / 'wso2carbon.jks'
            keystore.unlink()
            keytool('-genkeypair', '-keystore', keystore, '-storetype', 'JKS', '-storepass', PACK_PASSWORD, '-keypass',
                    PACK_PASSWORD, '-alias', 'wso2carbon', '-keyalg', 'EC', '-dname', 'CN=ec')
    elif how == 'unknown_alias':
        keytool('-storepasswd', '-keystore', security / 'wso2carbon.jks', '-storepass', PACK_PASSWORD, '-new',
                'Own-Pass-12')
        keytool('-keypasswd', '-keystore', security / 'wso2carbon.jks', '-storepass', 'Own-Pass-12', '-alias',
                'wso2carbon', '-keypass', PACK_PASSWORD, '-new', 'Own-Pass-12')
        config.write_text(config.read_text() + '\n[keystore.tls]\nfile_name = "wso2carbon.jks"\ntype = "JKS"\n'
                          'password = "Own-Pass-12"\nalias = "no-such-alias"\nkey_password = "Own-Pass-12"\n')


@pytest.mark.parametrize('case', sorted(ROLE_CASES))
def test_role(tmp_path, case):
    how, extra, pattern = ROLE_CASES[case]
    ok = False
    try:
        build_cluster(tmp_path, 'identity_server', ['node1', 'node2'], ROLE_PASSWORD)
        _break(tmp_path, how)
        files = _home_files(tmp_path, ['node1', 'node2'])
        before = _digests(files)
        listing = sorted(str(f) for f in _home_files(tmp_path, ['node1', 'node2']))
        rc, output = _role_run(tmp_path, extra=extra)
        assert rc != 0, output[-3000:]
        assert re.search(pattern, output), 'no %r in:\n%s' % (pattern, output[-4000:])
        assert 'Traceback' not in output, output[-4000:]
        assert _digests(files) == before, 'the role changed files before refusing'
        assert sorted(str(f) for f in _home_files(tmp_path, ['node1', 'node2'])) == listing, 'the role left new files'
        if case in GUILTY:
            failed = {host: counts['failed'] for host, counts in recap(output).items()}
            assert failed == {node: int(node in GUILTY[case]) for node in ('node1', 'node2')}, failed
        ok = True
    finally:
        tried('role', ok)
