"""make demo keeps doing what README promises: a two-node Identity Server sandbox converged by the
collection's own playbook, and the audit summary."""

from __future__ import annotations

import re
import subprocess

from helpers import ROOT, keytool_entries, scan_for_secrets


def test_make_demo_converges_two_nodes_and_prints_the_audit(tmp_path):
    run = subprocess.run(['make', 'demo'], capture_output=True, text=True, cwd=str(ROOT), check=False,
                         env={'PATH': '/usr/bin:/bin', 'TMPDIR': str(tmp_path), 'HOME': str(tmp_path),
                              'ANSIBLE_VERBOSITY': '3', 'ANSIBLE_DIFF_ALWAYS': 'true'})
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    sandbox = re.search(r'The sandbox stays in (\S+)', run.stdout).group(1)
    audit = run.stdout.split('PLAY [Audit')[-1]
    primary = re.findall(r'keystore.primary: wso2is.jks \(JKS\), alias wso2is, SHA-256 ([0-9A-F:]+)\.\.\., expires 20',
                         audit)
    tls = re.findall(r'keystore.tls: wso2is.jks \(JKS\), alias wso2is, SHA-256 ([0-9A-F:]+)\.\.\.', audit)
    internal = re.findall(r'keystore.internal: wso2carbon.jks \(JKS\), alias wso2carbon, SHA-256 ([0-9A-F:]+)', audit)
    assert len(primary) == 2 and len(set(primary)) == 1 and primary == tls, audit
    assert len(internal) == 2 and set(internal) != set(primary)
    pack = next(e['sha256'] for e in keytool_entries('%s/pack/wso2carbon.jks' % sandbox, 'wso2carbon'))
    assert pack.startswith(internal[0]) and not pack.startswith(primary[0])
    assert re.search(r'node1\s+: ok=\d+\s+changed=0', audit) and re.search(r'node2\s+: ok=\d+\s+changed=0', audit)
    # no pack password left behind: the internal keystore and the truststore have passwords of their own
    assert 'documented default password' not in audit and 'findings: none' in audit, audit[-3000:]
    inventory = open('%s/inventory.ini' % sandbox).read()
    passwords = set(re.findall(r'_password=(\S+)', inventory))
    assert len(passwords) == 3
    scan_for_secrets(run.stdout + run.stderr, passwords, [sandbox])
