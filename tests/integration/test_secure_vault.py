"""<role>_encrypt_passwords through the product roles: no store password in clear text in the configuration, the
[secrets] table and secret-conf.properties as WSO2's cipher tool leaves them. The JDK is the judge: SecretCheck.java
(javax.crypto only, no WSO2 code) decrypts every [secrets] value with the internal key, and TlsCheck.java serves TLS
with the password the test took from the vault itself."""

from __future__ import annotations

import os
import pwd
import re
import stat
import subprocess
from pathlib import Path

import pytest
import tomlkit
import yaml

from helpers import jdk_tool, java_class, keytool_entries, sha256_file, tls_handshake
from sandbox import CONFIG, PACK_PASSWORD, SECURITY, build_cluster
from test_roles import PASSWORD, play, recap

INTERNAL = 'Internal-Vault-2026'
TRUST = 'Trust-Vault-2026'
OAEP = 'RSA/ECB/OAEPwithSHA1andMGF1Padding'
NODES = ['node1', 'node2']
STORE_TABLES = ('keystore.primary', 'keystore.tls', 'keystore.internal', 'truststore')


def _config(home, product):
    if (home / 'conf' / 'ei.toml').exists():  # Enterprise Integrator's documented name; the pack ships the other
        return home / 'conf' / 'ei.toml'
    return home / CONFIG[product][1]


def _tables(data):
    """{dotted table: settings} of the store tables the file writes."""
    found = {}
    for name in STORE_TABLES:
        node = data
        for part in name.split('.'):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            found[name] = node
    return found


def _path(home, file_name):
    return home / file_name if '/' in file_name else home / SECURITY / file_name


def decrypted(tmp_path, home, product, transformation='RSA', internal=None, password=INTERNAL):
    """{alias: plaintext} of [secrets], decrypted by the JDK with the internal key ([keystore.internal], or
    ``internal``: the settings a product that hard-codes it uses) opened with ``password``."""
    data = tomlkit.parse(_config(home, product).read_text()).unwrap()
    internal = internal or data['keystore']['internal']
    classes = java_class('SecretCheck', tmp_path)
    values = ['%s=%s' % (alias, value) for alias, value in sorted(data['secrets'].items())]
    run = subprocess.run([jdk_tool('java'), '-cp', str(classes), 'SecretCheck', str(_path(home, internal['file_name'])),
                          internal.get('type', 'JKS'), password, internal['alias'], password, transformation] + values,
                         capture_output=True, text=True, timeout=120, check=True)
    return dict(line.split('=', 1) for line in run.stdout.splitlines())


def resolved(value, secrets):
    match = re.fullmatch(r'\$secret\{([^}]+)\}', value)
    assert match, 'a store password in clear text: %r' % value
    return secrets[match.group(1)]


def assert_vaulted(tmp_path, home, product, transformation='RSA'):
    """Every store password of the configuration is a $secret{} reference to an alias of [secrets] that the JDK
    decrypts to the role's password; none of those passwords is in the file in clear. Returns the secrets."""
    text = _config(home, product).read_text()
    for secret in (PASSWORD, INTERNAL, TRUST):
        assert secret not in text
    secrets = decrypted(tmp_path, home, product, transformation)
    assert secrets == {'keystore_password': PASSWORD, 'internal_keystore_password': INTERNAL,
                       'truststore_password': TRUST}
    tables = _tables(tomlkit.parse(text).unwrap())
    assert {'keystore.primary', 'keystore.internal', 'truststore'} <= set(tables)
    for name, table in tables.items():
        for key in ('password', 'key_password'):
            if key in table:
                resolved(table[key], secrets)
    return secrets


def vault_properties(home, product):
    properties = _config(home, product).parent / 'security' / 'secret-conf.properties'
    return dict(line.split('=', 1) for line in properties.read_text().splitlines() if line and not line.startswith('#'))


def tls_check(tmp_path, home, product, secrets):
    """The JDK serves TLS with the configured TLS keystore, opened with the passwords the test decrypted."""
    data = tomlkit.parse(_config(home, product).read_text()).unwrap()
    table = data['keystore'].get('tls') or data['keystore']['primary']
    trust = data['truststore']
    ok, detail = tls_handshake(tmp_path, _path(home, table['file_name']), table.get('type', 'JKS'),
                               resolved(table['password'], secrets), resolved(table['key_password'], secrets),
                               _path(home, trust.get('file_name', 'client-truststore.jks')), trust.get('type', 'JKS'),
                               resolved(trust['password'], secrets))
    assert ok, detail


def changed_counts(run):
    return {host: counts['changed'] for host, counts in recap(run.stdout).items()}


def fresh_controller(tmp_path):
    """Another controller: a HOME and a local temporary folder of its own (the fleet is the only state)."""
    home = tmp_path / 'controller-2'
    home.mkdir(exist_ok=True)
    return {'HOME': str(home), 'ANSIBLE_LOCAL_TEMP': str(home / 'tmp')}


def files_of(root):
    return {str(path.relative_to(root)): sha256_file(path) for path in sorted(Path(root).rglob('*'))
            if path.is_file() and not {'pack', 'controller-2'} & set(path.parts) and path.suffix != '.ini'}


@pytest.mark.parametrize('product, transformation, password_file', [
    ('identity_server', 'RSA', 'persist'),
    ('api_manager', OAEP, 'tmp'),
    ('micro_integrator', 'RSA', 'none'),
])
def test_passwords_go_into_the_vault_and_a_rerun_changes_nothing(tmp_path, product, transformation, password_file):
    variables = {'%s_%s' % (product, name): value for name, value in (
        ('internal_keystore_password', INTERNAL), ('truststore_password', TRUST), ('encrypt_passwords', 'true'),
        ('keystore_password_file', password_file))}
    if transformation != 'RSA':
        variables['%s_cipher_transformation' % product] = transformation
    inventory = build_cluster(tmp_path, product, NODES, PASSWORD, extra_vars=variables)
    owner = pwd.getpwnam('nobody')
    for name in NODES:  # the product's account owns the configuration; the task runs as another (root here)
        os.chown(_config(tmp_path / name, product), owner.pw_uid, owner.pw_gid)
    play(inventory, product)
    for name in NODES:
        home = tmp_path / name
        secrets = assert_vaulted(tmp_path, home, product, transformation)
        properties = _config(home, product).parent / 'security' / 'secret-conf.properties'
        for path in [properties] + ([home / ('password-%s' % password_file)] if password_file != 'none' else []):
            assert (path.stat().st_uid, path.stat().st_gid) == (owner.pw_uid, owner.pw_gid), path
        written = vault_properties(home, product)
        assert written['secVault.enabled'] == 'true' and written['keystore.identity.alias'] == 'wso2carbon'
        assert written.get('secretRepositories.file.algorithm') == (transformation if transformation != 'RSA' else None)
        tls_check(tmp_path, home, product, secrets)
        persisted = home / ('password-%s' % password_file)
        if password_file == 'none':
            assert not (home / 'password-persist').exists() and not (home / 'password-tmp').exists()
        else:
            assert persisted.read_text() == INTERNAL + '\n'
            assert stat.S_IMODE(persisted.stat().st_mode) == 0o600
    before = files_of(tmp_path)
    rerun = play(inventory, product, env=fresh_controller(tmp_path))
    assert {counts['changed'] for counts in recap(rerun.stdout).values()} == {0}, rerun.stdout[-3000:]
    assert files_of(tmp_path) == before
    if password_file == 'tmp':
        # the server read password-tmp at start and deleted it: a scheduled run that changes nothing else leaves it so
        for name in NODES:
            (tmp_path / name / 'password-tmp').unlink()
        after_start = play(inventory, product)
        assert {counts['changed'] for counts in recap(after_start.stdout).values()} == {0}, after_start.stdout[-3000:]
        assert not (tmp_path / NODES[0] / 'password-tmp').exists()


def test_turning_encryption_on_for_a_converged_cluster_changes_only_the_configuration_and_the_vault(tmp_path):
    product = 'identity_server'
    plain = {'%s_internal_keystore_password' % product: INTERNAL, '%s_truststore_password' % product: TRUST}
    inventory = build_cluster(tmp_path, product, NODES, PASSWORD, extra_vars=plain)
    play(inventory, product)
    converged = files_of(tmp_path)
    assert PASSWORD in _config(tmp_path / 'node1', product).read_text()
    inventory.write_text(inventory.read_text().replace(
        '[%s:vars]' % product, '[%s:vars]\n%s_encrypt_passwords=true\n%s_keystore_password_file=persist'
        % (product, product, product)))
    run = play(inventory, product)
    assert all(counts['changed'] for counts in recap(run.stdout).values()), run.stdout[-3000:]
    changed = {path for path, digest in files_of(tmp_path).items() if converged.get(path) != digest}
    assert changed == {'%s/%s' % (node, name) for node in NODES for name in (
        CONFIG[product][1], 'repository/conf/security/secret-conf.properties', 'password-persist')}
    for name in NODES:
        tls_check(tmp_path, tmp_path / name, product, assert_vaulted(tmp_path, tmp_path / name, product))
    rerun = play(inventory, product)
    assert {counts['changed'] for counts in recap(rerun.stdout).values()} == {0}, rerun.stdout[-3000:]


def test_the_module_on_its_own_reads_once_writes_once_and_refuses_another_keys_value(tmp_path):
    product = 'identity_server'
    inventory = build_cluster(tmp_path, product, ['node1'], PASSWORD)
    home = tmp_path / 'node1'
    config = _config(home, product)
    playbook = tmp_path / 'vault.yml'
    task = {'carbon.keystores.secure_vault': {
        'product': product, 'home': '{{ identity_server_home }}', 'keystore_password': PACK_PASSWORD,
        'secrets': {'db_password': 'Db-Module-2026'}}, 'no_log': True, 'register': 'vaulted'}
    show = {'ansible.builtin.debug': {'msg': '{{ vaulted.changes | default(vaulted.msg) }}'}}
    playbook.write_text(yaml.safe_dump([{'hosts': product, 'gather_facts': False, 'tasks': [task, show]}]))
    before = files_of(tmp_path)
    checked = play(inventory, product, '--check', playbook=playbook)
    assert files_of(tmp_path) == before and recap(checked.stdout)['node1']['changed'] == 1
    first = play(inventory, product, playbook=playbook)
    assert 'added db_password' in first.stdout
    data = tomlkit.parse(config.read_text()).unwrap()
    assert 'Db-Module-2026' not in config.read_text()
    classes = java_class('SecretCheck', tmp_path)
    run = subprocess.run([jdk_tool('java'), '-cp', str(classes), 'SecretCheck', str(home / SECURITY / 'wso2carbon.jks'),
                          'JKS', PACK_PASSWORD, 'wso2carbon', PACK_PASSWORD, 'RSA',
                          'db_password=%s' % data['secrets']['db_password']],
                         capture_output=True, text=True, timeout=120, check=True)
    assert run.stdout.strip() == 'db_password=Db-Module-2026'
    written = files_of(tmp_path)
    again = play(inventory, product, playbook=playbook)
    assert recap(again.stdout)['node1']['changed'] == 0 and files_of(tmp_path) == written
    # a value encrypted with another key: refused, nothing written
    config.write_text(config.read_text().replace(data['secrets']['db_password'], 'c29tZXRoaW5nIGVsc2U='))
    tampered = files_of(tmp_path)
    refused = play(inventory, product, playbook=playbook, check=False)
    assert refused.returncode != 0 and 'does not decrypt with the internal key' in refused.stdout
    assert files_of(tmp_path) == tampered


@pytest.mark.parametrize('product', ['identity_server', 'api_manager'])
@pytest.mark.parametrize('runs', ['together', 'migrate_after'])
def test_encryption_and_the_pkcs12_migration_compose(tmp_path, product, runs):
    """encrypt_passwords with migrate_to_pkcs12 in one run, and migrate_pkcs12.yml after an encrypting converge:
    every store table names a .p12 file, its passwords are $secret{} references the JDK decrypts with the
    (migrated) internal key, and the .p12 files open with what they decrypt to."""
    variables = {'%s_%s' % (product, name): value for name, value in (
        ('internal_keystore_password', INTERNAL), ('truststore_password', TRUST), ('encrypt_passwords', 'true'),
        ('keystore_password_file', 'persist'), ('migrate_to_pkcs12', 'true' if runs == 'together' else 'false'),
        ('fresh_install', 'false'))}  # strings, as an INI inventory gives them: 'false' must not count as true
    inventory = build_cluster(tmp_path, product, NODES, PASSWORD, extra_vars=variables)
    play(inventory, product)
    migrate = Path(__file__).resolve().parents[2] / 'playbooks' / 'migrate_pkcs12.yml'
    if runs == 'migrate_after':
        moved = play(inventory, product, '-e', 'product_role=%s' % product, playbook=migrate)
        assert all(recap(moved.stdout)[node]['changed'] for node in NODES), moved.stdout[-3000:]
    for name in NODES:
        home = tmp_path / name
        secrets = assert_vaulted(tmp_path, home, product)
        tables = _tables(tomlkit.parse(_config(home, product).read_text()).unwrap())
        assert Path(tables['keystore.internal']['file_name']).name == 'wso2carbon.p12'  # the internal key is kept
        for table_name, table in tables.items():
            assert table['file_name'].endswith('.p12') and table['type'] == 'PKCS12', (table_name, table)
            path = _path(home, table['file_name'])
            listed = subprocess.run([jdk_tool('keytool'), '-list', '-keystore', str(path), '-storetype', 'PKCS12',
                                     '-storepass:env', 'STOREPASS'], env=dict(os.environ, STOREPASS=resolved(
                                         table['password'], secrets)), capture_output=True, text=True, timeout=120,
                                    check=False)
            assert listed.returncode == 0, (table_name, listed.stdout + listed.stderr)
        tls_check(tmp_path, home, product, secrets)
        for path in home.rglob('*'):
            if path.is_file() and path.name != 'password-persist' and 'pack' not in path.parts:
                data = path.read_bytes()
                assert not any(secret.encode() in data for secret in (PASSWORD, INTERNAL, TRUST)), path
    before = files_of(tmp_path)
    rerun = play(inventory, product, env=fresh_controller(tmp_path))
    assert {counts['changed'] for counts in recap(rerun.stdout).values()} == {0}, rerun.stdout[-3000:]
    if runs == 'migrate_after':
        again = play(inventory, product, '-e', 'product_role=%s' % product, playbook=migrate)
        assert {counts['changed'] for counts in recap(again.stdout).values()} == {0}, again.stdout[-3000:]
    assert files_of(tmp_path) == before


# Enterprise Integrator 7's runtime (Micro Integrator 1.0, wso2/micro-integrator v1.0.0) ships a carbon.xml no template
# renders: <InternalKeyStore> is the pack's wso2carbon.jks with the password wso2carbon, whatever [keystore.internal] says.
EI_INTERNAL = {'file_name': 'wso2carbon.jks', 'type': 'JKS', 'alias': 'wso2carbon'}


@pytest.mark.parametrize('config_name', ['deployment.toml', 'ei.toml'])
def test_enterprise_integrator_vault_on_the_shipped_configuration(tmp_path, config_name):
    """Enterprise Integrator 7 as shipped: its carbon.xml opens the internal keystore, wso2carbon.jks, with the password
    wso2carbon, and [truststore] names that same file; its config tool renders no cipher-text.properties, so the role
    writes it. The JDK reads that file with java.util.Properties, as the runtime does, and decrypts every value with
    the internal key, opened as carbon.xml opens it."""
    product = 'enterprise_integrator'
    variables = {'%s_%s' % (product, name): value for name, value in (
        ('internal_keystore_password', PACK_PASSWORD), ('encrypt_passwords', 'true'))}
    inventory = build_cluster(tmp_path, product, NODES, PASSWORD, extra_vars=variables)
    for name in NODES:
        (tmp_path / name / 'conf' / 'deployment.toml').rename(tmp_path / name / 'conf' / config_name)
    pack = sha256_file(tmp_path / NODES[0] / SECURITY / 'wso2carbon.jks')
    shipped = files_of(tmp_path)
    predicted = play(inventory, product, '--check', '--diff')
    assert files_of(tmp_path) == shipped, 'check mode wrote'
    run = play(inventory, product)
    assert changed_counts(run) == changed_counts(predicted), 'check mode predicts the run'
    for name in NODES:
        home = tmp_path / name
        assert sorted(path.name for path in (home / 'conf').glob('*.toml')) == [config_name]
        text = _config(home, product).read_text()
        assert PASSWORD not in text
        data = tomlkit.parse(text).unwrap()
        secrets = decrypted(tmp_path, home, product, internal=EI_INTERNAL, password=PACK_PASSWORD)
        # [keystore.internal] is not read, so not written: the vault holds what the tables the product reads name
        assert secrets == {'keystore_password': PASSWORD, 'truststore_password': PACK_PASSWORD}
        assert 'internal' not in data['keystore']
        tables = _tables(data)
        assert {'keystore.tls', 'truststore'} <= set(tables)
        for table in tables.values():
            for key in ('password', 'key_password'):
                if key in table:
                    resolved(table[key], secrets)
        assert data['truststore']['file_name'] == EI_INTERNAL['file_name']
        cipher_text = _config(home, product).parent / 'security' / 'cipher-text.properties'
        run = subprocess.run([jdk_tool('java'), '-cp', str(java_class('SecretCheck', tmp_path)), 'SecretCheck',
                              str(home / SECURITY / EI_INTERNAL['file_name']), 'JKS', PACK_PASSWORD, EI_INTERNAL['alias'],
                              PACK_PASSWORD, 'RSA', '@%s' % cipher_text], capture_output=True, text=True, timeout=120,
                             check=False)
        assert run.returncode == 0, run.stdout + run.stderr
        from_file = dict(line.split('=', 1) for line in run.stdout.splitlines())
        assert {alias: from_file[alias] for alias in secrets} == secrets
        # the pack's own [plaintext] placeholders are encrypted too: the runtime decrypts every value at start
        assert from_file['UserManager.AdminUser.Password'] == 'admin'
        assert PASSWORD not in cipher_text.read_text() and '[' not in cipher_text.read_text().split('\n', 2)[2]
        properties = vault_properties(home, product)
        assert properties['secretRepositories.file.location'] == 'conf/security/cipher-text.properties'
        assert properties['keystore.identity.location'] == str(home / SECURITY / EI_INTERNAL['file_name'])
        # the one file holds the internal key as the pack made it, its CA entries and the cluster's certificate
        tls_check(tmp_path, home, product, secrets)
        shared = {entry['alias']: entry for entry in keytool_entries(home / SECURITY / 'wso2carbon.jks', PACK_PASSWORD)}
        original = keytool_entries(tmp_path / 'pack' / 'wso2carbon.jks', PACK_PASSWORD)
        assert {entry['alias']: entry['sha256'] for entry in original} == {
            alias: shared[alias]['sha256'] for alias in (entry['alias'] for entry in original)}
        served = keytool_entries(_path(home, data['keystore']['tls']['file_name']), PASSWORD)[0]['sha256']
        assert served in {entry['sha256'] for entry in shared.values()}, 'the cluster certificate is trusted'
    assert sha256_file(tmp_path / NODES[0] / SECURITY / 'wso2carbon.jks') != pack  # it trusts the cluster now
    before = files_of(tmp_path)
    rerun = play(inventory, product, env=fresh_controller(tmp_path))
    assert {counts['changed'] for counts in recap(rerun.stdout).values()} == {0}, rerun.stdout[-3000:]
    assert files_of(tmp_path) == before


@pytest.mark.parametrize('variable', ['internal_keystore_password', 'truststore_password'])
def test_enterprise_integrator_refuses_a_password_its_carbon_xml_would_not_open_before_any_write(tmp_path, variable):
    product = 'enterprise_integrator'
    inventory = build_cluster(tmp_path, product, NODES, PASSWORD, extra_vars={'%s_%s' % (product, variable): INTERNAL})
    before = files_of(tmp_path)
    refused = play(inventory, product, check=False)
    assert refused.returncode != 0 and files_of(tmp_path) == before
    assert '%s_%s' % (product, variable) in refused.stdout
    assert 'Enterprise Integrator 7' in refused.stdout and 'password wso2carbon' in refused.stdout


def test_enterprise_integrator_encryption_and_migration_compose_around_the_hard_coded_internal_keystore(tmp_path):
    """encrypt_passwords with migrate_to_pkcs12 on Enterprise Integrator 7: the truststore, the pack's wso2carbon.jks,
    moves to a PKCS12 twin that opens with what the vault decrypts, while the vault's key stays the JKS file carbon.xml
    opens; a rerun and a second migration change nothing."""
    product = 'enterprise_integrator'
    variables = {'%s_%s' % (product, name): value for name, value in (
        ('internal_keystore_password', PACK_PASSWORD), ('encrypt_passwords', 'true'), ('migrate_to_pkcs12', 'true'))}
    inventory = build_cluster(tmp_path, product, NODES, PASSWORD, extra_vars=variables)
    play(inventory, product)
    for name in NODES:
        home = tmp_path / name
        data = tomlkit.parse(_config(home, product).read_text()).unwrap()
        secrets = decrypted(tmp_path, home, product, internal=EI_INTERNAL, password=PACK_PASSWORD)
        properties = vault_properties(home, product)
        assert properties['keystore.identity.location'] == str(home / SECURITY / 'wso2carbon.jks')
        for table in (data['keystore']['tls'], data['truststore']):
            assert table['type'] == 'PKCS12' and table['file_name'].endswith('.p12'), table
            listed = subprocess.run([jdk_tool('keytool'), '-list', '-keystore', str(_path(home, table['file_name'])),
                                     '-storetype', 'PKCS12', '-storepass:env', 'STOREPASS'],
                                    env=dict(os.environ, STOREPASS=resolved(table['password'], secrets)),
                                    capture_output=True, text=True, timeout=120, check=False)
            assert listed.returncode == 0, listed.stdout + listed.stderr
        tls_check(tmp_path, home, product, secrets)
    before = files_of(tmp_path)
    rerun = play(inventory, product, env=fresh_controller(tmp_path))
    assert {counts['changed'] for counts in recap(rerun.stdout).values()} == {0}, rerun.stdout[-3000:]
    migrate = Path(__file__).resolve().parents[2] / 'playbooks' / 'migrate_pkcs12.yml'
    again = play(inventory, product, '-e', 'product_role=%s' % product, playbook=migrate)
    assert {counts['changed'] for counts in recap(again.stdout).values()} == {0}, again.stdout[-3000:]
    assert files_of(tmp_path) == before
