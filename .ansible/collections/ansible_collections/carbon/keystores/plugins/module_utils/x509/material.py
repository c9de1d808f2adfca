# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A key pair handed over in PEM, judged before anything is written: a CA-signed certificate with its
private key and chain (the `openssl pkcs12 -export` case), or a CA's reply to a request for a key the
cluster already has. Does the certificate belong to the key, does the chain lead to the certificate,
does the certificate carry the key usages WSO2 needs for the keystore's purposes?"""

from __future__ import annotations

from typing import Any

from ansible_collections.carbon.keystores.plugins.module_utils.errors import CertificateError
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates

# What each purpose needs of its certificate. An absent Key Usage extension allows every usage (RFC 5280),
# and so does Java; an Extended Key Usage extension, when present, must allow a TLS server.
NEEDED_KEY_USAGE = {
    'tls': ('digitalSignature',),        # every TLS handshake the server signs
    'primary': ('dataEncipherment',),    # WSO2: the cipher tool fails with "Wrong key usage" without it
}
TLS_SERVER = 'serverAuth'
ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0'


def public_key_sha256(key_or_cert):
    """SHA-256 of the SubjectPublicKeyInfo: the same for every certificate ever issued for one key."""
    return certificates.fingerprint(certificates.public_key_der(key_or_cert))


def _usage_problems(cert, purposes, label):
    problems = []
    usages = certificates.key_usage_names(cert)
    has_key_usage = certificates.restricts_key_usage(cert)
    for purpose in purposes:
        missing = [usage for usage in NEEDED_KEY_USAGE.get(purpose, ()) if has_key_usage and usage not in usages]
        if missing:
            problems.append('%s: the certificate "%s" lacks the %s key usage that WSO2 needs on the %s keystore; have '
                            'the CA issue it with %s.'
                            % (label, certificates.format_name(cert.subject), ', '.join(missing), purpose,
                               ', '.join(missing)))
    extended = certificates.extended_key_usage_names(cert)
    if 'tls' in purposes and extended and TLS_SERVER not in extended and ANY_EXTENDED_KEY_USAGE not in extended:
        problems.append('%s: the certificate "%s" is not allowed for TLS servers (its extended key usage is %s); have '
                        'the CA issue it with serverAuth.'
                        % (label, certificates.format_name(cert.subject), ', '.join(extended)))
    return problems


def judge(private_key, passphrase, certificate, chain, purposes, labels, current_certificate=None):
    """What the PEM material is and what is wrong with it.

    ``private_key``, ``certificate`` and ``current_certificate`` are PEM text or None, ``chain`` a list of
    PEM texts; ``purposes`` the purposes the keystore serves ('tls', 'primary'); ``labels`` the names the
    operator knows the inputs by ({'private_key', 'private_key_passphrase', 'certificate', 'chain'}).
    ``current_certificate`` is the certificate of the key the cluster has now: a certificate without a
    private key is a reply for that key.

    Returns {'mode': 'import' | 'reply', 'public_key_sha256', 'certificate_sha256', 'chain_sha256'
    (leaf to root, as the keystore will hold it), 'same_key_as_current', 'problems'}; the problems are
    sentences naming the input, and nothing is usable when there is one."""
    described: dict[str, Any] = {'mode': 'import' if private_key else 'reply', 'public_key_sha256': None,
                                 'certificate_sha256': None, 'chain_sha256': [], 'same_key_as_current': None,
                                 'problems': []}
    problems: list[str] = described['problems']
    if not certificate:
        problems.append('%s is empty: give the certificate (a PEM file on the controller or inline PEM).'
                        % labels['certificate'])
        return described
    try:
        given = certificates.load_pem_certificates(certificate, labels['certificate'])
        extra = []
        for item in chain or []:
            extra.extend(certificates.load_pem_certificates(item, labels['chain']))
        key = certificates.load_pem_private_key(private_key, passphrase, labels['private_key']) if private_key else None
        current = certificates.load_pem_certificates(current_certificate, 'current certificate')[0] \
            if current_certificate else None
    except CertificateError as exc:
        message = str(exc)
        if 'passphrase' in message or 'is encrypted' in message:
            message = '%s (%s)' % (message.rstrip('.'), labels['private_key_passphrase'])
        problems.append(message if message.endswith('.') else message + '.')
        return described
    leaf_der = given[0]
    leaf = certificates.load_certificate_der(leaf_der)
    described['certificate_sha256'] = certificates.fingerprint(leaf_der)
    described['public_key_sha256'] = public_key_sha256(leaf)
    if current is not None:
        described['same_key_as_current'] = public_key_sha256(certificates.load_certificate_der(current)) == \
            described['public_key_sha256']
    if key is not None and certificates.public_key_der(key) != certificates.public_key_der(leaf):
        problems.append('%s: the certificate "%s" does not belong to the private key of %s; give the certificate the '
                        'CA issued for this key.' % (labels['certificate'], certificates.format_name(leaf.subject),
                                                     labels['private_key']))
    if key is None and not described['same_key_as_current']:
        problems.append('%s: the certificate "%s" is not for the key the cluster\'s keystore holds%s; give it with %s, '
                        'or give the CA\'s reply to the request for this key.' % (
                            labels['certificate'], certificates.format_name(leaf.subject),
                            '' if current is not None else ' (it has no key yet)', labels['private_key']))
    candidates = [certificates.load_certificate_der(der) for der in given[1:] + extra]
    path, _missing = certificates.complete_chain(leaf, candidates)
    stray = [cert for cert in candidates if cert not in path]
    if stray:
        problems.append('%s: %s do%s not lead to the certificate "%s" (each must be signed by the next, from the '
                        'certificate to its root); remove %s or give the right chain.' % (
                            labels['chain'], ', '.join('"%s"' % certificates.format_name(c.subject) for c in stray),
                            'es' if len(stray) == 1 else '', certificates.format_name(leaf.subject),
                            'it' if len(stray) == 1 else 'them'))
    problems.extend(_usage_problems(leaf, purposes, labels['certificate']))
    described['chain_sha256'] = [certificates.fingerprint(cert) for cert in path]
    return described
