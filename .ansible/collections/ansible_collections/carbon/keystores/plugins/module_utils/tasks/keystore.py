# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the ``keystore`` module does to one private-key entry, as a pure function:
current file bytes and parameters in, new bytes (or none), result and diff out."""

from __future__ import annotations

import datetime
import hashlib

from ansible_collections.carbon.keystores.plugins.module_utils.errors import RequestError, WrongPasswordError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import inspection
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import (
    dump_keystore, load_keystore, open_private_key, type_for_new_file,
)
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.model import (
    PKCS12, PRIVATE_KEY, Keystore, PrivateKeyEntry, normalize_alias,
)
from ansible_collections.carbon.keystores.plugins.module_utils.outcome import Outcome
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates, material

ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    type=dict(type='str', choices=['jks', 'pkcs12']),
    password=dict(type='str', required=True, no_log=True),
    key_password=dict(type='str', no_log=True),
    old_password=dict(type='str', no_log=True),
    old_key_password=dict(type='str', no_log=True),
    alias=dict(type='str', required=True),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    subject=dict(type='raw'),
    subject_alt_names=dict(type='list', elements='str'),
    key_type=dict(type='str', choices=['rsa', 'ec']),
    key_size=dict(type='int', choices=[2048, 3072, 4096, 256, 384]),
    valid_days=dict(type='int', default=3650),
    key_usage=dict(type='list', elements='str', choices=list(certificates.KEY_USAGE_NAMES)),
    extended_key_usage=dict(type='list', elements='str', choices=list(certificates.EXTENDED_KEY_USAGE_NAMES)),
    regenerate=dict(type='str', default='fail', choices=['never', 'fail', 'when_different', 'always']),
    renew_before_days=dict(type='int'),
    private_key=dict(type='str', no_log=True),
    private_key_passphrase=dict(type='str', no_log=True),
    certificate=dict(type='str'),
    chain=dict(type='list', elements='str'),
    remote_src=dict(type='bool', default=False),
    pkcs12_encryption=dict(type='str', choices=['modern', 'legacy']),
    backup=dict(type='bool', default=False),
    csr_path=dict(type='path'),
    csr_dest=dict(type='str', default='host', choices=['host', 'controller']),
    ca_reply=dict(type='str'),
    chain_truststore=dict(type='path'),
    chain_truststore_password=dict(type='str', no_log=True),
    read_from=dict(type='dict', no_log=True),
    in_memory=dict(type='bool', default=False),
    content=dict(type='str', no_log=True),
)
SPEC_RULES = dict(
    required_together=[['private_key', 'certificate']],
    mutually_exclusive=[['private_key', 'subject_alt_names'], ['private_key', 'key_type'],
                        ['private_key', 'key_size'], ['private_key', 'renew_before_days'],
                        ['private_key', 'ca_reply']],
    required_by={'chain_truststore': 'chain_truststore_password', 'chain_truststore_password': 'chain_truststore'},
)

DEFAULT_KEY_SIZE = {'rsa': 2048, 'ec': 256}


def open_store(data, params, name):
    """(store or None, loaded_with_old_password)."""
    if data is None:
        return None, False
    key_passwords = [p for p in (params.get('key_password'), params.get('old_key_password'),
                                 params.get('old_password')) if p]
    try:
        return load_keystore(data, params['password'], name, params.get('type'), key_passwords), False
    except WrongPasswordError:
        if not params.get('old_password'):
            raise
    store = load_keystore(data, params['old_password'], name, params.get('type'), key_passwords)
    return store, True


def _order_chain(leaf_der, others):
    """Leaf first, then each certificate that issued the one before; certificates that do not link are kept
    at the end."""
    candidates = [certificates.load_certificate_der(der) for der in others]
    chain, _missing = certificates.complete_chain(certificates.load_certificate_der(leaf_der), candidates)
    return [certificates.certificate_der(cert) for cert in chain + [c for c in candidates if c not in chain]]


def _requested_material(params, name):
    """(private key, chain DER) to import, or (None, None) when a key is to be generated."""
    if not params.get('private_key'):
        if params.get('certificate') or (params.get('chain') and not params.get('ca_reply')):
            raise RequestError('%s: certificate and chain need private_key as well (the key they belong to).' % name)
        return None, None
    key = certificates.load_pem_private_key(params['private_key'], params.get('private_key_passphrase'),
                                            'private_key for %s' % name)
    if not params.get('certificate'):
        raise RequestError('%s: private_key needs certificate (its public certificate in PEM) as well.' % name)
    leaf_and_more = certificates.load_pem_certificates(params['certificate'], 'certificate for %s' % name)
    extra = []
    for item in params.get('chain') or []:
        extra.extend(certificates.load_pem_certificates(item, 'chain for %s' % name))
    leaf = leaf_and_more[0]
    leaf_cert = certificates.load_certificate_der(leaf)
    if certificates.public_key_der(leaf_cert) != certificates.public_key_der(key):
        raise RequestError('%s: the certificate (subject "%s") does not match private_key; give the certificate issued for this key.'
                           % (name, certificates.format_name(leaf_cert.subject)))
    return key, _order_chain(leaf, leaf_and_more[1:] + extra)


def _differences(entry, params, key):
    """What about an existing generated entry differs from the request (only options given)."""
    cert = certificates.load_certificate_der(entry.certificate)
    found = []
    if params.get('subject'):
        wanted = certificates.parse_subject(params['subject'])
        if wanted != cert.subject:
            found.append('subject is "%s", requested "%s"' % (certificates.format_name(cert.subject),
                                                              certificates.format_name(wanted)))
    have_type, have_size = certificates.key_type_and_size(key)
    if params.get('key_type') and params['key_type'] != have_type:
        found.append('key type is %s, requested %s' % (have_type, params['key_type']))
    if params.get('key_size') and params['key_size'] != have_size:
        found.append('key size is %s, requested %s' % (have_size, params['key_size']))
    if params.get('subject_alt_names') is not None:
        wanted = sorted(certificates.format_general_name(n)
                        for n in certificates.parse_subject_alt_names(params['subject_alt_names']))
        have = sorted(certificates.subject_alt_names(cert))
        if wanted != have:
            found.append('subject alternative names are [%s], requested [%s]' % (', '.join(have), ', '.join(wanted)))
    for option, label, current in (('key_usage', 'key usage', certificates.key_usage_names(cert)),
                                   ('extended_key_usage', 'extended key usage',
                                    certificates.extended_key_usage_names(cert))):
        wanted = params.get(option)
        if wanted is not None and sorted(wanted) != sorted(current):
            found.append('%s is [%s], requested [%s]' % (label, ', '.join(current), ', '.join(wanted)))
    return found


def _self_signed(key, params, template=None, now=None):
    """A self-signed certificate DER. What the request leaves out comes from ``template``
    (the certificate being renewed or replaced), else from WSO2-friendly defaults."""
    if params.get('subject'):
        subject = certificates.parse_subject(params['subject'])
    elif template is not None:
        subject = template.subject
    else:
        raise RequestError('subject is required to generate a key, for example "CN=is.example.org, OU=IAM, O=Example, L=Colombo, ST=Western, C=LK".')
    sans = params.get('subject_alt_names')
    if sans is None and template is not None:
        sans = certificates.subject_alt_names(template)
    key_usage = params.get('key_usage')
    if key_usage is None:
        key_usage = certificates.key_usage_names(template) if template is not None else certificates.DEFAULT_KEY_USAGE
    eku = params.get('extended_key_usage')
    if eku is None:
        eku = certificates.extended_key_usage_names(template) if template is not None else certificates.DEFAULT_EXTENDED_KEY_USAGE
    cert = certificates.build_self_signed(
        key, subject, certificates.parse_subject_alt_names(sans),
        valid_days=params.get('valid_days') or 3650, key_usage=key_usage, extended_key_usage=eku, now=now)
    return certificates.certificate_der(cert)


def _new_key(params):
    key_type = params.get('key_type') or 'rsa'
    return certificates.generate_private_key(key_type, params.get('key_size') or DEFAULT_KEY_SIZE[key_type])


def run(data, params, name, now=None):
    """Apply the ``keystore`` module's parameters to the keystore held in ``data`` (None: no file)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    alias = normalize_alias(params['alias'])
    password = params['password']
    key_password = params.get('key_password') or password
    store, old_password_used = open_store(data, params, name)
    store_type = store.store_type if store is not None else type_for_new_file(name, params.get('type'))
    if store_type == PKCS12 and key_password != password:
        raise RequestError('%s: a PKCS12 keystore protects its keys with the store password; set key_password equal to '
                           'password (WSO2 needs them equal anyway).' % name)
    before = inspection.diff_text(store, now)
    changes: list[str] = []
    warnings: list[str] = []
    if old_password_used:
        changes.append('changed the store password')

    existing = store.get(alias) if store is not None else None
    if existing is not None and existing.kind != PRIVATE_KEY:
        raise RequestError('%s: alias %r is a %s entry, not a private key; choose another alias or remove that entry first.'
                           % (name, alias, existing.kind.replace('_', ' ')))

    if params['state'] == 'absent':
        if existing is not None:
            store.remove(alias)
            changes.append('removed private key entry %r' % alias)
    else:
        if store is None:
            store = Keystore(store_type)
            changes.append('created %s keystore' % store_type.upper())
        _ensure_present(store, existing, alias, params, key_password, name, now, changes, warnings)
        if params.get('ca_reply'):
            _import_ca_reply(store, store.get(alias), params, name, changes)
        if old_password_used and store_type == PKCS12:
            for entry in store:
                if entry.kind == PRIVATE_KEY and entry.pkcs8 is None:
                    raise RequestError('%s: cannot change the store password: the key of entry %r does not open with the old '
                                       'password, so it could not be re-protected.' % (name, entry.alias))
                if entry.kind == PRIVATE_KEY:
                    entry.key_password = password
        wanted_encryption = params.get('pkcs12_encryption')
        if store_type == PKCS12 and wanted_encryption and store.pkcs12_encryption != wanted_encryption:
            changes.append('protected the PKCS12 file with %s encryption (was %s)'
                           % (wanted_encryption, store.pkcs12_encryption or 'other'))
            store.pkcs12_encryption = wanted_encryption

    new_data = dump_keystore(store, password) if changes and store is not None else None
    entry = store.get(alias) if store is not None else None
    result = {'alias': alias, 'type': store_type, 'changes': changes, 'path': name}
    files = []
    if entry is not None:
        described = inspection.describe_entry(entry, now)
        for key in ('subject', 'issuer', 'serial', 'not_before', 'not_after', 'fingerprint_sha256',
                    'key_type', 'key_size', 'subject_alt_names', 'chain_length'):
            result[key] = described.get(key)
        result['certificate_pem'] = certificates.certificate_pem(entry.certificate)
        result['chain_fingerprints_sha256'] = [certificates.fingerprint(der) for der in entry.chain]
        result['public_key_sha256'] = material.public_key_sha256(certificates.load_certificate_der(entry.certificate))
        if params.get('csr_path'):
            csr = _csr_for(entry, params, name)
            result['csr'] = csr.decode('ascii')
            if not certificates.same_csr(params.get('csr_existing'), csr):
                location = params.get('csr_dest') or 'host'
                # a compare-and-swap against the read of csr_existing, like the keystore itself
                existing = params.get('csr_existing')
                files.append({'path': params['csr_path'], 'data': csr, 'mode': '0644', 'location': location,
                              'expected_sha256': hashlib.sha256(existing).hexdigest() if existing is not None else 'absent'})
                changes.append('wrote a certificate signing request for %r to %s (%s)'
                               % (alias, params['csr_path'], location))
    elif params.get('csr_path'):
        raise RequestError('%s: there is no entry %r to write a certificate signing request for.' % (name, alias))
    diff = {'before': before, 'after': inspection.diff_text(store, now),
            'before_header': '%s (entries)' % name, 'after_header': '%s (entries)' % name}
    return Outcome(bool(changes), new_data, result, diff, warnings, files)


def _csr_for(entry, params, name):
    """A CSR for the entry's key: subject and extensions from the request, else from its certificate."""
    open_private_key(entry, params.get('key_password') or params['password'], name)
    key = certificates.load_pkcs8(entry.pkcs8)
    current = certificates.load_certificate_der(entry.certificate)
    subject = certificates.parse_subject(params['subject']) if params.get('subject') else current.subject
    sans = params.get('subject_alt_names')
    sans = certificates.subject_alt_names(current) if sans is None else sans
    key_usage = params.get('key_usage')
    key_usage = certificates.key_usage_names(current) if key_usage is None else key_usage
    eku = params.get('extended_key_usage')
    eku = certificates.extended_key_usage_names(current) if eku is None else eku
    return certificates.build_csr(key, subject, certificates.parse_subject_alt_names(sans), key_usage, eku)


def _import_ca_reply(store, entry, params, name, changes):
    """Replace the entry's chain with the CA's reply, leaf to root; the key stays."""
    alias = entry.alias
    reply = [certificates.load_certificate_der(der)
             for der in certificates.load_pem_certificates(params['ca_reply'], 'ca_reply for %s' % name)]
    key_der = certificates.public_key_der(certificates.load_pkcs8(entry.pkcs8))
    leaf = next((cert for cert in reply if certificates.public_key_der(cert) == key_der), None)
    if leaf is None:
        raise RequestError('%s: the CA reply does not hold a certificate for the key of entry %r (its certificate%s %s '
                           'another public key); nothing was changed.' % (
                               name, alias, 's' if len(reply) > 1 else '',
                               ', '.join('"%s"' % certificates.format_name(c.subject) for c in reply)
                               + (' carry' if len(reply) > 1 else ' carries')))
    candidates = [cert for cert in reply if cert is not leaf]
    trusted = [entry_.certificate for entry_ in store if entry_.kind == 'trusted_certificate']
    trusted.extend(params.get('chain_certificates') or [])
    for item in params.get('chain') or []:
        trusted.extend(certificates.load_pem_certificates(item, 'chain for %s' % name))
    candidates.extend(certificates.load_certificate_der(der) for der in trusted)
    chain, missing = certificates.complete_chain(leaf, candidates)
    if missing is not None:
        raise RequestError('%s: cannot establish the chain of the CA reply for %r: no certificate for the issuer "%s" of '
                           '"%s" in the reply, the keystore or chain_truststore; add the CA certificates to ca_reply or '
                           'give chain_truststore. Nothing was changed.' % (
                               name, alias, certificates.format_name(missing), certificates.format_name(chain[-1].subject)))
    ders = [certificates.certificate_der(cert) for cert in chain]
    if ders != entry.chain:
        entry.chain = ders
        changes.append('imported the CA reply for %r: chain of %d, issued by "%s"'
                       % (alias, len(ders), certificates.format_name(chain[0].issuer)))


def chain_certificates_from(data, password, name):
    """Trusted certificates (DER) of the keystore ``data``: where a CA reply's chain may be completed from."""
    if data is None:
        raise RequestError('chain_truststore %s does not exist.' % name)
    store = load_keystore(data, password, name)
    return [entry.certificate for entry in store if entry.kind == 'trusted_certificate']


def _ensure_present(store, existing, alias, params, key_password, name, now, changes, warnings):
    if existing is None and params.get('ca_reply') and not params.get('private_key'):
        raise RequestError('%s: there is no entry %r to import the CA reply for; generate its key first and send its '
                           'certificate signing request (csr_path) to the CA.' % (name, alias))
    key, chain = _requested_material(params, name)
    if existing is None:
        if key is None:
            key = _new_key(params)
            chain = [_self_signed(key, params, now=now)]
            changes.append('generated a new %s %s key with a self-signed certificate for %r'
                           % (_describe_key(key) + (alias,)))
        else:
            changes.append('imported the private key and a chain of %d certificates as %r' % (len(chain), alias))
        store.put(PrivateKeyEntry(alias, chain, pkcs8=certificates.private_key_to_pkcs8(key), key_password=key_password))
        return

    open_private_key(existing, key_password, name)
    # With a CA reply, the reply replaces the self-signed certificate: nothing to compare or renew.
    if not (params.get('ca_reply') and not params.get('private_key')):
        current_key = certificates.load_pkcs8(existing.pkcs8)
        if _replace_when_different(existing, current_key, key, chain, key_password, params, alias, name, now,
                                   changes, warnings):
            return
        _renew_if_expiring(existing, current_key, params, alias, name, now, changes)
    if existing.key_password != key_password:
        existing.key_password = key_password
        changes.append('changed the key password of %r' % alias)


def _replace_when_different(existing, current_key, key, chain, key_password, params, alias, name, now, changes,
                            warnings):
    """Apply the regenerate policy to an existing entry; True when its key was replaced."""
    policy = params.get('regenerate') or 'fail'
    if key is not None:
        differences = []
        if certificates.public_key_der(current_key) != certificates.public_key_der(key):
            differences.append('the private key differs')
        if existing.chain != chain:
            differences.append('the certificate chain differs')
    else:
        differences = _differences(existing, params, current_key)
    if policy == 'always' or differences:
        reason = '; '.join(differences) or 'regenerate is always'
        if policy == 'never':
            warnings.append('%s: entry %r differs from the request (%s); kept as it is because regenerate is never.'
                            % (name, alias, reason))
        elif policy == 'fail':
            raise RequestError('%s: entry %r exists and differs from the request: %s. Nothing was changed; set regenerate to '
                               'when_different to replace its key, or adjust the request.' % (name, alias, reason))
        else:
            if key is None:
                key = _new_key(params)
                chain = [_self_signed(key, params, certificates.load_certificate_der(existing.certificate), now)]
            same_key = certificates.public_key_der(current_key) == certificates.public_key_der(key)
            existing.pkcs8 = certificates.private_key_to_pkcs8(key)
            existing.chain = chain
            existing.key_password = key_password
            existing.sealed = None
            if same_key:
                changes.append('replaced the certificate chain of %r, keeping its key: %s' % (alias, reason))
            else:
                changes.append('replaced the key of %r: %s' % (alias, reason))
            return True
    return False


def _renew_if_expiring(entry, key, params, alias, name, now, changes):
    days = params.get('renew_before_days')
    if days is None:
        return
    cert = certificates.load_certificate_der(entry.certificate)
    left = (certificates.not_after(cert) - now).days
    if left >= days:
        return
    if cert.issuer != cert.subject:
        raise RequestError('%s: the certificate of %r expires in %d days but is CA-signed; renew it through a CSR and the '
                           'CA, not renew_before_days.' % (name, alias, left))
    entry.chain = [_self_signed(key, params, cert, now)]
    changes.append('renewed the self-signed certificate of %r (it expired in %d days), keeping its key' % (alias, left))


def _describe_key(key):
    key_type, key_size = certificates.key_type_and_size(key)
    return key_type.upper(), ('P-%d' % key_size if key_type == 'ec' else '%d-bit' % key_size)
