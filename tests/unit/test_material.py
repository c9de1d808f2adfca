"""x509/material.judge: PEM material judged before anything is written, each problem one sentence naming the
input by the label the operator knows it by. The material is made here by tests/pki.py."""

from __future__ import annotations

import pytest

import pki
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import material

LABELS = {'certificate': 'x_tls_certificate', 'private_key': 'x_tls_private_key',
          'private_key_passphrase': 'x_tls_private_key_passphrase', 'chain': 'x_tls_certificate_chain'}
ROOT = pki.make_ca('Judge Root')
ISSUING = pki.make_ca('Judge Issuing', parent=ROOT)
KEY = pki.new_key()
LEAF = pki.issue(KEY.public_key(), 'node.example.org', ISSUING)
CHAIN = [pki.pem(ROOT[1]), pki.pem(ISSUING[1])]


def judge(private_key=pki.key_pem(KEY), passphrase='', certificate=pki.pem(LEAF), chain=None, purposes=('tls',),
          current=None):
    return material.judge(private_key, passphrase, certificate, CHAIN if chain is None else chain, list(purposes),
                          LABELS, current)


def test_a_certificate_its_key_and_a_shuffled_chain_are_usable_leaf_to_root():
    described = judge()
    assert described['problems'] == [] and described['mode'] == 'import'
    assert len(described['chain_sha256']) == 3
    assert described['public_key_sha256'] == material.public_key_sha256(LEAF)


@pytest.mark.parametrize('given, problem', [
    (dict(private_key=pki.key_pem(KEY, 'right-passphrase'), passphrase='wrong'),
     r'x_tls_private_key could not be decrypted: the passphrase is wrong .*\(x_tls_private_key_passphrase\)\.'),
    (dict(private_key=pki.key_pem(KEY, 'right-passphrase')), r'x_tls_private_key is encrypted.*x_tls_private_key_passphrase'),
    (dict(certificate=pki.pem(pki.issue(pki.new_key().public_key(), 'other', ISSUING))),
     r'^x_tls_certificate: the certificate "CN=other, O=Carbon Tests" does not belong to the private key of x_tls_private_key'),
    (dict(chain=[pki.pem(pki.make_ca('Stranger')[1])]),
     r'^x_tls_certificate_chain: "CN=Stranger, O=Carbon Tests" does not lead to the certificate "CN=node.example.org'),
    (dict(certificate=pki.pem(pki.issue(KEY.public_key(), 'node', ISSUING, key_usage=dict(
        pki.SERVER_KEY_USAGE, data_encipherment=False))), purposes=('tls', 'primary')),
     r'^x_tls_certificate: the certificate "CN=node, O=Carbon Tests" lacks the dataEncipherment key usage that WSO2 '
     r'needs on the primary keystore'),
    (dict(certificate=pki.pem(pki.issue(KEY.public_key(), 'node', ISSUING, key_usage=dict(
        pki.SERVER_KEY_USAGE, digital_signature=False)))), r'lacks the digitalSignature key usage .* on the tls keystore'),
    (dict(certificate='not pem at all'), r'^x_tls_certificate contains no PEM certificate'),
])
def test_each_problem_is_one_sentence_naming_the_input(given, problem):
    import re
    described = judge(**given)
    assert len(described['problems']) == 1 and re.search(problem, described['problems'][0]), described['problems']


def test_a_certificate_without_key_usage_may_serve_any_purpose():
    described = judge(certificate=pki.pem(pki.issue(KEY.public_key(), 'node', ISSUING, key_usage=None)),
                      purposes=('tls', 'primary'))
    assert described['problems'] == []


def test_a_reply_must_be_for_the_key_the_cluster_holds():
    current = pki.pem(pki.issue(KEY.public_key(), 'self-signed-before', ISSUING))
    reply = judge(private_key='', current=current)
    assert reply['mode'] == 'reply' and reply['same_key_as_current'] and reply['problems'] == []
    stranger = judge(private_key='', certificate=pki.pem(pki.issue(pki.new_key().public_key(), 'x', ISSUING)),
                     current=current)
    assert stranger['same_key_as_current'] is False
    assert stranger['problems'] == ['x_tls_certificate: the certificate "CN=x, O=Carbon Tests" is not for the key the '
                                    'cluster\'s keystore holds; give it with x_tls_private_key, or give the CA\'s reply '
                                    'to the request for this key.']
    no_key_yet = judge(private_key='', current=None)
    assert 'it has no key yet' in no_key_yet['problems'][0]
