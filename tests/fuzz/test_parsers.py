"""Fuzzing with hypothesis: the keystore parsers (JKS, PKCS12), the PEM reader and the TOML editor take
generated and mutated inputs; the only exception that may escape is the collection's own clear error
(a message for the operator), and no input may hang.

`make test` runs CARBON_FUZZ_EXAMPLES inputs per parser (default 200); `make fuzz` runs 10,000 each.
A hang is an input still running after HANG_SECONDS (a watchdog far above any real input's time, so this
is not a speed test: it tells a loop without end from work)."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.carbon.keystores.plugins.module_utils.toml import edit as toml_edit
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates
from ansible_collections.carbon.keystores.plugins.module_utils.errors import CarbonKeystoresError, TomlSelfCheckError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import load_keystore
from helpers import FIXTURES
from tally import fuzzed

EXAMPLES = int(os.environ.get('CARBON_FUZZ_EXAMPLES', '200'))
HANG_SECONDS = 20
PASSWORD = 'Fuzz-Pass-77'

FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


class Hang(Exception):
    pass


def _alarm(_signum, _frame):
    raise Hang('an input ran for more than %d seconds' % HANG_SECONDS)


def guarded(parser, label, data):
    """Run one input: our own errors are the expected answer to garbage; anything else fails."""
    fuzzed(label)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_SECONDS)
    try:
        parser(data)
    except TomlSelfCheckError as exc:
        # only valid TOML reaches the self-check: failing it is the editor's bug, not the input's
        raise AssertionError('the TOML editor failed its own check on valid TOML: %s' % exc)
    except CarbonKeystoresError as exc:
        message = str(exc)
        assert message and '\n' not in message.strip(), 'an error for the operator must be one sentence: %r' % message
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _keytool(*args):
    subprocess.run(['keytool', *map(str, args)], check=True, capture_output=True)


@pytest.fixture(scope='module')
def seeds(tmp_path_factory):
    """Real files to mutate: a JKS and a PKCS12 from keytool (a key pair and a trusted certificate each),
    a certificate and a private key in PEM, WSO2's deployment.toml."""
    folder = tmp_path_factory.mktemp('seeds')
    found = {}
    for kind in ('JKS', 'PKCS12'):
        path = folder / ('seed.' + kind.lower())
        _keytool('-genkeypair', '-keystore', path, '-storetype', kind, '-storepass', PASSWORD, '-keypass', PASSWORD,
                 '-alias', 'server', '-keyalg', 'EC', '-groupname', 'secp256r1', '-dname', 'CN=fuzz')
        _keytool('-exportcert', '-rfc', '-keystore', path, '-storepass', PASSWORD, '-alias', 'server',
                 '-file', folder / 'server.pem')
        _keytool('-importcert', '-noprompt', '-keystore', path, '-storepass', PASSWORD, '-alias', 'trusted',
                 '-file', folder / 'server.pem')
        found[kind] = path.read_bytes()
    found['PEM'] = (folder / 'server.pem').read_bytes()
    key = certificates.generate_private_key('ec', 256)
    from cryptography.hazmat.primitives import serialization
    found['KEY'] = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.BestAvailableEncryption(PASSWORD.encode()))
    found['TOML'] = (FIXTURES / 'is-latest.deployment.toml').read_bytes()
    return found


def mutations(max_size=2048):
    """A list of edits to apply to a seed: flip a byte, cut, insert, delete a range, or overwrite with an
    extreme integer (the length and count fields parsers trust)."""
    edit = st.tuples(
        st.sampled_from(['flip', 'cut', 'insert', 'delete', 'integer']),
        st.integers(min_value=0, max_value=1 << 20),
        st.binary(min_size=1, max_size=16),
        st.sampled_from([b'\x00\x00\x00\x00', b'\xff\xff\xff\xff', b'\x7f\xff\xff\xff', b'\x00\x00\x00\x01',
                         b'\x80', b'\x84\xff\xff\xff\xff', b'\x02\x04\x7f\xff\xff\xff']),
    )
    return st.lists(edit, min_size=1, max_size=6)


def mutate(seed, edits):
    data = bytearray(seed)
    for operation, where, blob, integer in edits:
        position = where % (len(data) + 1)
        if operation == 'flip' and data:
            data[position % len(data)] ^= blob[0] or 1
        elif operation == 'cut':
            del data[position:]
        elif operation == 'insert':
            data[position:position] = blob
        elif operation == 'delete':
            del data[position:position + len(blob) * 8]
        elif operation == 'integer':
            data[position:position + len(integer)] = integer
    return bytes(data)


def _open(data):
    load_keystore(data, PASSWORD, 'fuzz.ks', key_passwords=[PASSWORD])


# --- JKS -----------------------------------------------------------------------------------------

@pytest.mark.jvm
@FUZZ
@given(edits=mutations())
def test_jks_mutated(seeds, edits):
    guarded(_open, 'JKS', mutate(seeds['JKS'], edits))


@FUZZ
@given(body=st.binary(max_size=4096))
def test_jks_generated(body):
    guarded(_open, 'JKS', b'\xfe\xed\xfe\xed' + body)


# --- PKCS12 --------------------------------------------------------------------------------------

@pytest.mark.jvm
@FUZZ
@given(edits=mutations())
def test_pkcs12_mutated(seeds, edits):
    guarded(_open, 'PKCS12', mutate(seeds['PKCS12'], edits))


@FUZZ
@given(body=st.binary(max_size=4096))
def test_pkcs12_generated(body):
    guarded(_open, 'PKCS12', b'\x30\x82' + body)


# --- PEM -----------------------------------------------------------------------------------------

def _pem(data):
    certificates.load_pem_certificates(data, 'fuzz.pem')


def _pem_key(data):
    certificates.load_pem_private_key(data, PASSWORD, 'fuzz-key.pem')


@FUZZ
@given(edits=mutations())
def test_pem_certificate_mutated(seeds, edits):
    guarded(_pem, 'PEM', mutate(seeds['PEM'] * 2, edits))


@FUZZ
@given(edits=mutations())
def test_pem_private_key_mutated(seeds, edits):
    guarded(_pem_key, 'PEM', mutate(seeds['KEY'], edits))


@FUZZ
@given(parts=st.lists(st.one_of(
    st.sampled_from([b'-----BEGIN CERTIFICATE-----\n', b'-----END CERTIFICATE-----\n', b'-----BEGIN PRIVATE KEY-----',
                     b'-----END PRIVATE KEY-----', b'MIIB', b'\n', b'-----BEGIN ', b'-----']),
    st.binary(max_size=64)), max_size=40))
def test_pem_generated(parts):
    guarded(_pem, 'PEM', b''.join(parts))


# --- the TOML editor -----------------------------------------------------------------------------

def _edit(argument):
    text, table, settings = argument
    new_text, _changes = toml_edit.apply_edit(toml_edit.decode(text, 'fuzz.toml'), toml_edit.Edit(table, settings=settings),
                                              'fuzz.toml')
    toml_edit.parse(new_text, 'fuzz.toml')  # what the editor writes must read back


TOML_VALUES = st.one_of(st.text(max_size=20), st.integers(), st.booleans(),
                        st.lists(st.text(max_size=5), max_size=3))


@FUZZ
@given(edits=mutations(), table=st.sampled_from(['keystore.tls', 'keystore.primary', 'truststore', 'server',
                                                 'transport.https.sslHostConfig.properties', 'a."b.c"']),
       settings=st.dictionaries(st.sampled_from(['file_name', 'password', 'alias', 'type', 'x.y', '"q k"']),
                                TOML_VALUES, min_size=1, max_size=3))
def test_toml_editor_mutated(seeds, edits, table, settings):
    guarded(_edit, 'TOML', (mutate(seeds['TOML'], edits), table, settings))


def _remove(argument):
    text, table, keys = argument
    edit = toml_edit.Edit(table, remove_keys=keys, remove_table=not keys)
    new_text, _changes = toml_edit.apply_edit(toml_edit.decode(text, 'fuzz.toml'), edit, 'fuzz.toml')
    toml_edit.parse(new_text, 'fuzz.toml')


@FUZZ
@given(edits=mutations(), table=st.sampled_from(['keystore.tls', 'keystore.primary', 'truststore', 'server',
                                                 'keystore', 'transport.https.sslHostConfig.properties']),
       keys=st.lists(st.sampled_from(['file_name', 'password', 'alias', 'type', 'hostname']), max_size=2))
def test_toml_editor_removals_mutated(seeds, edits, table, keys):
    guarded(_remove, 'TOML', (mutate(seeds['TOML'], edits), table, keys))


TOML_LINES = st.sampled_from(['[keystore.tls]', '[keystore]', '[[keystore.tls]]', 'file_name = "a.jks"', 'x = [1, 2',
                              'tls.alias = "b"', '"quoted key" = 1', '# comment', '', 'a = """', '"""',
                              'b = { c = 1 }', '[keystore."tls"]', 'password = \'x\''])
TOML_SETTINGS = st.dictionaries(st.sampled_from(['file_name', 'alias', 'tls.alias']), TOML_VALUES, min_size=1, max_size=2)


@FUZZ
@given(lines=st.lists(st.one_of(TOML_LINES, st.text(max_size=30)), max_size=30), settings=TOML_SETTINGS)
def test_toml_editor_generated(lines, settings):
    guarded(_edit, 'TOML', ('\n'.join(lines).encode('utf-8', 'surrogatepass'), 'keystore.tls', settings))
