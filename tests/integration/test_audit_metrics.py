"""playbooks/audit.yml's metrics for node_exporter's textfile collector, judged by Prometheus' own promtool (Debian's
prometheus package): the file passes `promtool check metrics`, each expiry series holds the timestamp keytool prints
as `Valid until`, an unreadable store shows as 0, and the sample alert rules fire on these very series."""

from __future__ import annotations

import calendar
import re
import shutil
import subprocess
import time

from helpers import ROOT, keytool
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
    at = int(audited.group(1))
    lines = []
    for (name, labels), value in sorted(series.items(), key=str):
        if name in (expiry, readable):
            shifted = value - at if name == expiry else value  # promtool's evaluation clock starts at 0
            lines.append("      - series: '%s{%s}'\n        values: '%d+0x180'\n" % (
                name, ','.join('%s="%s"' % pair for pair in sorted(labels)), shifted))
    expiring = ''.join(
        '          - exp_labels: {severity: warning, node: node1, product: identity_server, purpose: %s, alias: wso2carbon}\n'
        '            exp_annotations:\n'
        '              summary: "node1: %s certificate wso2carbon expires within 21 days"\n'
        '              description: "The identity_server node node1 holds, for %s, the certificate wso2carbon, which '
        'expires within 21 days. Renew it (rotate.yml) before then."\n' % (purpose, purpose, purpose)
        for purpose in sorted(KEY_PURPOSES))
    test_file = tmp_path / 'rules_test.yml'
    test_file.write_text(
        'rule_files:\n  - %s\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n%s'
        '    alert_rule_test:\n'
        '      - eval_time: 2h\n        alertname: CarbonKeystoreCertificateExpiresSoon\n        exp_alerts:\n%s'
        '      - eval_time: 2h\n        alertname: CarbonKeystoreUnreadable\n        exp_alerts:\n'
        '          - exp_labels: {severity: critical, node: node2, product: identity_server, purpose: truststore}\n'
        '            exp_annotations:\n'
        '              summary: "node2: the audit cannot read truststore"\n'
        '              description: "The audit could not open a store of node2 (missing, or a password it lacks), or '
        'the node\'s home: its expiry is unknown. See the audit\'s report for the reason."\n'
        '      - eval_time: 2h\n        alertname: CarbonKeystoreCertificateExpired\n        exp_alerts: []\n'
        % (RULES, ''.join(lines), expiring))
    tested = subprocess.run([PROMTOOL, 'test', 'rules', str(test_file)], capture_output=True, text=True, check=False)
    assert tested.returncode == 0, tested.stdout + tested.stderr + test_file.read_text()
