"""Product homes in a temporary folder for the unit tests: WSO2's real configuration files and the pack's
default keystores, read the way product_info reads them, without ansible-playbook. Keystores are made
with the collection's own task functions (their bytes are judged by keytool in test_engine.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.carbon.keystores.plugins.module_utils.tasks import keystore as keystore_task
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import toml_file as toml_task
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import truststore as truststore_task
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import home as wso2_home
from helpers import FIXTURES
from sandbox import CONFIG, PACK_PASSWORD, SECURITY  # noqa: F401 (the tests import them from here)


def params(task, **given):
    """The options a task function gets from its action plugin: given ones validated, defaults filled in."""
    validation = ArgumentSpecValidator(task.ARGUMENT_SPEC, **task.SPEC_RULES).validate(given)
    assert not validation.error_messages, validation.error_messages
    return validation.validated_parameters


def write_keystore(path, password, alias, subject='CN=localhost, O=WSO2', **options):
    """A keystore with one new key pair, written by the keystore task function."""
    path = Path(path)
    outcome = keystore_task.run(path.read_bytes() if path.exists() else None,
                                params(keystore_task, path=str(path), password=password, alias=alias, subject=subject,
                                       **options), str(path))
    path.write_bytes(outcome.data)
    return outcome.result


def trust(path, password, certificates):
    """Import ``certificates`` ([(alias, PEM)]) into the truststore at ``path`` with the truststore task."""
    path = Path(path)
    requested = truststore_task.requested_certificates([(alias, pem, alias) for alias, pem in certificates])
    outcome = truststore_task.run(path.read_bytes() if path.exists() else None,
                                  params(truststore_task, path=str(path), password=password), requested, str(path))
    if outcome.data is not None:
        path.write_bytes(outcome.data)
    return outcome.result


def pack(folder):
    """The pack's wso2carbon.jks and client-truststore.jks (made once, then copied to every node)."""
    folder = Path(folder)
    keystore, truststore = folder / 'wso2carbon.jks', folder / 'client-truststore.jks'
    if not keystore.exists():
        folder.mkdir(parents=True, exist_ok=True)
        made = write_keystore(keystore, PACK_PASSWORD, 'wso2carbon')
        trust(truststore, PACK_PASSWORD, [('wso2carbon', made['certificate_pem'])])
    return keystore, truststore


def node(root, product, name):
    """A product home with WSO2's configuration file and the pack's keystores."""
    home = Path(root) / name
    fixture, config = CONFIG[product]
    (home / config).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / fixture, home / config)
    (home / SECURITY).mkdir(parents=True, exist_ok=True)
    keystore, truststore = pack(Path(root) / 'pack')
    shutil.copyfile(keystore, home / SECURITY / 'wso2carbon.jks')
    shutil.copyfile(truststore, home / SECURITY / 'client-truststore.jks')
    return home


def read(path):
    path = Path(path)
    return path.read_bytes() if path.is_file() else None


def inspect(home, product, return_secrets=True, **options):
    """What product_info says of ``home`` (the same function its action plugin runs)."""
    return wso2_home.inspect(product, str(home), read, return_secrets=return_secrets, **options)


def apply_tables(info, tables):
    """Write ``tables`` ({table: settings}) into the node's config file with the toml_file task function."""
    path = Path(info['config_file'])
    outcome = toml_task.run(path.read_bytes(), params(toml_task, path=str(path), tables=tables), str(path))
    if outcome.data is not None:
        path.write_bytes(outcome.data)
    return outcome


# The product roles' inputs as keystore_flow gets them (the public role's variables without their prefix).
CLUSTER_PASSWORD = 'Cluster-Pass-2026'
FLOW_INPUTS = {'product': 'identity_server', 'home': '/opt/is/', 'keystore_password': CLUSTER_PASSWORD, 'version': '',
               'key_password': '', 'truststore_password': '', 'ca_certificates': [], 'keystore_alias': 'wso2is',
               'keystore_type': '', 'keystore_file_name': '', 'subject': '', 'subject_alt_names': [], 'key_type': 'rsa',
               'key_size': 2048, 'valid_days': 3650,
               'key_usage': ['digitalSignature', 'keyEncipherment', 'dataEncipherment'], 'migrate_to_pkcs12': False,
               'fresh_install': False, 'keystore_source_node': '', 'service_name': '', 'tenant_keystore_type': ''}
