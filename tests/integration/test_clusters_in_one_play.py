"""Several clusters in one play (<role>_cluster), as an AWX job over a whole inventory runs them: each cluster gets
one key of its own, named after its own nodes, and its truststores trust its own certificate and not the other
cluster's; judged by keytool and by JDK TLS handshakes."""

from __future__ import annotations

from pathlib import Path

from helpers import keytool_entries, tls_handshake
from sandbox import build_cluster
from test_roles import PASSWORD, play, recap, tls_settings

PRODUCT = 'identity_server'
CLUSTERS = {'east': ['east1', 'east2', 'east3'], 'west': ['west1', 'west2']}


def _name_clusters(inventory):
    lines = []
    for line in Path(inventory).read_text().splitlines():
        name = line.split(' ', 1)[0]
        cluster = next((cluster for cluster, nodes in CLUSTERS.items() if name in nodes), None)
        lines.append(line + (' %s_cluster=%s' % (PRODUCT, cluster) if cluster else ''))
    Path(inventory).write_text('\n'.join(lines) + '\n')


def test_one_play_converges_two_clusters_each_with_its_own_key_and_trust(tmp_path):
    nodes = [node for members in CLUSTERS.values() for node in members]
    inventory = build_cluster(tmp_path, PRODUCT, nodes, PASSWORD)
    _name_clusters(inventory)

    check = play(inventory, PRODUCT, '--check', '--diff')
    first = play(inventory, PRODUCT)
    assert {node: counts['changed'] for node, counts in recap(check.stdout).items()} == \
        {node: counts['changed'] for node, counts in recap(first.stdout).items()}, 'check mode predicts the run'
    rerun = play(inventory, PRODUCT)
    assert {node: counts['changed'] for node, counts in recap(rerun.stdout).items()} == dict.fromkeys(nodes, 0)

    served = {}
    for cluster, members in CLUSTERS.items():
        for node in members:
            tls, _data = tls_settings(tmp_path / node, PRODUCT)
            ok, fingerprint = tls_handshake(tmp_path, tls['keystore'], tls['type'], tls['password'],
                                            tls['key_password'], tls['truststore'], tls['truststore_type'],
                                            tls['truststore_password'])
            assert ok, fingerprint
            served.setdefault(cluster, set()).add(fingerprint)
            (entry,) = [entry for entry in keytool_entries(tls['keystore'], tls['password'])
                        if entry['alias'] == tls['alias']]
            # the default subject alternative names are the cluster's own nodes
            for other in nodes:
                assert ('DNSName: %s\n' % other in entry['block'] + '\n') == (other in members), (other, entry['block'])
    assert all(len(fingerprints) == 1 for fingerprints in served.values()), served
    assert served['east'] != served['west'], 'each cluster has a key of its own'

    # a west node's truststore does not trust the east cluster's certificate, and the other way round
    east, west = tls_settings(tmp_path / 'east1', PRODUCT)[0], tls_settings(tmp_path / 'west1', PRODUCT)[0]
    for server, client in ((east, west), (west, east)):
        ok, failure = tls_handshake(tmp_path, server['keystore'], server['type'], server['password'],
                                    server['key_password'], client['truststore'], client['truststore_type'],
                                    client['truststore_password'])
        assert not ok, 'a truststore trusts the other cluster: %s' % failure
