# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A product home read as the product reads it: which config file, the keystore settings WSO2
would use per purpose, each keystore described, and findings against WSO2's rules."""

from __future__ import annotations

import datetime
import hashlib
import posixpath

from ansible_collections.carbon.keystores.plugins.module_utils.errors import CarbonKeystoresError, KeystoreError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import inspection
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import load_keystore
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.model import PRIVATE_KEY, TRUSTED_CERTIFICATE
from ansible_collections.carbon.keystores.plugins.module_utils.toml import edit as toml_edit
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products, purposes as registry, vault
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates, material

# product_info's own finding codes, a contract documented in the module (a minor release may add codes; none is
# renamed or removed before a major one). The keystore's own (keystore/inspection.py) are carried over per purpose.
FINDING_CODES = ('missing_file', 'cannot_open', 'type_mismatch', 'outside_security_folder', 'outside_home',
                 'pack_default_keystore', 'key_password_mismatch', 'alias_missing', 'tls_not_trusted',
                 'plaintext_password', 'secret_unresolved', 'password_unknown', 'served_certificate_differs',
                 'served_unreachable')
# The findings that mean the product would not start, or not serve its keys: a run whose writes leave one on a node
# fails that node (the flow's verify step). An expiry warning or a clear-text password does not.
BLOCKING_CODES = ('missing_file', 'cannot_open', 'alias_missing', 'key_password_mismatch', 'tls_not_trusted',
                  'outside_security_folder', 'outside_home', 'type_mismatch', 'secret_unresolved')


def blocking_findings(info):
    """The messages of the findings in ``info`` (product_info's result) that would keep the product from starting
    or from serving its keys: those of a BLOCKING_CODES code about a store the product reads or its configuration."""
    watched = set(registry.STORE_PURPOSES) | {'config'}
    return [found['message'] for found in info.get('findings') or []
            if found.get('purpose') in watched and found.get('code') in BLOCKING_CODES]


def _finding(purpose, code, severity, message, alias=None):
    found = {'purpose': purpose, 'code': code, 'severity': severity, 'message': message}
    if alias:
        found['alias'] = alias
    return found


def find_config(profile, home, read):
    """(path, bytes) of the first configuration file that exists."""
    tried = []
    for candidate in profile.config_candidates:
        path = '%s/%s' % (home.rstrip('/'), candidate)
        data = read(path)
        if data is not None:
            return path, data
        tried.append(path)
    raise KeystoreError('%s has no %s configuration file (looked for %s); is it the product home?'
                        % (home, profile.label, ' and '.join(tried)))


def configured_store_paths(profile, home, read):
    """The paths of the stores the configuration names (none when it cannot be read: inspect then says why), so that
    a caller reads them all in one go."""
    try:
        config_path, config_bytes = find_config(profile, home, read)
        data = toml_edit.parse(toml_edit.decode(config_bytes, config_path), config_path).unwrap()
    except CarbonKeystoresError:
        return []
    settings = products.effective_settings(profile, data)
    names = [settings.get(registry.get(purpose).setting('file_name')) for purpose in profile.purposes]
    return sorted({products.keystore_path(profile, home, name) for name in names
                   if isinstance(name, str) and name and not products.unknown_reason(name)})


def purpose_settings(profile, home, settings, file_keys, purpose):
    """The effective settings of one purpose, without any password value."""
    table = registry.get(purpose).table
    keys = registry.get(purpose).keys
    values = {key: settings.get('%s.%s' % (table, key)) for key in keys}
    described = {'table': table, 'configured_in_file': any(k.startswith(table + '.') for k in file_keys)}
    for key, value in values.items():
        if key in ('password', 'key_password'):
            reason = products.unknown_reason(value)
            described[key + '_state'] = ('unknown: %s' % reason if reason else
                                         'default' if value == products.DEFAULT_PASSWORD else 'set')
        else:
            described[key] = value
    for key in registry.get(purpose).optional_keys:
        if '%s.%s' % (table, key) in settings:
            described[key] = settings['%s.%s' % (table, key)]
    if values.get('file_name'):
        path = products.keystore_path(profile, home, values['file_name'])
        described['path'] = path
        security = '%s/%s/' % (home.rstrip('/'), profile.security_dir)
        described['inside_security_folder'] = path.startswith(security)
        described['inside_home'] = path.startswith(home.rstrip('/') + '/')
    return described, values


def inspect(product, home, read, version=None, expiry_warning_days=30, now=None, return_secrets=False,
            realpath=None, internal_keystore_password=None):
    """``read(path)`` returns a file's bytes or None; ``realpath(path)`` where the file really is
    (symbolic links resolved), None when unknown. Returns what product_info reports, as a dict.

    With ``return_secrets``, the result also holds each purpose's password and key_password
    (for a flow that must carry them over; register it with no_log). With ``internal_keystore_password``,
    ``$secret{alias}`` values are decrypted from the secure vault (the internal key), as the server does."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    home = posixpath.normpath(home)  # '/opt//wso2is/' as '/opt/wso2is': the stores' paths are compared with it
    profile = products.profile_for(product, version)
    config_path, config_bytes = find_config(profile, home, read)
    data = toml_edit.parse(toml_edit.decode(config_bytes, config_path), config_path).unwrap()
    if version is None:
        profile = products.profile_for_home(product, data, lambda folder, name: read(
            '%s/%s/%s' % (home, folder, name)) is not None, lambda relative: read('%s/%s' % (home, relative)))
    file_keys = products.file_settings(data)
    settings = products.effective_settings(profile, data)
    findings: list[dict] = []
    if internal_keystore_password is not None:
        settings = _from_secure_vault(profile, home, config_path, settings, file_keys, data, read,
                                      internal_keystore_password, findings)

    purposes, values_of = {}, {}
    for purpose in profile.purposes:
        purposes[purpose], values_of[purpose] = purpose_settings(profile, home, settings, file_keys, purpose)

    keystores, opened = {}, {}
    for purpose in profile.purposes:
        described, values = purposes[purpose], values_of[purpose]
        path = described.get('path')
        if not path:
            continue
        if realpath is not None:
            _resolve_links(described, realpath, home, profile.security_dir)
        findings.extend(_placement_findings(profile, purpose, described))
        if path not in keystores:
            keystores[path], opened[path] = _open(path, values, read, expiry_warning_days, now, purpose, findings)
        described['keystore_status'] = keystores[path]['status']
        if keystores[path]['status'] == 'unknown':
            findings.append(_finding(purpose, 'password_unknown', 'error', '%s %s cannot be opened: %s%s.' % (
                _label(purpose), path, keystores[path]['reason'],
                _unknown_advice(values.get('password'), internal_keystore_password))))
        store = opened[path]
        if purpose in registry.KEY_PAIR_PURPOSES:
            findings.extend(_keystore_purpose_findings(profile, purpose, described, values, store, keystores[path],
                                                       expiry_warning_days, now))
    findings.extend(_tls_trust_findings(profile, purposes, values_of, opened))
    findings.extend(_plaintext_findings(profile, file_keys, config_path))

    result = {'product': product, 'profile': profile.label, 'default_keystore_type': profile.default_store_type,
              'home': home, 'config_file': config_path, 'security_dir': profile.security_dir,
              'purposes': purposes, 'keystores': keystores, 'findings': findings,
              'config_tables': _config_tables(file_keys, return_secrets)}
    if profile.tls_connector:
        result['tls_connector'] = _tls_connector(profile, home, settings)
    if return_secrets:
        result['secrets'] = {purpose: {key: values[key] for key in ('password', 'key_password') if key in values}
                             for purpose, values in values_of.items()}
    return result


def _from_secure_vault(profile, home, config_path, settings, file_keys, data, read, password, findings):
    """``settings`` with each ``$secret{alias}`` value decrypted with the internal key, as the server decrypts
    it at start; a value that does not resolve stays as it is (unknown) and is named in a finding."""
    referring = {key: vault.referenced_alias(value) for key, value in settings.items() if vault.referenced_alias(value)}
    if not referring:
        return settings
    internal, values = purpose_settings(profile, home, settings, file_keys, 'internal')
    path = internal.get('path')
    key_password = values.get('key_password')
    if vault.referenced_alias(key_password) or not key_password:
        key_password = password  # the runtime opens the internal key with the password it is given
    # the password given, else the one [keystore.internal] names in clear (a run that stopped before the internal
    # keystore got the password the vault is read with)
    configured = values.get('password')
    tries = [(password, key_password)] + ([(configured, values.get('key_password') or configured)] if configured and
                                          not products.unknown_reason(configured) and configured != password else [])
    try:
        keystore = read(path) if path else None
        if keystore is None:
            raise KeystoreError('the internal keystore %s does not exist' % (path or '(no file_name)'))
        key = _internal_key(keystore, path, values.get('alias'), tries)
    except CarbonKeystoresError as exc:
        findings.append(_finding('internal', 'secret_unresolved', 'error', 'The $secret{} values of %s cannot be '
                                 'decrypted with the internal keystore and the password given: %s' % (
                                     config_path, str(exc).rstrip('.') + '.')))
        return settings
    transformation = vault.transformation_of(read(vault.properties_path(home, config_path)))
    # what the server decrypts: [secrets] as the config tool renders it, or the cipher-text.properties a product whose
    # config tool renders none (Enterprise Integrator 7) reads as it is
    source, secrets = '[secrets]', data.get(vault.SECRETS_TABLE)
    if not profile.renders_cipher_text:
        cipher_text_path = vault.cipher_text_path(home, config_path)
        cipher_text = read(cipher_text_path)
        source = cipher_text_path + ' (the config tool of %s renders none from [secrets])' % profile.label
        secrets = vault.parse_properties(cipher_text.decode('utf-8', 'replace')) if cipher_text is not None else {}
    resolved = dict(settings)
    reported = set()
    # the keys the file writes first: a key that only follows one by $ref{} is not reported a second time
    for name, alias in sorted(referring.items(), key=lambda item: (item[0] not in file_keys, item[0])):
        plain = vault.resolve(settings[name], secrets, key, transformation)
        if plain is None and alias not in reported:
            reported.add(alias)
            findings.append(_finding(_purpose_of(name), 'secret_unresolved', 'error', '%s = $secret{%s} in %s: '
                                     '%s %s with the internal key %r.' % (
                                         name, alias, config_path, source, 'has no such alias' if alias not in (
                                             secrets or {}) else 'holds a value that does not decrypt', key.alias),
                                     alias=alias))
        elif plain is not None:
            resolved[name] = plain
    return resolved


def _label(purpose):
    return registry.store_label(purpose)


def _internal_key(keystore, path, alias, tries):
    """The internal key opened with the first of ``tries`` ([(store password, key password)]) that opens it; the
    last one's error when none does."""
    for attempt, (store_password, entry_password) in enumerate(tries):
        try:
            return vault.InternalKey(keystore, path, alias, store_password, entry_password)
        except KeystoreError:
            if attempt == len(tries) - 1:
                raise
    raise KeystoreError('no password to open the internal keystore %s with' % path)


def _unknown_advice(password, internal_keystore_password):
    """What lets a password that cannot be read back be read: the secure vault's key for a $secret{}."""
    if vault.referenced_alias(password):
        if internal_keystore_password is None:
            return ' (give the internal keystore\'s password to read the secure vault)'
        return ' (the secure vault does not resolve it)'
    return ' (only the product\'s own process can resolve it)'


def _purpose_of(setting):
    purpose = registry.of_setting(setting)
    return purpose.name if purpose else 'config'


def _plaintext_findings(profile, file_keys, config_path):
    """A store password the configuration file writes in clear text (not a $secret{} reference)."""
    found = []
    for purpose in registry.STORE_PURPOSES:
        if purpose not in profile.purposes or profile.hard_codes(purpose):
            continue  # a table the product never reads (Micro Integrator's [keystore.tls]) exposes nothing
        table = registry.get(purpose).table
        clear = [key for key in ('password', 'key_password')
                 if isinstance(file_keys.get('%s.%s' % (table, key)), str) and file_keys['%s.%s' % (table, key)]
                 and not products.unknown_reason(file_keys['%s.%s' % (table, key)])
                 and '$ref{' not in file_keys['%s.%s' % (table, key)]]
        if clear:
            found.append(_finding(purpose, 'plaintext_password', 'warning', '%s of [%s] %s written in clear text in '
                                  '%s; put %s into the secure vault and refer to %s as $secret{alias} (module '
                                  'carbon.keystores.secure_vault, or the roles\' encrypt_passwords).' % (
                                      ' and '.join(clear), table, 'are' if len(clear) > 1 else 'is', config_path,
                                      'them' if len(clear) > 1 else 'it', 'them' if len(clear) > 1 else 'it')))
    return found


def _config_tables(file_keys, return_secrets):
    """The keystore tables as the file writes them (no product defaults): {table: {key: value}};
    secret values masked unless ``return_secrets``."""
    tables = {}
    for table in registry.TABLES.values():
        prefix = table + '.'
        found = {key[len(prefix):]: value for key, value in file_keys.items() if key.startswith(prefix)}
        if found:
            tables[table] = {key: value if return_secrets or not toml_edit.is_secret_key(key) else '********'
                             for key, value in found.items()}
    return tables


def _open(path, values, read, expiry_warning_days, now, purpose, findings):
    """(description, Keystore or None) of the keystore at ``path``."""
    data = read(path)
    if data is None:
        findings.append(_finding(purpose, 'missing_file', 'error', 'The %s keystore %s does not exist.' % (purpose, path)))
        return {'status': 'missing'}, None
    reason = products.unknown_reason(values.get('password'))
    if reason:
        return {'status': 'unknown', 'reason': 'the password cannot be read back: %s' % reason}, None
    key_passwords = [values['key_password']] if values.get('key_password') and not products.unknown_reason(
        values.get('key_password')) else []
    try:
        store = load_keystore(data, values.get('password') or '', path, key_passwords=key_passwords)
    except KeystoreError as exc:
        findings.append(_finding(purpose, 'cannot_open', 'error', str(exc)))
        return {'status': 'error', 'error': str(exc)}, None
    entries, store_findings = inspection.describe_store(store, values.get('password'), expiry_warning_days, now)
    configured_type = str(values.get('type') or '').lower()
    description = {'status': 'ok', 'type': store.store_type, 'entries': entries, 'findings': store_findings,
                   'sha256': hashlib.sha256(data).hexdigest()}
    if configured_type and configured_type != store.store_type:
        findings.append(_finding(purpose, 'type_mismatch', 'error', 'The config says %s is %s, but it is a %s keystore.'
                                 % (path, values.get('type'), store.store_type.upper())))
    return description, store


def _resolve_links(described, realpath, home, security_dir):
    """A keystore reached through a symbolic link is where the link points: judge that place
    (against the real places of the home and its security folder, which may be links themselves)."""
    real = realpath(described['path'])
    real_home = realpath(home) or home
    real_security = realpath('%s/%s' % (home.rstrip('/'), security_dir)) or ''
    if not real or real == described['path'] or not real_security:
        return
    if real.startswith(real_security.rstrip('/') + '/'):
        return
    described['realpath'] = real
    described['inside_security_folder'] = False
    described['inside_home'] = described['inside_home'] and real.startswith(real_home.rstrip('/') + '/')


def _placement_findings(profile, purpose, described):
    if not registry.get(purpose).has_file:
        return []
    if described.get('realpath') and not described['inside_security_folder']:
        where = 'outside_home' if profile.keystore_anywhere_in_home else 'outside_security_folder'
        if where == 'outside_security_folder' or not described['inside_home']:
            return [_finding(purpose, where, 'error', 'The %s store %s is a symbolic link to %s, outside %s; the '
                             'collection neither reads nor writes keystores through such a link.' % (
                                 purpose, described['path'], described['realpath'],
                                 'the product home' if where == 'outside_home' else profile.security_dir))]
    if profile.keystore_anywhere_in_home:
        if not described['inside_home']:
            return [_finding(purpose, 'outside_home', 'error', 'The %s store %s is outside the product home; %s reads '
                             'keystores from inside it.' % (purpose, described['path'], profile.label))]
        return []
    if not described['inside_security_folder']:
        return [_finding(purpose, 'outside_security_folder', 'error', 'The %s store %s is outside %s; WSO2 requires '
                         'every keystore there.' % (purpose, described['path'], profile.security_dir))]
    return []


def _keystore_purpose_findings(profile, purpose, described, values, store, keystore, expiry_warning_days, now):
    found = []
    password, key_password = values.get('password'), values.get('key_password')
    if password == products.DEFAULT_PASSWORD:
        advice = ('keep its key (data is encrypted with it) but give the keystore a password of your own'
                  if purpose == 'internal' else 'replace it with a keystore of your own')
        pinned = profile.fixed.get(registry.get(purpose).setting('password'))
        if pinned is not None and '$ref{' not in str(pinned):
            advice = '%s hard-codes it (its carbon.xml), so only a later release can change it' % profile.label
        found.append(_finding(purpose, 'pack_default_keystore', 'warning', 'The %s keystore still uses the pack\'s '
                              'documented default password; %s.' % (purpose, advice)))
    if purpose in profile.key_password_equal and password is not None and key_password is not None and \
            not products.unknown_reason(password) and not products.unknown_reason(key_password) and \
            password != key_password:
        found.append(_finding(purpose, 'key_password_mismatch', 'error', 'key_password of [%s] differs from its password; '
                              '%s needs them equal.' % (described['table'], profile.label)))
    if store is None:
        return found
    alias = str(values.get('alias') or '').lower()
    entry = store.get(alias)
    if entry is None or entry.kind != PRIVATE_KEY:
        found.append(_finding(purpose, 'alias_missing', 'error', 'The %s keystore %s has no private key entry %r.'
                              % (purpose, described['path'], alias), alias))
        return found
    described['fingerprint_sha256'] = certificates.fingerprint(entry.certificate)
    described['chain_fingerprints_sha256'] = [certificates.fingerprint(der) for der in entry.chain]
    described['public_key_sha256'] = material.public_key_sha256(certificates.load_certificate_der(entry.certificate))
    described['certificate_pem'] = certificates.certificate_pem(entry.certificate)
    leaf = inspection.describe_entry(entry, now)
    described['subject'] = leaf['subject']
    described['not_after'] = leaf['not_after']
    described['days_left'] = leaf['days_left']
    for item in keystore['findings']:
        if item['alias'] != alias:
            continue
        if item['code'] == 'no_data_encipherment' and not registry.get(purpose).encrypts_data:
            continue
        found.append(_finding(purpose, item['code'], item['severity'], item['message'], alias))
    return found


def _tls_trust_findings(profile, purposes, values_of, opened):
    tls = profile.server_purpose if profile.server_purpose in purposes else None
    if tls is None or 'truststore' not in purposes:
        return []
    fingerprint = purposes[tls].get('fingerprint_sha256')
    truststore = opened.get(purposes['truststore'].get('path'))
    if not fingerprint or truststore is None:
        return []
    trusted = {certificates.fingerprint(e.certificate) for e in truststore if e.kind == TRUSTED_CERTIFICATE}
    if fingerprint in trusted:
        return []
    return [_finding(tls, 'tls_not_trusted', 'warning', 'The TLS certificate (SHA-256 %s) is not in the truststore %s; '
                     'nodes and clients that use this truststore will not trust this server.'
                     % (fingerprint, purposes['truststore'].get('path')))]


def judge_served(result, profile, served_der, error, address):
    """What the node serves at ``address`` (host:port) against the certificate its configuration names for TLS: adds
    ``served`` to product_info's ``result`` and, where they differ or nothing answered, a finding. A node not restarted
    after its keystore changed, or a keystore copied by hand, serves another certificate than its files say."""
    tls = profile.server_purpose
    configured = (result.get('purposes') or {}).get(tls, {}).get('fingerprint_sha256')
    served = {'address': address, 'configured_fingerprint_sha256': configured}
    if served_der is None:
        served.update(status='unreachable', error=error)
        result['findings'].append(_finding(tls, 'served_unreachable', 'warning',
                                           'Nothing served TLS at %s: %s.' % (address, error)))
    else:
        fingerprint = certificates.fingerprint(served_der)
        served.update(status='ok', fingerprint_sha256=fingerprint, matches=fingerprint == configured,
                      subject=certificates.describe_trusted_certificate(served_der)['subject'])
        if fingerprint != configured:
            result['findings'].append(_finding(
                tls, 'served_certificate_differs', 'error',
                'The server at %s serves the certificate SHA-256 %s, not the one its configuration names (%s): restart '
                'the node after a keystore change, or find who replaced the keystore.'
                % (address, fingerprint, configured or 'none that could be read')))
    result['served'] = served
    return result


def _tls_connector(profile, home, settings):
    connector: dict[str, str | None] = {}
    for key in profile.tls_connector:
        value = settings.get(key)
        short = key.split('.')[-1]
        if 'Password' in short:
            reason = products.unknown_reason(value)
            connector[short + '_state'] = 'unknown: %s' % reason if reason else (
                'default' if value == products.DEFAULT_PASSWORD else 'set')
        else:
            connector[short] = str(value).replace('${carbon.home}', home) if value is not None else None
    return connector
