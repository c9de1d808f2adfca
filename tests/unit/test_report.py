"""wso2/report.py on its own: the audit report from real homes whose keys expire at different times, the
rows due within some days, the self-contained page and the summary lines."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.carbon.keystores.plugins.module_utils.tasks import keystore as keystore_task
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import report
from homes import PACK_PASSWORD, SECURITY, inspect, node, params

NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.timezone.utc)


def _pack_key_valid(home, days, issued_days_ago=0):
    """Replace the pack key of ``home`` with one whose certificate runs ``days`` days from its issue."""
    path = home / SECURITY / 'wso2carbon.jks'
    options = params(keystore_task, path=str(path), password=PACK_PASSWORD, alias='wso2carbon', subject='CN=%s' % home.name,
                     valid_days=days, regenerate='always')
    outcome = keystore_task.run(path.read_bytes(), options, str(path), now=NOW - datetime.timedelta(days=issued_days_ago))
    path.write_bytes(outcome.data)


@pytest.fixture()
def nodes(tmp_path):
    homes = {name: node(tmp_path, 'identity_server', name) for name in ('n1', 'n2', 'n3')}
    _pack_key_valid(homes['n2'], 10)
    _pack_key_valid(homes['n3'], 30, issued_days_ago=60)
    return {name: ('identity_server', inspect(home, 'identity_server', now=NOW)) for name, home in homes.items()}


def test_each_purpose_of_each_node_is_a_row_with_its_expiry_state(nodes):
    data = report.build(nodes, warn_days=30, now=NOW)
    assert data['generated'] == '2026-12-02T12:00:00Z' and [h['host'] for h in data['hosts']] == ['n1', 'n2', 'n3']
    states = {h['host']: {row['purpose']: row['state'] for row in h['rows']} for h in data['hosts']}
    assert states['n1'] == {'primary': 'ok', 'internal': 'ok', 'tls': 'ok', 'truststore': 'ok'}
    assert states['n2']['primary'] == 'expiring' and states['n3']['primary'] == 'expired'
    days = {item['host']: item['days_left'] for item in data['expiring'] if item['purpose'] == 'primary'}
    assert days == {'n2': 10, 'n3': -30}
    assert [item['host'] for item in data['expiring']][0] == 'n3', 'the most urgent first'
    truststore = next(row for row in data['hosts'][0]['rows'] if row['purpose'] == 'truststore')
    assert truststore['subject'].startswith('1 trusted certificate; first to expire: ')


@pytest.mark.parametrize('days, hosts', [(5, {'n3'}), (20, {'n2', 'n3'}), (0, {'n3'})])
def test_rows_due_within_some_days(nodes, days, hosts):
    data = report.build(nodes, warn_days=30, now=NOW)
    assert {item['host'] for item in report.expiring_within(data, days)} == hosts


def test_the_page_is_self_contained_and_marks_what_expires(nodes):
    page = report.render_html(report.build(nodes, warn_days=30, now=NOW))
    assert page.startswith('<!DOCTYPE html>') and '<script' not in page and 'http' not in page.split('</style>', maxsplit=1)[0]
    assert [line for line in page.splitlines() if line.startswith('<h2 id=')] and page.count('<tr class="expired">') == 3
    assert page.count('<tr class="expiring">') == 3 and 'wso2carbon.jks' in page


def test_a_node_that_could_not_be_read_stays_in_the_report_with_its_sentence():
    data = report.build({'n9': ('api_manager', {'msg': '/opt/x has no API Manager configuration file'})}, now=NOW)
    assert data['hosts'][0]['error'] == '/opt/x has no API Manager configuration file'
    assert 'has no API Manager configuration file' in report.render_html(data)


def test_the_summary_line_names_file_type_alias_fingerprint_and_expiry(nodes):
    purpose = nodes['n2'][1]['purposes']['primary']
    line = report.summary_line(purpose)
    assert line.startswith('keystore.primary: wso2carbon.jks (JKS), alias wso2carbon, SHA-256 ')
    assert line.endswith('(10 days)') and purpose['fingerprint_sha256'][:23] in line
    assert report.summary_line({'table': 'truststore', 'file_name': 'x.jks', 'keystore_status': 'missing'}) == \
        'truststore: x.jks, missing'


def test_the_summary_has_a_line_per_store_read_from_a_table_of_its_own(tmp_path):
    home = node(tmp_path, 'identity_server', 'n1')
    info = inspect(home, 'identity_server', now=NOW)
    # the signing keystores that only fall back to the primary one, and the tenant table, have no line
    assert [line.split(':')[0] for line in report.summary_lines(info)] == [
        'keystore.primary', 'keystore.internal', 'keystore.tls', 'truststore']
    config = home / 'repository' / 'conf' / 'deployment.toml'
    config.write_text(config.read_text() + '\n[keystore.saml]\nfile_name = "wso2carbon.jks"\npassword = "wso2carbon"\n'
                      'alias = "wso2carbon"\nkey_password = "wso2carbon"\n')
    lines = report.summary_lines(inspect(home, 'identity_server', now=NOW))
    assert [line for line in lines if line.startswith('keystore.saml: wso2carbon.jks (JKS), alias wso2carbon, SHA-256')]


def test_the_metrics_give_each_key_its_dates_and_escape_what_a_host_name_may_hold(nodes):
    import calendar
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import metrics
    odd = 'n"4\\x'  # an inventory alias may hold a quote or a backslash: Prometheus' text format escapes both
    nodes = dict(nodes, **{odd: ('identity_server', {'msg': 'unreachable'})})
    text = metrics.textfile(nodes, now=NOW)
    expiry = ('carbon_keystores_certificate_expiration_timestamp_seconds{alias="wso2carbon",node="n2",'
              'product="identity_server",purpose="primary"} %d')
    ten_days = calendar.timegm((NOW + datetime.timedelta(days=10)).utctimetuple())
    assert expiry % ten_days in text.splitlines()
    assert 'carbon_keystores_node_readable{node="n\\"4\\\\x",product="identity_server"} 0' in text.splitlines()
    assert text.splitlines()[-1] == 'carbon_keystores_audit_timestamp_seconds %d' % calendar.timegm(NOW.utctimetuple())
    assert text.endswith('\n') and text == metrics.textfile(nodes, now=NOW), 'the same estate gives the same bytes'
