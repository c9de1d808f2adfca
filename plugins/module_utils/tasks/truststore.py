# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the ``truststore`` module does to a keystore's trusted-certificate entries, as a
pure function: current bytes, the certificates asked for, parameters in; new bytes,
result and diff out. A whole bundle is one read and one write."""

from __future__ import annotations

import datetime
import re

from ansible_collections.carbon.keystores.plugins.module_utils.errors import RequestError, WrongPasswordError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import inspection
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import (
    dump_keystore, load_keystore, type_for_new_file,
)
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.model import (
    TRUSTED_CERTIFICATE, Keystore, TrustedCertificateEntry, normalize_alias,
)
from ansible_collections.carbon.keystores.plugins.module_utils.outcome import Outcome
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates

ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    type=dict(type='str', choices=['jks', 'pkcs12']),
    password=dict(type='str', required=True, no_log=True),
    old_password=dict(type='str', no_log=True),
    certificates=dict(type='list', elements='raw', default=[]),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    exclusive=dict(type='bool', default=False),
    aliases=dict(type='list', elements='str', default=[]),
    fingerprints=dict(type='list', elements='str', default=[]),
    remote_src=dict(type='bool', default=False),
    pkcs12_encryption=dict(type='str', choices=['modern', 'legacy']),
    backup=dict(type='bool', default=False),
    read_from=dict(type='dict', no_log=True),
    in_memory=dict(type='bool', default=False),
    content=dict(type='str', no_log=True),
)
SPEC_RULES = dict(
    mutually_exclusive=[['exclusive', 'aliases'], ['exclusive', 'fingerprints']],
)


class Requested:
    """One certificate asked for: DER, the alias given for it (or None) and where it came from."""

    def __init__(self, der, alias, source):
        self.der = der
        self.alias = normalize_alias(alias) if alias else None
        self.source = source
        self.fingerprint = certificates.fingerprint(der)
        self.cert = certificates.load_certificate_der(der)


def certificate_items(raw_items):
    """The ``certificates`` option as [(alias or None, path or inline PEM, label for messages)].

    Each item is a path or inline PEM, or a dict with ``certificate`` and optional ``alias``."""
    items = []
    for index, item in enumerate(raw_items or [], 1):
        alias = None
        if isinstance(item, dict):
            unknown = set(item) - {'alias', 'certificate'}
            if unknown or 'certificate' not in item:
                raise RequestError('certificates item %d must be a path, inline PEM, or a dict with certificate and '
                                   'optional alias (found keys: %s).' % (index, ', '.join(sorted(item))))
            alias, item = item.get('alias'), item['certificate']
        if not isinstance(item, str) or not item.strip():
            raise RequestError('certificates item %d is empty or not text.' % index)
        label = 'inline PEM (certificates item %d)' % index if '-----BEGIN' in item else item
        items.append((alias, item, label))
    return items


def requested_certificates(items):
    """``items``: [(alias or None, PEM text, source label)] -> [Requested], duplicates dropped."""
    seen: dict[str, Requested] = {}
    for alias, text, source in items:
        ders = certificates.load_pem_certificates(text, source)
        if alias and len(ders) > 1:
            raise RequestError('%s holds %d certificates but one alias (%s) was given for it; give one alias per '
                               'certificate or leave alias out to derive aliases from the subjects.' % (source, len(ders), alias))
        for der in ders:
            wanted = Requested(der, alias, source)
            seen.setdefault(wanted.fingerprint, wanted)
    return list(seen.values())


def derive_alias(cert):
    """Lower-case alias from the subject's CN (else O or OU): safe characters only."""
    oids = certificates.NameOID
    for oid in (oids.COMMON_NAME, oids.ORGANIZATION_NAME, oids.ORGANIZATIONAL_UNIT_NAME):
        for attribute in cert.subject.get_attributes_for_oid(oid):
            value = re.sub(r'[^a-z0-9._-]+', '-', str(attribute.value).lower()).strip('-.')
            if value:
                return value[:64]
    return 'cert-' + certificates.fingerprint(cert).replace(':', '')[:12].lower()


def _unique_alias(store, base):
    alias, number = base, 2
    while store.get(alias) is not None:
        alias = '%s-%d' % (base, number)
        number += 1
    return alias


def _summary(alias, requested_or_der, now):
    der = requested_or_der.der if isinstance(requested_or_der, Requested) else requested_or_der
    described = certificates.describe_trusted_certificate(der, now)
    return {'alias': alias, 'subject': described['subject'], 'fingerprint_sha256': described['fingerprint_sha256'],
            'not_after': described['not_after']}


def run(data, params, requested, name, now=None):
    """Apply the ``truststore`` parameters to the keystore in ``data`` (None: no file yet)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    store, reprotected = None, False
    if data is not None:
        try:
            store = load_keystore(data, params['password'], name, params.get('type'))
        except WrongPasswordError:
            if not params.get('old_password'):
                raise
            store = load_keystore(data, params['old_password'], name, params.get('type'))
            reprotected = True
    before = inspection.diff_text(store, now)
    changes, added, present, replaced, removed, warnings = [], [], [], [], [], []
    if reprotected:
        changes.append('changed the store password (every entry kept)')
    state = params.get('state') or 'present'

    if state == 'present':
        if store is None:
            store = Keystore(type_for_new_file(name, params.get('type')))
            changes.append('created %s truststore' % store.store_type.upper())
        by_fingerprint = {certificates.fingerprint(e.certificate): e.alias for e in store if e.kind == TRUSTED_CERTIFICATE}
        for wanted in requested:
            if certificates.not_after(wanted.cert) <= now:
                warnings.append('%s: the certificate "%s" (%s) expired on %s; it is trusted as asked, but TLS peers '
                                'presenting chains to it will be refused.' % (
                                    name, certificates.format_name(wanted.cert.subject), wanted.source,
                                    certificates.iso8601(certificates.not_after(wanted.cert))))
            holder = wanted.alias and store.get(wanted.alias)
            if holder is not None and holder.kind != TRUSTED_CERTIFICATE:
                raise RequestError('%s: alias %r is a %s entry; a truststore import never touches key entries. Choose '
                                   'another alias.' % (name, wanted.alias, holder.kind.replace('_', ' ')))
            if wanted.fingerprint in by_fingerprint:
                present.append(_summary(by_fingerprint[wanted.fingerprint], wanted, now))
                continue
            if holder is not None:
                # An explicit alias names the certificate that belongs there now (WSO2's rule 6).
                replaced.append(dict(_summary(wanted.alias, wanted, now),
                                     previous_fingerprint_sha256=certificates.fingerprint(holder.certificate)))
                by_fingerprint.pop(certificates.fingerprint(holder.certificate), None)
                store.put(TrustedCertificateEntry(wanted.alias, wanted.der))
                changes.append('replaced the certificate under alias %r' % wanted.alias)
            else:
                alias = wanted.alias or _unique_alias(store, derive_alias(wanted.cert))
                store.put(TrustedCertificateEntry(alias, wanted.der))
                added.append(_summary(alias, wanted, now))
            by_fingerprint[wanted.fingerprint] = wanted.alias or alias
        if added:
            changes.append('added %d trusted certificate%s' % (len(added), '' if len(added) == 1 else 's'))
        if params.get('exclusive'):
            keep = {wanted.fingerprint for wanted in requested}
            for entry in list(store):
                if entry.kind == TRUSTED_CERTIFICATE and certificates.fingerprint(entry.certificate) not in keep:
                    removed.append(_summary(entry.alias, entry.certificate, now))
                    store.remove(entry.alias)
    elif store is not None:
        doomed_fingerprints = {wanted.fingerprint for wanted in requested}
        doomed_fingerprints.update(_normalize_fingerprint(value) for value in params.get('fingerprints') or [])
        doomed_aliases = {normalize_alias(alias) for alias in params.get('aliases') or []}
        for alias in doomed_aliases:
            entry = store.get(alias)
            if entry is not None and entry.kind != TRUSTED_CERTIFICATE:
                raise RequestError('%s: alias %r is a %s entry; the truststore module only removes trusted certificates '
                                   '(use carbon.keystores.keystore with state=absent for key entries).'
                                   % (name, alias, entry.kind.replace('_', ' ')))
        for entry in list(store):
            if entry.kind != TRUSTED_CERTIFICATE:
                continue
            if entry.alias in doomed_aliases or certificates.fingerprint(entry.certificate) in doomed_fingerprints:
                removed.append(_summary(entry.alias, entry.certificate, now))
                store.remove(entry.alias)
    if removed:
        changes.append('removed %d trusted certificate%s' % (len(removed), '' if len(removed) == 1 else 's'))

    wanted_encryption = params.get('pkcs12_encryption')
    if store is not None and store.store_type == 'pkcs12' and wanted_encryption and \
            store.pkcs12_encryption != wanted_encryption:
        changes.append('protected the PKCS12 file with %s encryption' % wanted_encryption)
        store.pkcs12_encryption = wanted_encryption

    changed = bool(changes)
    result = {
        'path': name, 'type': store.store_type if store is not None else params.get('type'), 'changes': changes,
        'added': added, 'already_present': present, 'replaced': replaced, 'removed': removed,
        'trusted_count': sum(1 for e in store if e.kind == TRUSTED_CERTIFICATE) if store is not None else 0,
    }
    new_data = dump_keystore(store, params['password']) if changed else None
    diff = {'before': before, 'after': inspection.diff_text(store, now),
            'before_header': '%s (entries)' % name, 'after_header': '%s (entries)' % name}
    return Outcome(changed, new_data, result, diff, warnings)


def _normalize_fingerprint(value):
    digits = re.sub(r'[^0-9A-Fa-f]', '', str(value)).upper()
    if len(digits) != 64:
        raise RequestError('fingerprint %r is not a SHA-256 fingerprint (64 hexadecimal digits).' % value)
    return ':'.join(digits[i:i + 2] for i in range(0, 64, 2))


def missing_from(truststore, requested):
    """The requested certificates whose SHA-256 is not among the entries of ``truststore`` (a product_info
    keystore description): what this task would import. A truststore that was not read (missing,
    unreadable) lacks everything."""
    present = inspection.trusted_fingerprints(truststore)
    return [wanted for wanted in requested if wanted.fingerprint not in present]
