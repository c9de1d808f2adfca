"""Sandbox product clusters: one product home per node in a temporary folder, each built from WSO2's
real configuration file and holding the same default keystores, as every copy of a product pack does."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import FIXTURES, VENV_PYTHON, keytool

SECURITY = 'repository/resources/security'
PACK_PASSWORD = 'wso2carbon'
CONFIG = {
    'identity_server': ('is-latest.deployment.toml', 'repository/conf/deployment.toml'),
    'api_manager': ('apim-latest.deployment.toml', 'repository/conf/deployment.toml'),
    'micro_integrator': ('mi-4.3.deployment.toml', 'conf/deployment.toml'),
    'enterprise_integrator': ('ei-7.deployment.toml', 'conf/deployment.toml'),
}


def pack_keystores(folder):
    """The pack's wso2carbon.jks and client-truststore.jks (made once by keytool, then copied to every node)."""
    folder = Path(folder)
    keystore, truststore = folder / 'wso2carbon.jks', folder / 'client-truststore.jks'
    if not keystore.exists():
        folder.mkdir(parents=True, exist_ok=True)
        keytool('-genkeypair', '-keystore', keystore, '-storetype', 'JKS', '-storepass', PACK_PASSWORD, '-keypass',
                PACK_PASSWORD, '-alias', 'wso2carbon', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650',
                '-dname', 'CN=localhost, O=WSO2, L=Mountain View, ST=CA, C=US',
                '-ext', 'KeyUsage=digitalSignature,keyEncipherment,dataEncipherment')
        keytool('-exportcert', '-keystore', keystore, '-storepass', PACK_PASSWORD, '-alias', 'wso2carbon',
                '-file', folder / 'wso2carbon.cer')
        keytool('-importcert', '-noprompt', '-keystore', truststore, '-storetype', 'JKS', '-storepass', PACK_PASSWORD,
                '-alias', 'wso2carbon', '-file', folder / 'wso2carbon.cer')
    return keystore, truststore


PACK_CIPHER_TEXT = {'enterprise_integrator': 'ei-7.cipher-text.properties'}
PACK_VAULT_PROPERTIES = '# The secure vault, off until it is configured.\nsecVault.enabled=false\n'


def build_node(root, product, name, pack):
    home = Path(root) / name
    fixture, config = CONFIG[product]
    (home / config).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / fixture, home / config)
    # a pack ships its secure vault's folder beside the configuration, the vault off until the cipher tool runs
    (home / config).parent.joinpath('security').mkdir(exist_ok=True)
    (home / config).parent.joinpath('security', 'secret-conf.properties').write_text(PACK_VAULT_PROPERTIES)
    if product in PACK_CIPHER_TEXT:  # a pack whose config tool does not render it ships it
        shutil.copyfile(FIXTURES / PACK_CIPHER_TEXT[product], (home / config).parent / 'security' / 'cipher-text.properties')
    (home / SECURITY).mkdir(parents=True, exist_ok=True)
    keystore, truststore = pack_keystores(pack)
    shutil.copyfile(keystore, home / SECURITY / 'wso2carbon.jks')
    shutil.copyfile(truststore, home / SECURITY / 'client-truststore.jks')
    return home


def write_inventory(root, product, nodes, password, extra_vars=None):
    """An inventory with the product's group: each node a local host with its own home."""
    lines = ['[%s]' % product]
    for name in nodes:
        lines.append('%s %s_home=%s' % (name, product, Path(root) / name))
    lines.append('')
    lines.append('[%s:vars]' % product)
    lines.append('ansible_connection=local')
    lines.append('ansible_python_interpreter=%s' % VENV_PYTHON)
    lines.append('%s_keystore_password=%s' % (product, password))
    for key, value in (extra_vars or {}).items():
        lines.append('%s=%s' % (key, value))
    inventory = Path(root) / 'inventory.ini'
    inventory.write_text('\n'.join(lines) + '\n')
    return inventory


def build_cluster(root, product, nodes, password, extra_vars=None):
    root = Path(root)
    for name in nodes:
        build_node(root, product, name, root / 'pack')
    return write_inventory(root, product, nodes, password, extra_vars)
