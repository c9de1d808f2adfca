"""Where each Micro Integrator release opens its stores, and with which password and alias: WSO2's own rules, written
down from its files at each release tag (wso2/micro-integrator, in tests/fixtures/wso2 where they are data), apart
from the collection's code so that the integration tests judge the roles by them.

- The config tool's default.json fills in the keystore keys a deployment.toml leaves out; $ref{a.b} is another key's
  value (the fixtures config-tool/mi-<release>-default.json).
- conf/carbon.xml.j2 <KeyStore>/<TrustStore> <Location>: 1.2.0 puts ${carbon.home}/repository/resources/security/
  before {{keystore.primary.file_name}} and {{truststore.file_name}}; 4.x writes the name as it is, and the server
  opens new File(name) in the home its start script changes to (CoreServerInitializer, micro-integrator.sh).
- <InternalKeyStore>: 1.2.0 hard-codes the pack's wso2carbon.jks, JKS, password and alias wso2carbon; 4.x reads
  {{keystore.internal.*}}, which default.json refers to [keystore.primary].
- No release has a template that reads [keystore.tls]: the HTTPS listener takes $ref{keystore.primary.*}.
"""

from __future__ import annotations

import json
import re

import tomlkit

from helpers import FIXTURES

SECURITY = 'repository/resources/security/'
RELEASES = {
    '1.2.0': {'config': 'mi-1.2.deployment.toml', 'defaults': 'mi-1.2-default.json', 'prefix': SECURITY,
              'internal': {'file_name': SECURITY + 'wso2carbon.jks', 'type': 'JKS', 'password': 'wso2carbon',
                           'alias': 'wso2carbon', 'key_password': 'wso2carbon'}},
    '4.0.0': {'config': 'mi-4.0.deployment.toml', 'defaults': 'mi-4.0-default.json', 'prefix': ''},
    '4.3.0': {'config': 'mi-4.3.deployment.toml', 'defaults': 'mi-4.3-default.json', 'prefix': ''},
}
DEFAULTS_IN_HOME = 'repository/resources/conf/default.json'  # where each release's distribution puts it


def _in_file(data, dotted):
    """The value of a dotted key in the parsed deployment.toml (nested tables), None when it has none."""
    for part in dotted.split('.'):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def stores(home, release, secret=lambda alias: None):
    """{'primary', 'internal', 'truststore'}: {path, type, password, alias, key_password} as ``release`` opens them
    in ``home``; ``secret(alias)`` is what a $secret{alias} value decrypts to (the secure vault)."""
    rules = RELEASES[release]
    defaults = json.loads((FIXTURES / 'config-tool' / rules['defaults']).read_text())
    written = tomlkit.parse((home / 'conf' / 'deployment.toml').read_text()).unwrap()

    def setting(key):  # the file's value, else the config tool's default
        found = _in_file(written, key)
        return defaults.get(key) if found is None else found

    def value(key):
        found = setting(key)
        for _depth in range(10):
            match = re.fullmatch(r'\$ref\{([^}]+)\}', str(found)) if found is not None else None
            if not match:
                break
            found = setting(match.group(1))
        match = re.fullmatch(r'\$secret\{([^}]+)\}', str(found)) if found is not None else None
        return secret(match.group(1)) if match else found

    def store(table, fixed=None):
        settings = dict(fixed) if fixed else {key: value('%s.%s' % (table, key)) for key in (
            'file_name', 'type', 'password', 'alias', 'key_password')}
        name = settings['file_name'] if fixed else rules['prefix'] + settings['file_name']
        settings['path'] = home / name
        settings['type'] = settings.get('type') or 'JKS'
        return settings
    return {'primary': store('keystore.primary'), 'internal': store('keystore.internal', rules.get('internal')),
            'truststore': store('truststore')}
