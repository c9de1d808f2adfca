"""The secure vault as WSO2's cipher tool leaves it (wso2/vault.py, tasks/secure_vault.py), on real product homes
with the pack's keystores: values decrypted here with cryptography's own RSA (the JDK judges them in the
integration tests), idempotence by meaning, the refusals."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from ansible_collections.carbon.keystores.plugins.module_utils.errors import RequestError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import load_keystore
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import secure_vault
from ansible_collections.carbon.keystores.plugins.module_utils.toml import edit as toml_edit
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import migration, vault
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import cipher
from helpers import FIXTURES
from homes import CONFIG, PACK_PASSWORD, SECURITY, apply_tables, inspect, node, params, read, write_keystore

SECRETS = {'keystore_password': 'Store-Secret-2026', 'admin_password': 'Admin-Secret-2026'}
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)


def _run(home, product='identity_server', **given):
    options = dict(product=product, home=str(home), secrets=SECRETS, keystore_password=PACK_PASSWORD)
    options.update(given)
    config = home / CONFIG[product][1]
    properties = Path(vault.properties_path(str(home), str(config)))
    cipher_text = Path(vault.cipher_text_path(str(home), str(config)))
    outcome = secure_vault.run(params(secure_vault, **options), str(home), str(config), config.read_bytes(), read,
                               properties.read_bytes() if properties.exists() else None,
                               cipher_text_bytes=cipher_text.read_bytes() if cipher_text.exists() else None)
    assert outcome.changed == bool(outcome.files) and outcome.data is None
    return outcome.result, {item['path']: item['data'] for item in outcome.files}, outcome.diff


def _write(files):
    for path, data in files.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)  # a pack ships <conf>/security; the test homes do not
        Path(path).write_bytes(data)


def _private_key(home):
    store = load_keystore((home / SECURITY / 'wso2carbon.jks').read_bytes(), PACK_PASSWORD, 'pack')
    return serialization.load_der_private_key(store.get('wso2carbon').pkcs8, None)


def _secrets(home, product='identity_server'):
    return toml_edit.parse((home / CONFIG[product][1]).read_text(), 'config').unwrap()['secrets']


@pytest.mark.parametrize('product', ['identity_server', 'api_manager', 'micro_integrator'])
def test_values_are_encrypted_with_the_internal_key_and_a_rerun_changes_nothing(tmp_path, product):
    home = node(tmp_path, product, 'a')
    result, files, diff = _run(home, product)
    config = str(home / CONFIG[product][1])
    conf_dir = 'conf/security' if product == 'micro_integrator' else 'repository/conf/security'
    properties = '%s/%s/secret-conf.properties' % (home, conf_dir)
    assert sorted(files) == sorted([config, properties])
    _write(files)
    key = _private_key(home)
    stored = _secrets(home, product)
    assert {alias: key.decrypt(base64.b64decode(stored[alias]), padding.PKCS1v15()).decode() for alias in SECRETS} \
        == SECRETS
    assert not any(secret in (home / CONFIG[product][1]).read_text() for secret in SECRETS.values())
    assert not any(secret in diff['after'] for secret in SECRETS.values()) and '********' in diff['after']
    written = vault.parse_properties(Path(properties).read_text())
    assert written['keystore.identity.location'] == str(home / SECURITY / 'wso2carbon.jks')
    assert written['keystore.identity.alias'] == 'wso2carbon' and written['keystore.identity.type'] == 'JKS'
    assert written['secretRepositories.file.location'] == '%s/cipher-text.properties' % conf_dir
    assert vault.ALGORITHM_PROPERTY not in written
    assert result['references'] == {'admin_password': '$secret{admin_password}',
                                    'keystore_password': '$secret{keystore_password}'}
    before = {path: Path(path).read_bytes() for path in files}
    again, nothing, _diff = _run(home, product)
    assert nothing == {} and again['changes'] == []
    assert {path: Path(path).read_bytes() for path in files} == before


def test_enterprise_integrator_gets_the_cipher_text_file_its_config_tool_does_not_render(tmp_path):
    product = 'enterprise_integrator'
    home = node(tmp_path, product, 'a')
    shipped = Path(vault.cipher_text_path(str(home), str(home / CONFIG[product][1])))
    shipped.parent.mkdir(parents=True)
    shutil.copyfile(FIXTURES / 'ei-7.cipher-text.properties', shipped)  # every value a [plaintext] placeholder
    shipped.write_text(shipped.read_text() + 'mediation_db=[Mediation-Db-2026]\n')
    result, files, _diff = _run(home, product)
    assert result['cipher_text_file'] == str(shipped) and str(shipped) in files
    assert 'Mediation-Db-2026' not in ''.join(result['changes'])
    _write(files)
    key = _private_key(home)
    written = vault.parse_properties(shipped.read_text())
    stored = _secrets(home, product)
    # the server reads [secrets] from this file alone: every alias, its value byte for byte
    assert {alias: written[alias] for alias in stored} == stored
    plain = {alias: key.decrypt(base64.b64decode(value), padding.PKCS1v15()).decode() for alias, value in written.items()}
    assert {alias: plain[alias] for alias in SECRETS} == SECRETS
    # the shipped placeholders and a mediation's own alias stay, encrypted: the server decrypts every value at start
    assert plain['Carbon.Security.KeyStore.Password'] == PACK_PASSWORD and plain['UserManager.AdminUser.Password'] \
        == 'admin' and plain['mediation_db'] == 'Mediation-Db-2026'
    assert not any('[' in value for value in written.values())
    before = shipped.read_bytes()
    again, nothing, _diff = _run(home, product)
    assert nothing == {} and again['changes'] == [] and shipped.read_bytes() == before
    # an alias taken out of [secrets] leaves the file too; the others stay byte for byte
    removed, files, _diff = _run(home, product, secrets={'admin_password': ''}, state='absent')
    _write(files)
    left = vault.parse_properties(shipped.read_text())
    assert 'admin_password' not in left and left['keystore_password'] == written['keystore_password']
    assert left['mediation_db'] == written['mediation_db']


def test_products_whose_config_tool_renders_it_get_no_cipher_text_file(tmp_path):
    home = node(tmp_path, 'identity_server', 'a')
    result, files, _diff = _run(home)
    assert result['cipher_text_file'] is None and not any(path.endswith('cipher-text.properties') for path in files)


def test_oaep_is_used_when_named_and_a_change_of_transformation_re_encrypts(tmp_path):
    home = node(tmp_path, 'identity_server', 'a')
    _write(_run(home)[1])
    result, files, _diff = _run(home, transformation=cipher.OAEP_SHA1)
    for alias in SECRETS:
        assert 're-encrypted %s with %s (it was encrypted with %s)' % (alias, cipher.OAEP_SHA1, cipher.PKCS1) \
            in result['changes']
    _write(files)
    key = _private_key(home)
    assert key.decrypt(base64.b64decode(_secrets(home)['keystore_password']), OAEP).decode() == 'Store-Secret-2026'
    properties = home / 'repository/conf/security/secret-conf.properties'
    assert vault.parse_properties(properties.read_text())[vault.ALGORITHM_PROPERTY] == cipher.OAEP_SHA1
    assert _run(home, transformation=cipher.OAEP_SHA1)[1] == {}
    # an alias the task is not asked about is re-encrypted too: the server reads every value one way
    back, files, _diff = _run(home, secrets={'admin_password': 'Admin-Secret-2026'})
    assert 're-encrypted keystore_password with %s (it was encrypted with %s)' % (cipher.PKCS1, cipher.OAEP_SHA1) \
        in back['changes']
    _write(files)
    assert key.decrypt(base64.b64decode(_secrets(home)['keystore_password']), padding.PKCS1v15()) == b'Store-Secret-2026'


def test_a_plaintext_written_by_hand_is_encrypted_and_a_changed_value_replaced(tmp_path):
    home = node(tmp_path, 'identity_server', 'a')
    config = home / CONFIG['identity_server'][1]
    config.write_text(config.read_text() + '\n[secrets]\nlegacy_db = "[Db-Hand-Written-1]"\n')
    result, files, diff = _run(home)
    assert 'encrypted legacy_db, written by hand as plaintext' in result['changes']
    assert 'Db-Hand-Written-1' not in diff['before'] + diff['after']
    _write(files)
    key = _private_key(home)
    assert key.decrypt(base64.b64decode(_secrets(home)['legacy_db']), padding.PKCS1v15()) == b'Db-Hand-Written-1'
    changed, files, _diff = _run(home, secrets=dict(SECRETS, admin_password='Admin-Secret-2027'))
    assert changed['changes'] == ['changed admin_password']
    _write(files)
    assert key.decrypt(base64.b64decode(_secrets(home)['admin_password']), padding.PKCS1v15()) == b'Admin-Secret-2027'


def test_a_value_of_another_key_is_refused_unless_forced_and_nothing_is_written(tmp_path):
    home = node(tmp_path, 'identity_server', 'a')
    write_keystore(tmp_path / 'other.jks', 'Other-Pass-1', 'other')
    foreign = vault.InternalKey((tmp_path / 'other.jks').read_bytes(), 'other.jks', 'other', 'Other-Pass-1')
    config = home / CONFIG['identity_server'][1]
    config.write_text(config.read_text() + '\n[secrets]\nkeystore_password = "%s"\n'
                      % foreign.encrypt('Store-Secret-2026', cipher.PKCS1))
    before = config.read_bytes()
    with pytest.raises(RequestError, match=r"\[secrets\] keystore_password in .* does not decrypt with the internal key "
                                           r"'wso2carbon' of .*wso2carbon.jks .*Set force to true"):
        _run(home)
    assert config.read_bytes() == before
    result, files, _diff = _run(home, force=True)
    assert 'encrypted keystore_password anew: its value did not decrypt with the internal key' in result['changes']
    _write(files)
    assert _run(home)[1] == {}


def test_absent_removes_the_aliases_and_a_wrong_keystore_password_is_named(tmp_path):
    home = node(tmp_path, 'identity_server', 'a')
    _write(_run(home)[1])
    result, files, _diff = _run(home, secrets={'admin_password': ''}, state='absent')
    assert result['changes'] == ['removed admin_password'] and result['aliases'] == ['keystore_password']
    _write(files)
    assert list(_secrets(home)) == ['keystore_password']
    with pytest.raises(Exception, match='wso2carbon.jks'):
        _run(home, keystore_password='not-the-password')
    with pytest.raises(RequestError, match='is not a usable alias'):
        _run(home, secrets={'a.b': 'x'})


def test_properties_read_as_java_reads_them_and_unchanged_keys_keep_the_file():
    text = ('#Tue Dec 01 10:00:00 UTC 2026\n! another comment\nkeystore.identity.location=C\\:/wso2/a b.jks\n'
            'keystore.identity.alias : wso2carbon\nsecVault.enabled true\nlong=first\\\n    second\ncustom.key=kept\n')
    found = vault.parse_properties(text)
    assert found == {'keystore.identity.location': 'C:/wso2/a b.jks', 'keystore.identity.alias': 'wso2carbon',
                     'secVault.enabled': 'true', 'long': 'firstsecond', 'custom.key': 'kept'}
    wanted = vault.secret_conf('/opt/is/repository/resources/security/wso2carbon.jks', 'jks', 'wso2carbon',
                               'repository/conf/security/cipher-text.properties', cipher.PKCS1)
    written, changes = vault.plan_properties(text, wanted)
    assert changes and vault.parse_properties(written) == dict(wanted, **{'long': 'firstsecond', 'custom.key': 'kept',
                                                                          'secVault.enabled': 'true'})
    assert vault.plan_properties(written, wanted) == (None, [])
    assert vault.plan_properties(written.replace('=', ' = '), wanted) == (None, []), 'compared by meaning'


def test_product_info_reads_secret_references_through_the_vault_and_names_clear_text_passwords(tmp_path):
    product = 'identity_server'
    home = node(tmp_path, product, 'a')
    plain = inspect(home, product)
    assert 'plaintext_password' in {f['code'] for f in plain['findings'] if f['purpose'] == 'primary'}
    _write(_run(home, secrets={'keystore_password': PACK_PASSWORD})[1])
    reference = {'password': '$secret{keystore_password}', 'key_password': '$secret{keystore_password}'}
    apply_tables(inspect(home, product), {'keystore.primary': dict(reference), 'keystore.internal': dict(
        reference, file_name='wso2carbon.jks', type='JKS', alias='wso2carbon')})
    unknown = inspect(home, product)
    assert unknown['keystores'][str(home / SECURITY / 'wso2carbon.jks')]['status'] == 'unknown'
    resolved = inspect(home, product, internal_keystore_password=PACK_PASSWORD)
    assert resolved['keystores'][str(home / SECURITY / 'wso2carbon.jks')]['status'] == 'ok'
    assert resolved['secrets']['primary']['password'] == PACK_PASSWORD
    codes = {(f['purpose'], f['code']) for f in resolved['findings']}
    assert ('primary', 'plaintext_password') not in codes and ('internal', 'plaintext_password') not in codes
    wrong = inspect(home, product, internal_keystore_password='not-it')
    assert [f['message'] for f in wrong['findings'] if f['code'] == 'secret_unresolved'][0].startswith(
        'The $secret{} values of %s cannot be decrypted' % (home / CONFIG[product][1]))


def test_product_info_resolves_enterprise_integrators_secrets_from_the_file_the_server_reads(tmp_path):
    product = 'enterprise_integrator'
    home = node(tmp_path, product, 'a')
    _write(_run(home, product, secrets={'keystore_password': PACK_PASSWORD})[1])
    reference = {'password': '$secret{keystore_password}', 'key_password': '$secret{keystore_password}'}
    apply_tables(inspect(home, product), {'keystore.tls': dict(reference)})
    resolved = inspect(home, product, internal_keystore_password=PACK_PASSWORD)
    assert resolved['secrets']['tls']['password'] == PACK_PASSWORD
    assert 'secret_unresolved' not in {f['code'] for f in resolved['findings']}
    # [secrets] alone (the cipher tool run by hand) leaves the server without the value: the audit says where
    cipher_text = Path(vault.cipher_text_path(str(home), str(home / CONFIG[product][1])))
    cipher_text.unlink()
    missing = inspect(home, product, internal_keystore_password=PACK_PASSWORD)
    assert [f['message'] for f in missing['findings'] if f['code'] == 'secret_unresolved'] == [
        'keystore.tls.key_password = $secret{keystore_password} in %s: %s (the config tool of Enterprise Integrator 7 '
        'renders none from [secrets]) has no such alias with the internal key \'wso2carbon\'.'
        % (home / CONFIG[product][1], cipher_text)]


@pytest.mark.parametrize('spelled', ['absolute', 'relative'])
def test_the_migration_points_the_vault_at_the_pkcs12_twin_and_keeps_every_other_line(tmp_path, spelled):
    home = node(tmp_path, 'identity_server', 'a')
    _result, files, _diff = _run(home)
    _write(files)
    config = str(home / CONFIG['identity_server'][1])
    properties = Path(vault.properties_path(str(home), config))
    jks, twin = str(home / SECURITY / 'wso2carbon.jks'), str(home / SECURITY / 'wso2carbon.p12')
    if spelled == 'relative':  # as WSO2's pack ships it, relative to the home
        properties.write_text(properties.read_text().replace(jks, '%s/wso2carbon.jks' % SECURITY))
    before = properties.read_text()

    def info(contents, internal=jks):
        return {'home': str(home) + '/', 'config_file': config, 'product': 'identity_server',
                'purposes': {'internal': {'path': internal}},
                'contents': {str(properties): {'content': base64.b64encode(contents).decode('ascii')}}}

    # a twin of the vault's keystore made for another purpose (the truststore of the same file) is not the vault's
    assert migration.vault_properties(info(before.encode(), internal=str(home / SECURITY / 'other.jks')),
                                      {jks: twin}) is None
    item = migration.vault_properties(info(before.encode()), {jks: twin})
    assert item['path'] == str(properties) and item['owner_like'] == config
    after = base64.b64decode(item['result']['content']).decode()
    assert vault.parse_properties(after) == dict(vault.parse_properties(before), **{
        'keystore.identity.location': twin, 'keystore.identity.type': 'PKCS12'})
    changed = [(old, new) for old, new in zip(before.splitlines(), after.splitlines()) if old != new]
    assert len(before.splitlines()) == len(after.splitlines()) and len(changed) == 2
    assert item['result']['shown_diff'] == {'before': before, 'after': after}
    # a store the migration does not convert, and a node without a vault, leave the properties alone
    assert migration.vault_properties(info(before.encode()), {str(home / SECURITY / 'other.jks'): twin}) is None
    assert migration.vault_properties({'home': str(home), 'config_file': config, 'contents': {}}, {jks: twin}) is None
