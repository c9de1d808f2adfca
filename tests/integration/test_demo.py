"""make demo's playbook keeps doing what README promises."""

from __future__ import annotations

import hashlib
import re
import subprocess

from helpers import FIXTURES, ROOT, VENV_BIN, keytool_entries


def test_demo_creates_and_describes_a_primary_keystore(tmp_path):
    run = subprocess.run([str(VENV_BIN / 'ansible-playbook'), '-i', 'localhost,', 'demo/demo.yml',
                          '-e', 'sandbox=%s' % tmp_path, '-e', 'fixtures=%s' % FIXTURES],
                         capture_output=True, text=True, cwd=str(ROOT), check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    primary = tmp_path / 'wso2is' / 'repository' / 'resources' / 'security' / 'primary.jks'
    assert (tmp_path / 'wso2is' / 'repository' / 'conf' / 'deployment.toml').read_bytes() == \
        (FIXTURES / 'is-latest.deployment.toml').read_bytes()
    printed = re.search(r'SHA-256\s+([0-9A-F:]{95})', run.stdout)
    assert printed, run.stdout
    assert 'alias        is-primary' in run.stdout and 'expires      20' in run.stdout
    assert 'subject      CN=is.demo.example.org, OU=IAM, O=Example, L=Colombo, ST=Western, C=LK' in run.stdout
    assert 'second run   changed=False' in run.stdout
    # keytool, given the demo's password (derived from the sandbox path), agrees with what the demo printed.
    password = 'demo-' + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:12]
    assert password not in run.stdout, 'the demo printed its password'
    (entry,) = keytool_entries(primary, password)
    assert entry['alias'] == 'is-primary' and entry['sha256'] == printed.group(1)
