"""carbon.keystores.product_info on sandbox product homes built from WSO2's real files."""

from __future__ import annotations

import json
import shutil

from helpers import FIXTURES, keytool, pretty, run_playbook

SECURITY = 'repository/resources/security'


def _default_keystore(path, password='wso2carbon', alias='wso2carbon', validity=3650, store_type='JKS'):
    """A keystore like the pack's wso2carbon.jks, made by keytool."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keytool('-genkeypair', '-keystore', path, '-storetype', store_type, '-storepass', password, '-keypass', password,
            '-alias', alias, '-keyalg', 'RSA', '-keysize', '2048', '-validity', validity,
            '-dname', 'CN=localhost, O=WSO2, L=Mountain View, ST=CA, C=US')


def _trust(truststore, keystore, alias='wso2carbon', password='wso2carbon'):
    exported = keystore.parent / (keystore.name + '.cer')
    keytool('-exportcert', '-keystore', keystore, '-storepass', password, '-alias', alias, '-file', exported)
    keytool('-importcert', '-noprompt', '-keystore', truststore, '-storetype', 'JKS', '-storepass', 'wso2carbon',
            '-alias', 'node-' + alias, '-file', exported)


def _home(tmp_path, name, fixture, config='repository/conf/deployment.toml', text=None):
    home = tmp_path / name
    target = home / config
    target.parent.mkdir(parents=True)
    if text is not None:
        target.write_text(text)
    else:
        shutil.copyfile(FIXTURES / fixture, target)
    (home / SECURITY).mkdir(parents=True, exist_ok=True)
    return home


def _info(name, product, home, **options):
    return {'name': name, 'carbon.keystores.product_info': dict(product=product, home=str(home), **options)}


def _codes(result, purpose=None):
    return {f['code'] for f in result['findings'] if purpose is None or f['purpose'] == purpose}


def test_each_fixture_gives_the_settings_wso2_would_use(tmp_path):
    is_home = _home(tmp_path, 'is', 'is-latest.deployment.toml')
    _default_keystore(is_home / SECURITY / 'wso2carbon.jks')
    _default_keystore(is_home / SECURITY / 'client-truststore.jks', alias='dummy')
    _trust(is_home / SECURITY / 'client-truststore.jks', is_home / SECURITY / 'wso2carbon.jks')
    is511 = _home(tmp_path, 'is511', 'is-5.11.deployment.toml')
    _default_keystore(is511 / SECURITY / 'wso2carbon.jks')
    apim = _home(tmp_path, 'apim', 'apim-latest.deployment.toml')
    _default_keystore(apim / SECURITY / 'wso2carbon.jks')
    mi = _home(tmp_path, 'mi', 'mi-1.2-dev.deployment.toml', config='conf/deployment.toml')
    _default_keystore(mi / SECURITY / 'wso2carbon.jks')
    ei = _home(tmp_path, 'ei', 'ei-7.deployment.toml', config='conf/deployment.toml')
    _default_keystore(ei / SECURITY / 'wso2carbon.jks')
    ei_doc = _home(tmp_path, 'ei_doc', 'ei-7.deployment.toml', config='conf/ei.toml')
    shutil.copyfile(FIXTURES / 'is-latest.deployment.toml', ei_doc / 'conf' / 'deployment.toml')  # must be ignored
    _default_keystore(ei_doc / SECURITY / 'wso2carbon.jks')
    run = run_playbook(tmp_path, [
        _info('is', 'identity_server', is_home, version='7.0.0'),
        _info('is71', 'identity_server', is_home, version='7.1.0'),
        _info('is511', 'identity_server', is511, version='5.11.0'),
        _info('apim', 'api_manager', apim),
        _info('mi', 'micro_integrator', mi),
        _info('ei', 'enterprise_integrator', ei),
        _info('ei_doc', 'enterprise_integrator', ei_doc),
        _info('no_home', 'api_manager', tmp_path / 'nowhere'),
    ])
    for name in ('is', 'is71', 'is511', 'apim', 'mi', 'ei', 'ei_doc'):
        assert not run[name].get('failed'), pretty(run[name])
    is_default = json.loads((FIXTURES / 'config-tool' / 'is-default.json').read_text())
    mi_default = json.loads((FIXTURES / 'config-tool' / 'mi-default.json').read_text())

    # Identity Server: internal and tls fall back to primary ($ref{keystore.primary.*}); type from default.json.
    result = run['is']
    assert result['config_file'] == str(is_home / 'repository/conf/deployment.toml')
    for purpose in ('primary', 'internal', 'tls'):
        assert result['purposes'][purpose]['file_name'] == 'wso2carbon.jks'
        assert result['purposes'][purpose]['path'] == str(is_home / SECURITY / 'wso2carbon.jks')
        assert result['purposes'][purpose]['type'] == is_default['keystore.primary.type']
    assert result['purposes']['primary']['configured_in_file'] and not result['purposes']['tls']['configured_in_file']
    assert result['purposes']['truststore']['type'] == is_default['truststore.type']
    connector = result['tls_connector']
    assert connector['certificateKeystoreFile'] == str(is_home / SECURITY / 'wso2carbon.jks')
    assert connector['certificateKeyAlias'] == 'wso2carbon' and connector['certificateKeystorePassword_state'] == 'default'
    assert connector['truststoreFile'] == str(is_home / SECURITY / 'client-truststore.jks')
    assert 'tls_not_trusted' not in _codes(result) and 'pack_default_keystore' in _codes(result, 'tls')
    # 7.1 and later default to PKCS12 where the file says nothing about type.
    assert run['is71']['purposes']['tls']['type'] == 'PKCS12' and run['is71']['profile'].endswith('7.1 and later')
    assert 'type_mismatch' in _codes(run['is71'], 'primary')
    assert run['is511']['purposes']['internal']['alias'] == 'wso2carbon'

    # API Manager: [keystore.tls] from the file; primary and internal from the defaults.
    result = run['apim']
    assert result['purposes']['tls']['configured_in_file'] and not result['purposes']['primary']['configured_in_file']
    assert result['purposes']['primary']['path'] == result['purposes']['tls']['path']

    # Micro Integrator: primary and internal from config-tool/mi-default.json, home-relative; tls from the file.
    result = run['mi']
    assert result['config_file'] == str(mi / 'conf/deployment.toml')
    assert result['purposes']['primary']['file_name'] == mi_default['keystore.primary.file_name']
    assert result['purposes']['internal']['file_name'] == mi_default['keystore.primary.file_name']
    assert mi_default['keystore.internal.file_name'] == '$ref{keystore.primary.file_name}'
    assert result['purposes']['primary']['path'] == str(mi / mi_default['keystore.primary.file_name'])
    assert result['purposes']['tls']['path'] == str(mi / SECURITY / 'wso2carbon.jks')
    assert result['purposes']['truststore']['alias'] == 'symmetric.key.value'
    assert result['purposes']['truststore']['algorithm'] == 'AES'

    # Enterprise Integrator 7: the shipped conf/deployment.toml, or conf/ei.toml when there is one.
    assert run['ei']['config_file'] == str(ei / 'conf/deployment.toml')
    assert run['ei_doc']['config_file'] == str(ei_doc / 'conf/ei.toml')
    assert run['ei']['purposes']['truststore']['path'] == str(ei / SECURITY / 'wso2carbon.jks')
    assert run['ei']['purposes']['internal']['path'] == run['ei']['purposes']['tls']['path']

    assert run['no_home']['failed'] and 'has no API Manager configuration file' in run['no_home']['msg']
    assert 'wso2carbon' not in json.dumps({k: v['purposes'] for k, v in run.results.items() if v and 'purposes' in v}
                                          ).replace('wso2carbon.jks', '').replace('"alias": "wso2carbon"', '')


CUSTOM = '''[server]
hostname = "node1.example.org"

[keystore.primary]
file_name = "primary.jks"
type = "JKS"
password = "Primary-Pass-1"
alias = "primary"
key_password = "Primary-Pass-1"

[keystore.internal]
file_name = "$ref{keystore.primary.file_name}"
type = "$ref{keystore.primary.type}"
password = "$secret{keystore_password}"
alias = "$ref{keystore.primary.alias}"
key_password = "$secret{keystore_password}"

[keystore.tls]
file_name = "%(tls_file)s"
type = "JKS"
password = "Tls-Pass-2"
alias = "tls"
key_password = "%(tls_key_password)s"

[truststore]
file_name = "client-truststore.jks"
type = "JKS"
password = "wso2carbon"
'''


def test_each_finding_has_a_cause(tmp_path):
    home = _home(tmp_path, 'apim', None, text=CUSTOM % {'tls_file': 'tls.jks', 'tls_key_password': 'Other-Pass-3'})
    security = home / SECURITY
    # Primary: no Data Encipherment in its key usage, expiring in 10 days.
    keytool('-genkeypair', '-keystore', security / 'primary.jks', '-storetype', 'JKS', '-storepass', 'Primary-Pass-1',
            '-keypass', 'Primary-Pass-1', '-alias', 'primary', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '10',
            '-dname', 'CN=primary', '-ext', 'KeyUsage=digitalSignature,keyEncipherment')
    keytool('-genkeypair', '-keystore', security / 'tls.jks', '-storetype', 'JKS', '-storepass', 'Tls-Pass-2',
            '-keypass', 'Other-Pass-3', '-alias', 'tls', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=tls')
    _default_keystore(security / 'client-truststore.jks', alias='someone-else')
    outside = _home(tmp_path, 'outside', None, text=CUSTOM % {'tls_file': '../../../tls-outside.jks',
                                                              'tls_key_password': 'Tls-Pass-2'})
    keytool('-genkeypair', '-keystore', tmp_path / 'outside' / 'tls-outside.jks', '-storetype', 'JKS', '-storepass',
            'Tls-Pass-2', '-alias', 'tls', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=tls')
    wrong = _home(tmp_path, 'wrong', None, text=CUSTOM % {'tls_file': 'tls.jks', 'tls_key_password': 'Tls-Pass-2'})
    _default_keystore(wrong / SECURITY / 'tls.jks', password='not-what-the-config-says', alias='tls')
    run = run_playbook(tmp_path, [
        _info('custom', 'api_manager', home, expiry_warning_days=30),
        _info('outside', 'api_manager', outside),
        _info('wrong', 'api_manager', wrong),
    ])
    result = run['custom']
    assert not result.get('failed'), pretty(result)
    assert {'no_data_encipherment', 'expiring'} <= _codes(result, 'primary'), pretty(result['findings'])
    assert 'key_password_mismatch' in _codes(result, 'tls')
    assert 'tls_not_trusted' in _codes(result, 'tls')
    assert 'pack_default_keystore' not in _codes(result, 'tls')
    # A $secret{} password is unknown, never wrong.
    internal = result['purposes']['internal']
    assert internal['password_state'].startswith('unknown') and internal['keystore_status'] in ('unknown', 'ok')
    assert internal['file_name'] == 'primary.jks' and internal['alias'] == 'primary'
    assert 'cannot_open' not in _codes(result, 'internal')
    assert 'outside_security_folder' in _codes(run['outside'], 'tls')
    assert run['outside']['purposes']['tls']['path'] == str(tmp_path / 'outside' / 'tls-outside.jks')
    assert 'missing_file' in _codes(run['wrong'], 'primary')
    assert 'cannot_open' in _codes(run['wrong'], 'tls')
    assert 'store password is wrong' in next(f['message'] for f in run['wrong']['findings'] if f['code'] == 'cannot_open')
    for secret in ('Primary-Pass-1', 'Tls-Pass-2', 'Other-Pass-3'):
        assert secret not in run.output and secret not in json.dumps(run.results)
