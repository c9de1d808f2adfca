"""playbooks/audit.yml's metrics for node_exporter's textfile collector, judged by Prometheus' own promtool (Debian's
prometheus package): the file passes `promtool check metrics`, each expiry series holds the timestamp keytool prints
as `Valid until`, an unreadable store shows as 0, and the sample alert rules fire on these very series. And the drift
check: a JDK TLS server stands in for a node's HTTPS port, and a node that serves another certificate than its
keystore holds (replaced by hand, not restarted) is a finding and a metric."""

from __future__ import annotations

import calendar
import re
import shutil
import subprocess
import time

from helpers import ROOT, java_class, jdk_tool, keytool, sha256_file
from sandbox import PACK_PASSWORD, SECURITY, build_cluster
from test_audit_report import _audit, _replace_pack_key

PASSWORD = 'Metrics-Pass-2026'
NODES = ['node1', 'node2']
PROMTOOL = shutil.which('promtool')
RULES = ROOT / 'docs' / 'prometheus' / 'carbon_keystores.rules.yml'
# the pack's deployment.toml names wso2carbon.jks for each of them ([keystore.tls] falls back to the primary one)
KEY_PURPOSES = ('primary', 'internal', 'tls')
SERIES = re.compile(r'^(?P<name>[a-z_]+)\{(?P<labels>[^}]*)\} (?P<value>-?\d+)$')


def _series(text):
    """{(name, frozenset of label pairs): value} of an exposition text."""
    found = {}
    for line in text.splitlines():
        match = SERIES.match(line)
        if match:
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match['labels']))
            found[(match['name'], labels)] = int(match['value'])
    return found


def _valid_until(keystore, alias, password=PACK_PASSWORD):
    """keytool's `Valid from: ... until: <date>` of an entry, as a Unix timestamp."""
    listed = keytool('-list', '-v', '-keystore', keystore, '-storepass', password, '-alias', alias).stdout
    until = re.search(r'until: (.+)', listed).group(1).strip()
    return calendar.timegm(time.strptime(until.replace(' UTC ', ' '), '%a %b %d %H:%M:%S %Y'))


def _labels(**labels):
    return frozenset(labels.items())


def test_the_textfile_passes_promtool_holds_keytools_dates_and_shows_what_it_cannot_read(tmp_path):
    assert PROMTOOL, 'Debian\'s prometheus package is needed for promtool (make test installs it)'
    inventory = build_cluster(tmp_path, 'identity_server', NODES, PASSWORD)
    _replace_pack_key(tmp_path / 'node1', 10)  # inside the sample rule's 21 days
    # node2's truststore gets a password its configuration does not know: the audit cannot open it
    keytool('-storepasswd', '-keystore', tmp_path / 'node2' / SECURITY / 'client-truststore.jks',
            '-storepass', PACK_PASSWORD, '-new', 'Not-The-Configured-1')
    metrics_dir = tmp_path / 'metrics'
    metrics_dir.mkdir()
    before = int(time.time())
    run = _audit(inventory, '-e', 'audit_metrics_dir=%s' % metrics_dir, '-e', 'audit_allow_unreadable=true')
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    textfile = metrics_dir / 'carbon_keystores.prom'
    assert oct(textfile.stat().st_mode & 0o777) == '0o644'
    assert [path.name for path in metrics_dir.iterdir()] == ['carbon_keystores.prom'], 'a temporary file was left'
    checked = subprocess.run([PROMTOOL, 'check', 'metrics'], input=textfile.read_text(), capture_output=True,
                             text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    series = _series(textfile.read_text())
    expiry = 'carbon_keystores_certificate_expiration_timestamp_seconds'
    for node in NODES:
        security = tmp_path / node / SECURITY
        for purpose in KEY_PURPOSES:
            labels = _labels(node=node, product='identity_server', purpose=purpose, alias='wso2carbon')
            assert series[(expiry, labels)] == _valid_until(security / 'wso2carbon.jks', 'wso2carbon'), (node, purpose)
        assert series[('carbon_keystores_node_readable', _labels(node=node, product='identity_server'))] == 1
    keyed = {dict(labels)['purpose'] for (name, labels) in series if name == expiry}
    assert keyed == set(KEY_PURPOSES) | {'truststore'}, keyed
    trusted = _labels(node='node1', product='identity_server', purpose='truststore', alias='wso2carbon')
    assert series[(expiry, trusted)] == _valid_until(tmp_path / 'node1' / SECURITY / 'client-truststore.jks',
                                                     'wso2carbon')
    readable = 'carbon_keystores_store_readable'
    assert series[(readable, _labels(node='node1', product='identity_server', purpose='truststore'))] == 1
    assert series[(readable, _labels(node='node2', product='identity_server', purpose='truststore'))] == 0
    assert not [labels for (name, labels) in series if name == expiry and ('node', 'node2') in labels
                and ('purpose', 'truststore') in labels], 'a store the audit could not open has no known dates'
    audited = re.search(r'^carbon_keystores_audit_timestamp_seconds (\d+)$', textfile.read_text(), re.M)
    assert audited and before <= int(audited.group(1)) <= int(time.time())

    # the sample rules, evaluated by promtool over these very series: node1's key (10 days left, for each key
    # purpose) fires the expiry alert, node2's truststore the unreadable one, nothing else (the rest has ten years)
    expiring = ''.join(
        '          - exp_labels: {severity: warning, node: node1, product: identity_server, purpose: %s, alias: wso2carbon}\n'
        '            exp_annotations:\n'
        '              summary: "node1: %s certificate wso2carbon expires within 21 days"\n'
        '              description: "The identity_server node node1 holds, for %s, the certificate wso2carbon, which '
        'expires within 21 days. Renew it (rotate.yml) before then."\n' % (purpose, purpose, purpose)
        for purpose in sorted(KEY_PURPOSES))
    _promtool_test_rules(tmp_path, series, int(audited.group(1)), {
        'CarbonKeystoreCertificateExpiresSoon': expiring,
        'CarbonKeystoreUnreadable':
            '          - exp_labels: {severity: critical, node: node2, product: identity_server, purpose: truststore}\n'
            '            exp_annotations:\n'
            '              summary: "node2: the audit cannot read truststore"\n'
            '              description: "The audit could not open a store of node2 (missing, or a password it lacks), '
            'or the node\'s home: its expiry is unknown. See the audit\'s report for the reason."\n',
        'CarbonKeystoreCertificateExpired': None})


def _promtool_test_rules(tmp_path, series, audited_at, alerts):
    """`promtool test rules` of the sample rules over the gauges an audit wrote, held for three hours, evaluated after
    two: ``alerts`` {alert name: the YAML of its exp_alerts, None for none}."""
    lines = []
    for (name, labels), value in sorted(series.items(), key=str):
        shifted = value - audited_at if name.endswith('_timestamp_seconds') else value  # promtool's clock starts at 0
        lines.append("      - series: '%s{%s}'\n        values: '%d+0x180'\n" % (
            name, ','.join('%s="%s"' % pair for pair in sorted(labels)), shifted))
    tests = ''.join('      - eval_time: 2h\n        alertname: %s\n        exp_alerts:%s\n' % (
        name, ' []' if expected is None else '\n' + expected.rstrip('\n')) for name, expected in alerts.items())
    test_file = tmp_path / 'rules_test.yml'
    test_file.write_text('rule_files:\n  - %s\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n%s'
                         '    alert_rule_test:\n%s' % (RULES, ''.join(lines), tests))
    tested = subprocess.run([PROMTOOL, 'test', 'rules', str(test_file)], capture_output=True, text=True, check=False)
    assert tested.returncode == 0, tested.stdout + tested.stderr + test_file.read_text()


def _serve(tmp_path, keystore):
    """A JDK TLS server standing in for the node's HTTPS port, serving the pack key as the file holds it now."""
    server = subprocess.Popen([jdk_tool('java'), '-cp', str(java_class('TlsServe', tmp_path)), 'TlsServe', str(keystore),
                               'JKS', PACK_PASSWORD, PACK_PASSWORD, 'wso2carbon'],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    assert line.startswith('SERVING '), line
    return server, int(line.split()[1])


def test_a_node_serving_another_certificate_than_its_keystore_holds_is_a_finding_and_a_metric(tmp_path):
    inventory = build_cluster(tmp_path, 'identity_server', NODES, PASSWORD)
    servers = {}
    try:
        for node in NODES:
            servers[node] = _serve(tmp_path, tmp_path / node / SECURITY / 'wso2carbon.jks')
        # node2's keystore replaced by hand while it runs: the server still serves the key it read at its start
        before = sha256_file(tmp_path / 'node2' / SECURITY / 'wso2carbon.jks')
        _replace_pack_key(tmp_path / 'node2', 365)
        assert sha256_file(tmp_path / 'node2' / SECURITY / 'wso2carbon.jks') != before
        text = inventory.read_text()
        for node, (_server, port) in servers.items():
            text = text.replace('%s identity_server_home=' % node,
                                '%s ansible_host=127.0.0.1 identity_server_https_port=%d identity_server_home=' % (node, port))
        inventory.write_text(text)
        metrics_dir = tmp_path / 'metrics'
        metrics_dir.mkdir()
        run = _audit(inventory, '-e', 'audit_metrics_dir=%s' % metrics_dir)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert 'finding: The server at 127.0.0.1:%d serves the certificate' % servers['node2'][1] in run.stdout
        assert 'finding: The server at 127.0.0.1:%d' % servers['node1'][1] not in run.stdout
        series = _series((metrics_dir / 'carbon_keystores.prom').read_text())
        matches = 'carbon_keystores_served_certificate_matches'
        assert series[(matches, _labels(node='node1', product='identity_server'))] == 1
        assert series[(matches, _labels(node='node2', product='identity_server'))] == 0
        findings = _labels(node='node2', product='identity_server', code='served_certificate_differs', severity='error')
        assert series[('carbon_keystores_findings', findings)] == 1
        _promtool_test_rules(tmp_path, series, int(time.time()), {  # the rule reads no timestamp
            'CarbonKeystoreServedCertificateDiffers':
                '          - exp_labels: {severity: warning, node: node2, product: identity_server}\n'
                '            exp_annotations:\n'
                '              summary: "node2 serves another certificate than its keystore holds"\n'
                '              description: "The identity_server node node2 serves on its HTTPS port a certificate that '
                'is not the one its configuration names: restart it after a keystore change, or find who replaced the '
                'keystore."\n'})

        # the node restarted: it serves what its file holds, and the finding is gone
        servers['node2'][0].kill()
        servers['node2'][0].wait()
        servers['node2'] = _serve(tmp_path, tmp_path / 'node2' / SECURITY / 'wso2carbon.jks')
        inventory.write_text(re.sub(r'(node2 ansible_host=127.0.0.1 identity_server_https_port=)\d+',
                                    r'\g<1>%d' % servers['node2'][1], inventory.read_text()))
        again = _audit(inventory, '-e', 'audit_metrics_dir=%s' % metrics_dir)
        assert again.returncode == 0 and 'serves the certificate' not in again.stdout, again.stdout[-3000:]
        series = _series((metrics_dir / 'carbon_keystores.prom').read_text())
        assert series[(matches, _labels(node='node2', product='identity_server'))] == 1

        # nothing listening: a finding of its own, never a match or a mismatch
        servers['node1'][0].kill()
        servers['node1'][0].wait()
        stopped = _audit(inventory, '-e', 'audit_metrics_dir=%s' % metrics_dir)
        assert 'finding: Nothing served TLS at 127.0.0.1:%d' % servers['node1'][1] in stopped.stdout
        series = _series((metrics_dir / 'carbon_keystores.prom').read_text())
        assert (matches, _labels(node='node1', product='identity_server')) not in series
    finally:
        for server, _port in servers.values():
            server.kill()
            server.wait()
