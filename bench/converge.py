"""The Identity Server role on 1 to 50 sandbox hosts against Ansible's own floor; one table and a plot.

For each number of hosts and each fork count: the role's first run (on fresh sandbox homes), its
no-op rerun, and the floor (bench/floor.yml: one ansible.builtin.stat per file the role manages),
each timed --runs times on the same hosts in the same run; the table shows medians, seconds per
host and the ratio to the floor. The role runs with carbon_keystores_local_reads=false, so every
read is a remote_files module run as over SSH, like the floor's stats; one more no-op rerun with
the default (files read in the controller's process on a local connection) is shown beside it. Key pairs generated in each first run are counted (a callback
counts the keystore results that say so; every node's TLS fingerprint is read back as well).

Usage: .venv/bin/python bench/converge.py [--hosts 1 5 20 50] [--forks 5 10] [--runs 3]
[--readme bench/README.md] [--plot bench/converge.png]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests'))
sys.path.insert(0, str(ROOT / 'bench'))

import jks  # noqa: E402  (pyjks, from .venv)

from sandbox import build_cluster  # noqa: E402
from report import publish  # noqa: E402

PLAYBOOK = ROOT / 'playbooks' / 'identity_server.yml'
FLOOR = ROOT / 'bench' / 'floor.yml'
PASSWORD = 'bench-keystore-secret'


# Every read a module run, as on hosts reached over SSH: what the floor's stats are compared with.
AS_OVER_SSH = {'carbon_keystores_local_reads': 'false'}


def run_playbook(inventory, playbook, forks, count_file=None, extra_args=()):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_FORKS=str(forks),
               ANSIBLE_CALLBACK_PLUGINS=str(ROOT / 'bench' / 'callback_plugins'),
               ANSIBLE_CALLBACKS_ENABLED='keygen_count', ANSIBLE_HOST_KEY_CHECKING='False')
    if count_file:
        env['CARBON_KEYGEN_COUNT_FILE'] = str(count_file)
    start = time.perf_counter()
    run = subprocess.run([str(ROOT / '.venv' / 'bin' / 'ansible-playbook'), '-i', str(inventory), str(playbook),
                          *extra_args],
                         capture_output=True, text=True, env=env, cwd=str(ROOT), check=False)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit('failed: %s\n%s%s' % (playbook, run.stdout[-4000:], run.stderr[-2000:]))
    changed = sum(int(n) for n in re.findall(r'changed=(\d+)', run.stdout.split('PLAY RECAP')[-1]))
    return elapsed, changed


def tls_fingerprints(root, nodes):
    """Every node's TLS key, read back from the files the role wrote."""
    seen = set()
    for name in nodes:
        store = jks.KeyStore.load(str(root / name / 'repository/resources/security/wso2is.jks'), PASSWORD)
        seen.add(store.private_keys['wso2is'].cert_chain[0][1])
    return seen


def node_names(count):
    return ['node%02d' % number for number in range(1, count + 1)]


def measure(hosts, forks, runs, work):
    rows = []
    for count in hosts:
        nodes = node_names(count)
        for fork_count in forks:
            firsts, reruns, local_reruns, floors, generated = [], [], [], [], []
            for number in range(runs):
                root = work / ('h%d-f%d-r%d' % (count, fork_count, number))
                inventory = build_cluster(root, 'identity_server', nodes, PASSWORD, extra_vars=AS_OVER_SSH)
                count_file = root / 'keygen.count'
                elapsed, _changed = run_playbook(inventory, PLAYBOOK, fork_count, count_file)
                firsts.append(elapsed)
                generated.append(int(count_file.read_text()))
                if len(tls_fingerprints(root, nodes)) != 1:
                    raise SystemExit('nodes do not share one TLS key after the first run (%d hosts)' % count)
                elapsed, changed = run_playbook(inventory, PLAYBOOK, fork_count)
                if changed:
                    raise SystemExit('the rerun changed %d things on %d hosts; it must change nothing' % (changed, count))
                reruns.append(elapsed)
                elapsed, changed = run_playbook(inventory, PLAYBOOK, fork_count,
                                                extra_args=('-e', 'carbon_keystores_local_reads=true'))
                if changed:
                    raise SystemExit('the rerun read in-process changed %d things on %d hosts' % (changed, count))
                local_reruns.append(elapsed)
                floors.append(run_playbook(inventory, FLOOR, fork_count)[0])
                shutil.rmtree(root)
            row = {'hosts': count, 'forks': fork_count, 'first': statistics.median(firsts),
                   'rerun': statistics.median(reruns), 'floor': statistics.median(floors),
                   'local_rerun': statistics.median(local_reruns),
                   'keys': sorted(set(generated))}
            rows.append(row)
            print('%3d hosts, forks %2d: first %6.2f s, rerun %6.2f s (read in-process %6.2f s), floor %6.2f s, '
                  'key pairs generated %s' % (count, fork_count, row['first'], row['rerun'], row['local_rerun'],
                                              row['floor'], row['keys']), flush=True)
    return rows


def table(rows, runs):
    lines = ['| hosts | forks | floor (s) | no-op rerun (s) | rerun / floor | first run (s) | first / floor '
             '| rerun s/host | first s/host | key pairs generated | no-op rerun, read in-process (s) |',
             '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    for row in rows:
        lines.append('| %d | %d | %.2f | %.2f | %.2fx | %.2f | %.2fx | %.3f | %.3f | %s | %.2f |' % (
            row['hosts'], row['forks'], row['floor'], row['rerun'], row['rerun'] / row['floor'], row['first'],
            row['first'] / row['floor'], row['rerun'] / row['hosts'], row['first'] / row['hosts'],
            ', '.join(str(n) for n in row['keys']), row['local_rerun']))
    return ('Median of %d runs each; every first run on fresh sandbox homes. The role reads through remote_files '
            'module runs (carbon_keystores_local_reads=false), as over SSH; the last column is the default on a '
            'local connection.\n\n%s' % (runs, '\n'.join(lines)))


def plot(rows, target):
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(8, 5))
    for fork_count in sorted({row['forks'] for row in rows}):
        mine = [row for row in rows if row['forks'] == fork_count]
        hosts = [row['hosts'] for row in mine]
        for key, label, style in (('first', 'role, first run', '-o'), ('rerun', 'role, no-op rerun', '-s'),
                                  ('floor', 'floor (one stat per file)', '--^'),
                                  ('local_rerun', 'role, no-op rerun read in-process', ':d')):
            axes.plot(hosts, [row[key] for row in mine], style, label='%s, forks %d' % (label, fork_count))
    axes.set_xlabel('hosts')
    axes.set_ylabel('seconds (median)')
    axes.set_title('carbon.keystores.identity_server against Ansible\'s floor')
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(target, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', type=int, nargs='+', default=[1, 5, 20, 50])
    parser.add_argument('--forks', type=int, nargs='+', default=[5, 10])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--readme', help='replace the converge section of this README with the new table')
    parser.add_argument('--plot', default=str(ROOT / 'bench' / 'converge.png'))
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix='carbon-converge-'))
    try:
        rows = measure(options.hosts, options.forks, options.runs, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    plot(rows, options.plot)
    text = table(rows, options.runs)
    publish('converge', text, options.readme)


if __name__ == '__main__':
    main()
