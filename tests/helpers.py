"""Shared test helpers: run real playbooks from the checkout, ask keytool and the JDK."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / '.venv' / 'bin'
VENV_PYTHON = str(VENV_BIN / 'python')
JAVA_DIR = Path(__file__).resolve().parent / 'java'
FIXTURES = ROOT / 'tests' / 'fixtures' / 'wso2'
CACERTS_CANDIDATES = ('/usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts', '/etc/ssl/certs/java/cacerts')


def sha256_file(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def jdk_tool(name):
    """keytool/java/javac of JDK 17 where present, else the one on PATH."""
    preferred = Path('/usr/lib/jvm/java-17-openjdk-amd64/bin') / name
    return str(preferred) if preferred.exists() else name


def keytool(*args, check=True):
    result = subprocess.run([jdk_tool('keytool'), *map(str, args)], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError('keytool %s failed:\n%s%s' % (' '.join(map(str, args)), result.stdout, result.stderr))
    return result


def keytool_entries(path, storepass):
    """Parse `keytool -list -v` into one dict per entry."""
    out = keytool('-list', '-v', '-keystore', path, '-storepass', storepass).stdout
    entries = []
    for block in re.split(r'\n(?=Alias name: )', out):
        match = re.search(r'^Alias name: (.+)$', block, re.M)
        if not match:
            continue
        entry = {'alias': match.group(1).strip(), 'block': block}
        kind = re.search(r'^Entry type: (\S+)', block, re.M)
        entry['type'] = kind.group(1) if kind else None
        owner = re.search(r'^Owner: (.+)$', block, re.M)
        entry['owner'] = owner.group(1).strip() if owner else None
        fingerprint = re.search(r'SHA256: ([0-9A-F:]+)', block)
        entry['sha256'] = fingerprint.group(1) if fingerprint else None
        chain = re.search(r'^Certificate chain length: (\d+)', block, re.M)
        entry['chain_length'] = int(chain.group(1)) if chain else None
        key = re.search(r'Subject Public Key Algorithm: (\S+) (\w+)', block)
        entry['public_key'] = (key.group(1), key.group(2)) if key else None
        entries.append(entry)
    return entries


def java_keycheck(path, store_type, storepass, alias, keypass):
    """Run tests/java/KeyCheck.java: the JDK loads the store and opens the key with keypass."""
    return subprocess.run([jdk_tool('java'), str(JAVA_DIR / 'KeyCheck.java'), str(path), store_type, storepass,
                           alias, keypass], capture_output=True, text=True, check=False)


_COMPILED = {}


def java_class(name, tmp_dir):
    """Compile tests/java/<name>.java once per session with javac; return the class folder."""
    if name not in _COMPILED:
        out = Path(tmp_dir) / ('javac-' + name)
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([jdk_tool('javac'), '-d', str(out), str(JAVA_DIR / (name + '.java'))], check=True)
        _COMPILED[name] = out
    return _COMPILED[name]


def tls_handshake(tmp_dir, keystore, store_type, storepass, keypass, truststore, trust_type, trustpass, alias=None):
    """Serve TLS on loopback with ``keystore``; a client trusting only ``truststore`` connects.
    Returns (ok, SHA-256 of the served certificate or the failure)."""
    classes = java_class('TlsCheck', tmp_dir)
    run = subprocess.run([jdk_tool('java'), '-cp', str(classes), 'TlsCheck', str(keystore), store_type, storepass,
                          keypass, str(truststore), trust_type, trustpass] + ([alias] if alias else []),
                         capture_output=True, text=True,
                         timeout=120, check=False)
    line = (run.stdout.strip().splitlines() or [''])[-1]
    if run.returncode == 0 and line.startswith('HANDSHAKE-OK '):
        return True, line.split(' ', 1)[1]
    return False, run.stdout + run.stderr


def cacerts_path():
    for candidate in CACERTS_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    raise AssertionError('no JDK cacerts found in %s' % (CACERTS_CANDIDATES,))


class PlaybookRun:
    def __init__(self, rc, output, results):
        self.rc = rc
        self.output = output
        self.results = results

    def __getitem__(self, name):
        if name not in self.results:
            raise AssertionError('no result for %r; ansible-playbook said:\n%s' % (name, self.output[-3000:]))
        return self.results[name]


def run_playbook(tmp_path, tasks, *, check=False, diff=False, verbosity=0, python=VENV_PYTHON,
                 hosts='localhost', inventory=None, env=None, cwd=ROOT, playbook_bin=None, extra_args=(), secrets=(),
                 scan=True):
    """Run ``tasks`` (a list of dicts; each is registered under its 'name') on localhost.

    Every task result is saved, failed or not, and returned by name: tests assert on real
    module results, not on Ansible's screen output."""
    tmp_path = Path(tmp_path)
    results_file = tmp_path / ('results-%d.json' % len(list(tmp_path.glob('results-*.json'))))
    play_tasks = []
    names = []
    for number, task in enumerate(tasks):
        task = dict(task)
        name = task['name']
        # a task name that is not a variable name (the matrix's) is registered under a made-up one
        task.setdefault('register', name if re.match(r'^[A-Za-z_]\w*$', name) else 'result_%d' % number)
        names.append((name, task['register']))
        task.setdefault('ignore_errors', True)
        play_tasks.append(task)
    dump = '{{ {%s} | to_json }}' % ', '.join("%s: (%s | default(None))" % (json.dumps(n), var) for n, var in names)
    play_tasks.append({'name': 'save results', 'ansible.builtin.copy': {'content': dump, 'dest': str(results_file)},
                       'check_mode': False, 'diff': False, 'delegate_to': 'localhost', 'run_once': True,
                       'vars': {'ansible_python_interpreter': VENV_PYTHON}})
    playbook = tmp_path / ('playbook-%d.yml' % len(list(tmp_path.glob('playbook-*.yml'))))
    playbook.write_text(yaml.safe_dump([{'hosts': hosts, 'gather_facts': False, 'tasks': play_tasks}], sort_keys=False))
    if inventory is None:
        inventory = tmp_path / 'inventory.ini'
        inventory.write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n' % python)
    command = [playbook_bin or str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(playbook)]
    if check:
        command.append('--check')
    if diff:
        command.append('--diff')
    if verbosity:
        command.append('-' + 'v' * verbosity)
    command.extend(extra_args)
    environment = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', PYTHONDONTWRITEBYTECODE='1')
    environment.update(env or {})
    proc = subprocess.run(command, capture_output=True, text=True, cwd=str(cwd), env=environment, check=False)
    output = proc.stdout + proc.stderr
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    if scan:
        scan_for_secrets(output, secrets_in(tasks) | set(secrets), [tmp_path])
    return PlaybookRun(proc.returncode, output, results)


# --- the secret scan ----------------------------------------------------------------------------
# Every ansible-playbook run of the suite runs at -vvv --diff (tests/conftest.py sets ANSIBLE_VERBOSITY
# and ANSIBLE_DIFF_ALWAYS for the session); each runner hands its output here with the secrets it used.

SECRET_SCAN = {'runs': 0, 'hits': []}
SECRET_KEY = re.compile(r'password|passphrase|secret', re.I)
KEYSTORE_MAGICS = (b'\xfe\xed\xfe\xed', b'\xce\xce\xce\xce')


def secrets_in(value):
    """Values of secret-named keys anywhere in ``value`` (task arguments, settings, extra vars)."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if SECRET_KEY.search(str(key)) and isinstance(item, str) and len(item) >= 4:
                found.add(item)
            found |= secrets_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= secrets_in(item)
    return found


def _keystore_fingerprints(roots):
    """Aligned base64 windows of every keystore file under ``roots``: what a leak of its bytes shows."""
    windows = set()
    for root in roots:
        for path in Path(root).rglob('*'):
            try:
                if not path.is_file() or path.stat().st_size < 64 or path.stat().st_size > 4 * 1024 * 1024:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if not (data[:4] in KEYSTORE_MAGICS or (data[:1] == b'\x30' and path.suffix in ('.p12', '.pfx'))):
                continue
            encoded = base64.b64encode(data).decode('ascii')
            for offset in (0, (len(encoded) // 2) // 4 * 4):
                window = encoded[offset:offset + 48]
                if len(window) == 48:
                    windows.add(window)
    return windows


# The pack's documented default password is also the pack's file and alias name (wso2carbon.jks): it is
# public knowledge, and scanning for it would only find file names.
PUBLIC_PASSWORDS = {'wso2carbon'}


def command_secrets(command, inventory=None):
    """Passwords given on an ansible-playbook command line (-e name=value) and in an INI inventory."""
    found = set()
    words = [str(word) for word in command]
    for word in words:
        # a variable that holds a secret ends so (not encrypt_passwords, keystore_password_file)
        match = re.match(r'^(\w*(?:password|passphrase|secret))=(\S+)$', word, re.I)
        if match:
            found.add(match.group(2))
    if inventory is not None and Path(inventory).exists():
        for match in re.finditer(r'\b\w*(?:password|passphrase)=(\S+)', Path(inventory).read_text(), re.I):
            found.add(match.group(1))
    return found - PUBLIC_PASSWORDS


def _certificates_shown(output):
    """DER of every PEM certificate the output shows: public, so a keystore's bytes that lie inside one of them
    (a keystore holds its certificates) are no leak."""
    found = []
    for block in re.findall(r'-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----', output, re.S):
        body = re.sub(r'\\n|[^A-Za-z0-9+/=]', '', block)
        try:
            found.append(base64.b64decode(body))
        except ValueError:
            continue
    return found


def base64_forms(secret):
    """What ``secret`` looks like inside base64 of a file that holds it (a config file returned as content): the
    characters its bytes alone decide, at each of the three byte offsets it can start at."""
    data = secret.encode('utf-8')
    forms = set()
    for offset in range(3):
        encoded = base64.b64encode(b'\0' * offset + data).decode('ascii')
        forms.add(encoded[-(-8 * offset // 6):8 * (offset + len(data)) // 6])
    return forms


def scan_for_secrets(output, secrets, roots=(), public=()):
    """Fail when ``output`` shows a secret (as it is, or inside base64), a private key, or keystore bytes in
    base64; tally the run. ``public``: names that may contain a secret and are no leak where they occur whole (a
    product home whose path contains the keystore password)."""
    SECRET_SCAN['runs'] += 1
    scanned = [secret for secret in set(secrets) - PUBLIC_PASSWORDS if secret]
    named = output
    for name in sorted(public, key=len, reverse=True):
        named = named.replace(name, '<public name>')
    hits = [repr(secret) for secret in scanned if secret in named]
    # a secret of 8 characters or more leaves 9 or more base64 characters of its own: no accidental match
    hits.extend('%r in base64' % secret for secret in scanned
                if len(secret) >= 8 and any(form in output for form in base64_forms(secret)))
    if 'PRIVATE KEY' in output:
        hits.append('PRIVATE KEY')
    public = _certificates_shown(output)
    hits.extend('base64 of keystore bytes %s...' % window[:12] for window in _keystore_fingerprints(roots)
                if window in output and not any(base64.b64decode(window) in der for der in public))
    SECRET_SCAN['hits'].extend(hits)
    assert not hits, 'the output of ansible-playbook -vvv --diff shows %s' % ', '.join(hits)


def pretty(value):
    return json.dumps(value, indent=2, sort_keys=True, default=str)


if __name__ == '__main__':  # pragma: no cover
    sys.exit('helpers only')
