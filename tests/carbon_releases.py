"""Where each Identity Server, API Manager and Enterprise Integrator release opens its stores, and with which password
and alias: WSO2's own rules, written down from its files at each release tag, apart from the collection's code so
that the integration tests judge the roles by them (tests/mi_releases.py does the same for Micro Integrator).

Identity Server and API Manager (wso2/carbon-kernel at the kernel each release's pom names, wso2/product-is and
wso2/product-apim at the release tag):
- The config mapper fills in what deployment.toml leaves out from one default.json: the product's own
  (modules/distribution/.../conf/default.json) merged over the kernel's (the distribution pom's json-merge task takes
  the product's file as its base), the fixtures config-tool/kernel-<kernel>-default.json and <product>-<release>-default.json.
  $ref{a.b} is another key's value.
- carbon.xml.j2 puts ${carbon.home}/repository/resources/security/ before [keystore.primary], [keystore.internal],
  [truststore], [keystore.saml] (kernel 4.7 on, when the table is there) and each [[keystore.custom]] file name.
- The HTTPS connector (catalina-server.xml.j2) reads transport.https.sslHostConfig.certificate.properties.*, whose
  defaults put the same folder before $ref{keystore.tls.file_name} and take the other [keystore.tls] keys.

Enterprise Integrator 7 (wso2/product-ei at 4f7b545, its runtime wso2/micro-integrator v1.0.0):
- carbon.xml is not rendered: <KeyStore>, <InternalKeyStore> and <TrustStore> are the pack's wso2carbon.jks and
  client-truststore.jks, JKS, password (and alias) wso2carbon, whatever the configuration says.
- The config tool's default.json gives the pass-through transports [keystore.tls] and [truststore] ($conf{a.b} is
  another key's value), each file name after repository/resources/security/, relative to the home.
"""

from __future__ import annotations

import json
import re

import tomlkit

from helpers import FIXTURES

SECURITY = 'repository/resources/security/'
CARBON_HOME = '${carbon.home}/'
TLS_CONNECTOR = 'transport.https.sslHostConfig.certificate.properties.'
EI_LISTENER = 'transport.http.listener.'

# product, release: its shipped configuration, the default.json files the config mapper merges (later ones win),
# whether its pack ships JKS or PKCS12 files
RELEASES = {
    ('identity_server', '5.11.0'): {'config': 'is-5.11.0.deployment.toml',
                                    'defaults': ('kernel-4.6.1-default.json', 'is-5.11-default.json')},
    ('identity_server', '7.0.0'): {'config': 'is-7.0.0.deployment.toml',
                                   'defaults': ('kernel-4.10.9-default.json', 'is-7.0-default.json')},
    ('identity_server', '7.1.0'): {'config': 'is-7.1.0.deployment.toml',
                                   'defaults': ('kernel-4.10.42-default.json', 'is-7.1-default.json')},
    ('api_manager', '4.2.0'): {'config': 'apim-4.2.0.deployment.toml',
                               'defaults': ('kernel-4.8.1-default.json', 'apim-4.2-default.json')},
    ('api_manager', '4.5.0'): {'config': 'apim-latest.deployment.toml',
                               'defaults': ('kernel-4.9.28-default.json', 'apim-4.5-default.json')},
    ('enterprise_integrator', '7.0.0'): {'config': 'ei-7.deployment.toml', 'defaults': ('ei-7-default.json',)},
}
CONFIG_PATH = {'identity_server': 'repository/conf/deployment.toml', 'api_manager': 'repository/conf/deployment.toml',
               'enterprise_integrator': 'conf/deployment.toml'}
KEY_SETTINGS = ('file_name', 'type', 'password', 'alias', 'key_password')
# Enterprise Integrator 7's carbon.xml, as wso2/micro-integrator v1.0.0 ships it
EI_PACK_KEYSTORE = {'file_name': SECURITY + 'wso2carbon.jks', 'type': 'JKS', 'password': 'wso2carbon',
                    'alias': 'wso2carbon', 'key_password': 'wso2carbon'}
EI_PACK_TRUSTSTORE = {'file_name': SECURITY + 'client-truststore.jks', 'type': 'JKS', 'password': 'wso2carbon'}


def defaults(product, release):
    merged = {}
    for name in RELEASES[(product, release)]['defaults']:
        merged.update(json.loads((FIXTURES / 'config-tool' / name).read_text()))
    return merged


def pack_type(product, release):
    """JKS or PKCS12: the type of the release's own keystores, as the mapper resolves [keystore.primary] (or, on
    Enterprise Integrator, [keystore.tls]) from the shipped file."""
    table = 'keystore.tls' if product == 'enterprise_integrator' else 'keystore.primary'
    return str(_resolver(product, release, _parsed(FIXTURES / RELEASES[(product, release)]['config']),
                         lambda alias: None)('%s.type' % table) or 'JKS').upper()


def config_file(home, product):
    """The configuration the product reads: Enterprise Integrator's conf/ei.toml when there is one."""
    if product == 'enterprise_integrator' and (home / 'conf' / 'ei.toml').exists():
        return home / 'conf' / 'ei.toml'
    return home / CONFIG_PATH[product]


def _parsed(path):
    return tomlkit.parse(path.read_text()).unwrap()


def _in_file(data, dotted):
    for part in dotted.split('.'):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _resolver(product, release, written, secret):
    known = defaults(product, release)
    reference = re.compile(r'\$(?:ref|conf)\{([^}]+)\}')

    def setting(key):  # the file's value, else the merged default
        found = _in_file(written, key)
        return known.get(key) if found is None else found

    def value(key):
        found = setting(key)
        for _depth in range(10):
            if not isinstance(found, str) or not reference.search(found):
                break
            whole = reference.fullmatch(found)
            found = setting(whole.group(1)) if whole else reference.sub(lambda m: str(setting(m.group(1))), found)
        return _revealed(found, secret)
    return value


def _revealed(found, secret):
    match = re.fullmatch(r'\$secret\{([^}]+)\}', found) if isinstance(found, str) else None
    return secret(match.group(1)) if match else found


def stores(home, product, release, secret=lambda alias: None):
    """{purpose: {path, type, password, alias, key_password}} for every store ``release`` of ``product`` opens in
    ``home``: 'primary', 'internal', 'tls' (what the HTTPS listener presents), 'truststore', and 'saml' and
    'custom:<name>' where the configuration has those tables; Enterprise Integrator also 'carbon_truststore' (its
    hard-coded <TrustStore>). ``secret(alias)`` is what a $secret{alias} value decrypts to."""
    written = _parsed(config_file(home, product))
    value = _resolver(product, release, written, secret)

    def at(path, settings):
        settings = dict(settings, path=home / path)
        settings['type'] = str(settings.get('type') or 'JKS').upper()
        return settings

    if product == 'enterprise_integrator':
        tls = {key: value(EI_LISTENER + 'key_store.' + key) for key in ('file_name', 'type', 'password', 'key_password')}
        tls['alias'] = value('keystore.tls.alias')  # the transport takes the key the store holds
        trust = {key: value(EI_LISTENER + 'trust_store.' + key) for key in ('file_name', 'type', 'password')}
        return {'primary': at(EI_PACK_KEYSTORE['file_name'], EI_PACK_KEYSTORE),
                'internal': at(EI_PACK_KEYSTORE['file_name'], EI_PACK_KEYSTORE),
                'carbon_truststore': at(EI_PACK_TRUSTSTORE['file_name'], EI_PACK_TRUSTSTORE),
                'tls': at(tls['file_name'], tls), 'truststore': at(trust['file_name'], trust)}

    def carbon(table):
        settings = {key: value('%s.%s' % (table, key)) for key in KEY_SETTINGS}
        return at(SECURITY + str(settings['file_name']), settings)
    found = {'primary': carbon('keystore.primary'), 'internal': carbon('keystore.internal'),
             'truststore': carbon('truststore')}
    connector = {key: value(TLS_CONNECTOR + name) for key, name in (
        ('file_name', 'certificateKeystoreFile'), ('type', 'certificateKeystoreType'),
        ('password', 'certificateKeystorePassword'), ('alias', 'certificateKeyAlias'),
        ('key_password', 'certificateKeyPassword'))}
    found['tls'] = at(str(connector['file_name']).replace(CARBON_HOME, '', 1), connector)
    if _in_file(written, 'keystore.saml') is not None:
        found['saml'] = carbon('keystore.saml')
    for custom in _in_file(written, 'keystore.custom') or []:
        settings = {key: _revealed(setting, secret) for key, setting in custom.items()}
        found['custom:%s' % custom['file_name']] = at(SECURITY + custom['file_name'], settings)
    return found
