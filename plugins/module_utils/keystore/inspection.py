# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keystore entries described as plain data, and findings an operator should act on."""

from __future__ import annotations

import datetime

from ansible_collections.carbon.keystores.plugins.module_utils.keystore.model import PRIVATE_KEY, SECRET_KEY, TRUSTED_CERTIFICATE
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates

WEAK_SIGNATURES = ('sha1', 'md5', 'md2')
# keystore_info's finding codes, a contract documented in the module, like product_info's.
FINDING_CODES = ('expired', 'expiring', 'weak_rsa_key', 'weak_signature', 'key_password_differs',
                 'no_data_encipherment', 'unparsed_certificate')


def describe_entry(entry, now=None):
    """Alias, kind and, for entries with a certificate, the leaf described plus its chain."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    data = {'alias': entry.alias, 'kind': entry.kind}
    if entry.kind == SECRET_KEY:
        data['algorithm'] = entry.algorithm
        return data
    if entry.kind == TRUSTED_CERTIFICATE:
        data.update(certificates.describe_trusted_certificate(entry.certificate, now))
        return data
    data.update(certificates.describe_certificate(entry.certificate, now))
    if entry.kind == PRIVATE_KEY:
        data['chain_length'] = len(entry.chain)
        data['chain'] = [certificates.describe_certificate(cert, now) for cert in entry.chain]
    return data


def describe_store(store, password, expiry_warning_days=30, now=None):
    """(entries, findings) for a whole keystore."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    entries = [describe_entry(entry, now) for entry in store]
    findings = []
    for entry, described in zip(store, entries):
        findings.extend(entry_findings(entry, described, password, expiry_warning_days))
    return entries, findings


def trusted_fingerprints(described):
    """The SHA-256 fingerprints of the trusted certificates of a store as product_info or keystore_info described it
    (status, entries); none for a store that was not read (missing, unreadable), which so lacks every certificate."""
    if not described or described.get('status') != 'ok':
        return set()
    return {entry.get('fingerprint_sha256') for entry in described.get('entries') or []
            if entry.get('kind') == TRUSTED_CERTIFICATE}


def _finding(alias, code, severity, message):
    return {'alias': alias, 'code': code, 'severity': severity, 'message': message}


def entry_findings(entry, described, password, expiry_warning_days=30):
    alias = entry.alias
    if entry.kind == SECRET_KEY:
        return []
    if described.get('unparsed'):
        return [_finding(alias, 'unparsed_certificate', 'warning',
                         'The certificate of %r cannot be parsed here (%s); it is kept as it is, and its expiry and '
                         'signature are not judged.' % (alias, described['unparsed']))]
    found = []
    is_key = entry.kind == PRIVATE_KEY
    if described['expired']:
        found.append(_finding(alias, 'expired', 'error' if is_key else 'warning',
                              'The certificate of %r expired on %s.' % (alias, described['not_after'])))
    elif expiry_warning_days is not None and described['days_left'] < expiry_warning_days:
        found.append(_finding(alias, 'expiring', 'warning', 'The certificate of %r expires on %s, in %d days.'
                              % (alias, described['not_after'], described['days_left'])))
    if described['key_type'] == 'rsa' and described['key_size'] and described['key_size'] < 2048:
        found.append(_finding(alias, 'weak_rsa_key', 'warning', 'The RSA key of %r has %d bits; use at least 2048.'
                              % (alias, described['key_size'])))
    signature = described['signature_algorithm'].lower()
    # A self-signed root's own signature is never checked by a TLS peer; every other one is.
    if (is_key or not described['self_signed']) and any(signature.startswith(weak) for weak in WEAK_SIGNATURES):
        found.append(_finding(alias, 'weak_signature', 'warning', 'The certificate of %r is signed with %s; re-issue it with SHA-256.'
                              % (alias, described['signature_algorithm'])))
    if is_key:
        if entry.pkcs8 is None or (entry.key_password is not None and entry.key_password != (password or '')):
            found.append(_finding(alias, 'key_password_differs', 'warning',
                                  'The key password of %r differs from the store password; WSO2 needs them equal for '
                                  'TLS keystores and for every API Manager keystore.' % alias))
        if described['key_usage'] and 'dataEncipherment' not in described['key_usage']:
            found.append(_finding(alias, 'no_data_encipherment', 'warning',
                                  'The certificate of %r lacks the Data Encipherment key usage that WSO2 needs on the '
                                  'primary keystore (the cipher tool fails with "Wrong key usage").' % alias))
    return found


def entry_line(described):
    """One line of a diff: alias, kind, subject, SHA-256, expiry. Never key material."""
    if described['kind'] == SECRET_KEY:
        return '%s: secret key' % described['alias']
    if described.get('unparsed'):
        return '%s: %s, not parsed, SHA-256 %s' % (
            described['alias'], described['kind'].replace('_', ' '), described['fingerprint_sha256'])
    return '%s: %s, subject "%s", SHA-256 %s, expires %s' % (
        described['alias'], described['kind'].replace('_', ' '), described['subject'],
        described['fingerprint_sha256'], described['not_after'])


def diff_text(store, now=None):
    if store is None:
        return ''
    return ''.join(entry_line(describe_entry(entry, now)) + '\n' for entry in store)
