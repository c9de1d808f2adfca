"""Crash safety and concurrency of every write the collection makes.

Crash: two writers (a truststore and a deployment.toml) loop read-modify-write with the collection's
own code and are SIGKILLed at random moments, at least 200 times each; after each kill, each file must
be a valid old or new state. Concurrency: pairs of ansible-playbook runs start together on one
truststore and one config file, as two controllers would (each its own temporary folder, so the
controller-side lock does not serialise them and only the compare-and-swap on the host does); no
certificate and no setting may be lost."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import tomlkit
import yaml
from cryptography.hazmat.primitives import serialization

from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates as certs
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import load_keystore
from helpers import FIXTURES, ROOT, VENV_BIN, VENV_PYTHON, keytool, scan_for_secrets

PASSWORD = 'Crash-Trust-Pass-5'
KILLS = int(os.environ.get('CARBON_CRASH_KILLS', '200'))
PAIRS = int(os.environ.get('CARBON_CONCURRENT_PAIRS', '20'))
WRITER = Path(__file__).resolve().parent.parent / 'crash_writer.py'


def _certificates(folder, count):
    folder.mkdir()
    paths = []
    for number in range(1, count + 1):
        key = certs.generate_private_key('ec', 256)
        cert = certs.build_self_signed(key, certs.parse_subject('CN=crash-%03d' % number), valid_days=30)
        path = folder / ('%03d.pem' % number)
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        paths.append(path)
    return paths


def _truststore_state(path, certificates):
    """k when the file is a truststore holding exactly certificates 1..k; AssertionError otherwise."""
    store = load_keystore(path.read_bytes(), PASSWORD, str(path))
    held = {certs.fingerprint(entry.certificate) for entry in store}
    for count in range(1, len(certificates) + 1):
        wanted = {certs.fingerprint(certs.load_pem_certificates(p.read_bytes())[0]) for p in certificates[:count]}
        if held == wanted:
            return count
    raise AssertionError('torn or unknown truststore state: %d entries that are not certificates 1..k' % len(held))


def _config_state(path, original):
    """The counter when the file is the original config plus [keystore.tls] counter; AssertionError otherwise."""
    data = tomlkit.parse(path.read_text()).unwrap()
    counter = data.get('keystore', {}).get('tls', {}).pop('counter', 0)
    if not data.get('keystore', {}).get('tls', True):
        data['keystore'].pop('tls')
    if not data.get('keystore', True):
        data.pop('keystore')
    assert data == original, 'the config holds something else than the original and the counter'
    return counter


def test_sigkill_never_leaves_a_torn_file(tmp_path):
    certificates = _certificates(tmp_path / 'certificates', 25)
    work = tmp_path / 'security'
    work.mkdir()
    truststore = work / 'client-truststore.jks'
    config = work / 'deployment.toml'
    shutil.copyfile(FIXTURES / 'is-latest.deployment.toml', config)
    original = tomlkit.parse(config.read_text()).unwrap()
    rng = random.Random(20261122)
    kills, torn, in_flight, writes = 0, [], 0, 0
    while kills < KILLS:
        writers = [subprocess.Popen([VENV_PYTHON, str(WRITER), kind, str(path), str(tmp_path / 'certificates'),
                                     PASSWORD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for kind, path in (('truststore', truststore), ('config', config))]
        for writer in writers:
            assert writer.stdout.readline().strip() == 'ready', writer.stderr.read()
        time.sleep(rng.uniform(0.0, 0.12))
        for writer in writers:
            writer.send_signal(signal.SIGKILL)
        for writer in writers:
            output, _errors = writer.communicate()
            writes += output.count('wrote')
        kills += 1
        in_flight += any(name.endswith('.tmp') for name in os.listdir(work))
        try:
            if truststore.exists():
                _truststore_state(truststore, certificates)
            _config_state(config, original)
        except Exception as exc:  # any failure to read the file back is a torn file
            torn.append('kill %d: %s' % (kills, exc))
    print('crash test: %d kills of each writer, %d writes completed, %d kills caught a write in flight '
          '(temporary file left), %d torn files' % (kills, writes, in_flight, len(torn)))
    assert kills >= 200 or KILLS < 200
    assert writes > kills, 'the writers must get work done between kills for the test to mean anything'
    assert not torn, '\n'.join(torn)
    # keytool, the independent judge, reads the last state too
    listing = keytool('-list', '-keystore', truststore, '-storepass', PASSWORD).stdout
    assert listing.count('trustedCertEntry') == _truststore_state(truststore, certificates)


def _pair_playbook(folder, side, number, certificate, truststore, config, hosts='localhost'):
    table = 'keystore.tls' if side == 'a' else 'keystore.primary'
    playbook = folder / ('%s-%02d.yml' % (side, number))
    playbook.write_text(yaml.safe_dump([{'hosts': hosts, 'gather_facts': False, 'tasks': [
        {'name': 'trust', 'carbon.keystores.truststore': {
            'path': str(truststore), 'password': PASSWORD,
            'certificates': [{'alias': 'pair-%02d-%s' % (number, side), 'certificate': str(certificate)}]}},
        {'name': 'configure', 'carbon.keystores.toml_file': {
            'path': str(config), 'table': table, 'settings': {'pair_%s' % side: number}}},
    ]}]))
    return playbook


def test_simultaneous_runs_lose_nothing(tmp_path):
    certificates = _certificates(tmp_path / 'certificates', 2 * PAIRS)
    truststore = tmp_path / 'client-truststore.jks'
    config = tmp_path / 'deployment.toml'
    shutil.copyfile(FIXTURES / 'is-latest.deployment.toml', config)
    inventory = tmp_path / 'inventory.ini'
    inventory.write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n' % VENV_PYTHON)
    lost = []
    for number in range(1, PAIRS + 1):
        runs = []
        for side, certificate in (('a', certificates[2 * number - 2]), ('b', certificates[2 * number - 1])):
            playbook = _pair_playbook(tmp_path, side, number, certificate, truststore, config)
            controller = tmp_path / ('controller-%s' % side)  # its own temporary folder: its own lock folder
            controller.mkdir(exist_ok=True)
            env = dict(os.environ, TMPDIR=str(controller), ANSIBLE_NOCOLOR='1')
            runs.append(subprocess.Popen([str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(playbook)],
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=str(ROOT),
                                         env=env))
        for run in runs:
            output = run.communicate()[0]
            scan_for_secrets(output, {PASSWORD}, [tmp_path])
            assert run.returncode == 0, output[-4000:]
        aliases = {entry.alias for entry in load_keystore(truststore.read_bytes(), PASSWORD, str(truststore))}
        for side in ('a', 'b'):
            for earlier in range(1, number + 1):
                if 'pair-%02d-%s' % (earlier, side) not in aliases:
                    lost.append('after pair %d: certificate pair-%02d-%s' % (number, earlier, side))
        data = tomlkit.parse(config.read_text()).unwrap()['keystore']
        if data.get('tls', {}).get('pair_a') != number:
            lost.append('after pair %d: [keystore.tls] pair_a is %r' % (number, data.get('tls', {}).get('pair_a')))
        if data.get('primary', {}).get('pair_b') != number:
            lost.append('after pair %d: [keystore.primary] pair_b is %r' % (number, data.get('primary', {}).get('pair_b')))
    print('concurrency: %d pairs of simultaneous runs, %d lost entries' % (PAIRS, len(lost)))
    assert not lost, '\n'.join(lost)
    assert keytool('-list', '-keystore', truststore, '-storepass', PASSWORD).stdout.count('trustedCertEntry') == 2 * PAIRS


if __name__ == '__main__':  # pragma: no cover
    sys.exit('run with pytest')
