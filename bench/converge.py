"""The Identity Server role on sandbox hosts against Ansible's own floor, over two transports; one table, a plot.

For each transport, number of hosts and fork count: the role's first run (on fresh sandbox homes), its
no-op rerun, and the floor (bench/floor.yml: one ansible.builtin.stat per file the role manages),
each timed --runs times on the same hosts in the same run; the table shows medians, seconds per
host and the ratio to the floor.

- local: every host a local connection. The role runs with carbon_keystores_local_reads=false, so every
  read is a remote_files module run, like the floor's stats; one more no-op rerun with the default (files
  read in the controller's process) is shown beside it.
- ssh: every host an alias of 127.0.0.1 behind a real sshd (tests/ssh.py), logged in as an unprivileged
  account that becomes wso2 with sudo, pipelining on, ControlPersist on with one master per host; each
  playbook run starts from cold connections, as a Tower job does. Needs root (it makes the accounts).

Key pairs generated in each first run are counted (a callback counts the keystore results that say so;
every node's TLS key is read back as well).

Estate mode (--estate): clusters of ten nodes, Identity Server and API Manager in turn, over SSH as above, every
cluster of a product in one play (<role>_cluster), bench/estate.yml against bench/estate_floor.yml on the same hosts;
the controller's memory is sampled from /proc while each playbook runs: the proportional set size (PSS) of the whole
ansible-playbook process tree (the main process, its forks, their ssh clients), so that pages the forks share are
counted once.

Usage: .venv/bin/python bench/converge.py [--transports local ssh] [--hosts 1 5 20 50] [--ssh-hosts 1 5 20]
[--forks 5 10] [--runs 3] [--readme bench/README.md] [--plot bench/converge.png]
       .venv/bin/python bench/converge.py --estate [--estate-hosts 20 50 100] [--estate-forks 10 25] [--runs 1]
[--readme bench/README.md] [--plot bench/estate.png]
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
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests'))
sys.path.insert(0, str(ROOT / 'bench'))

import jks  # noqa: E402  (pyjks, from .venv)

from sandbox import build_cluster, build_node  # noqa: E402
from report import publish  # noqa: E402

PLAYBOOK = ROOT / 'playbooks' / 'identity_server.yml'
FLOOR = ROOT / 'bench' / 'floor.yml'
ESTATE = ROOT / 'bench' / 'estate.yml'
ESTATE_FLOOR = ROOT / 'bench' / 'estate_floor.yml'
CLUSTER_SIZE = 10
# the estate's products in turn, and the file and alias of each one's cluster keystore (the roles' defaults)
ESTATE_PRODUCTS = (('identity_server', 'wso2is'), ('api_manager', 'wso2am'))
PASSWORD = 'bench-keystore-secret'


# Every read a module run, as on hosts reached over SSH: what the floor's stats are compared with.
AS_OVER_SSH = {'carbon_keystores_local_reads': 'false'}


class TreeMemory:
    """Samples, while a process runs, the summed PSS of it and all its descendants (/proc/<pid>/smaps_rollup);
    ``peak`` is the highest sum seen, in bytes."""

    def __init__(self, pid, interval=0.2):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self):
        children = {}
        for entry in os.listdir('/proc'):
            if entry.isdigit():
                try:
                    parent = int(Path('/proc/%s/stat' % entry).read_text().rsplit(')', 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(parent, []).append(int(entry))
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        return tree

    def _run(self):
        while not self._done.is_set():
            total = 0
            for pid in self._tree():
                try:
                    rollup = Path('/proc/%d/smaps_rollup' % pid).read_text()
                except OSError:
                    continue
                total += sum(int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith('Pss:'))
            self.peak = max(self.peak, total)
            self._done.wait(self.interval)

    def stop(self):
        self._done.set()
        self._thread.join()
        return self.peak


def run_playbook(inventory, playbook, forks, count_file=None, extra_args=(), transport='local', work=None,
                 memory=None):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_FORKS=str(forks),
               ANSIBLE_CALLBACK_PLUGINS=str(ROOT / 'bench' / 'callback_plugins'),
               ANSIBLE_CALLBACKS_ENABLED='keygen_count', ANSIBLE_HOST_KEY_CHECKING='False')
    if count_file:
        env['CARBON_KEYGEN_COUNT_FILE'] = str(count_file)
    if transport == 'ssh':
        # pipelining and ControlPersist, one master per host, cold at the start of every run (as a Tower job is)
        control = Path(tempfile.mkdtemp(prefix='cp-', dir=str(work)))
        env.update(ANSIBLE_PIPELINING='True', ANSIBLE_SSH_ARGS='-o ControlMaster=auto -o ControlPersist=60s',
                   CARBON_BENCH_CONTROL=str(control))
    start = time.perf_counter()
    with tempfile.TemporaryFile('w+') as out, tempfile.TemporaryFile('w+') as err:
        process = subprocess.Popen([str(ROOT / '.venv' / 'bin' / 'ansible-playbook'), '-i', str(inventory),
                                    str(playbook), *extra_args], stdout=out, stderr=err, text=True, env=env,
                                   cwd=str(ROOT))
        sampler = TreeMemory(process.pid) if memory is not None else None
        process.wait()
        elapsed = time.perf_counter() - start
        if sampler is not None:
            memory.append(sampler.stop())
        out.seek(0)
        err.seek(0)
        run = subprocess.CompletedProcess(process.args, process.returncode, out.read(), err.read())
    if transport == 'ssh':
        subprocess.run(['pkill', '-f', 'ControlPath=%s' % control], check=False)
        shutil.rmtree(control, ignore_errors=True)
    if run.returncode != 0 or 'no hosts matched' in run.stdout:
        raise SystemExit('failed: %s\n%s%s' % (playbook, run.stdout[-4000:], run.stderr[-2000:]))
    changed = sum(int(n) for n in re.findall(r'changed=(\d+)', run.stdout.split('PLAY RECAP')[-1]))
    return elapsed, changed


def tls_fingerprints(homes, nodes):
    """Every node's TLS key, read back from the files the role wrote."""
    seen = set()
    for name in nodes:
        store = jks.KeyStore.load(str(homes / name / 'repository/resources/security/wso2is.jks'), PASSWORD)
        seen.add(store.private_keys['wso2is'].cert_chain[0][1])
    return seen


def node_names(count):
    return ['node%02d' % number for number in range(1, count + 1)]


class LocalHosts:
    """Sandbox homes in a temporary folder, each host a local connection."""

    name = 'local'

    def __init__(self, work):
        self.work = work

    def cluster(self, label, nodes):
        root = self.work / label
        return root, build_cluster(root, 'identity_server', nodes, PASSWORD, extra_vars=AS_OVER_SSH)

    def close(self):
        pass


class SshHosts:
    """Sandbox homes owned by wso2 behind one real sshd on loopback (tests/ssh.py)."""

    name = 'ssh'

    def __init__(self, work):
        import ssh
        reason = ssh.why_not()
        if reason:
            raise SystemExit('the ssh transport cannot run here: %s' % reason)
        ssh.prepare_machine()
        self.ssh = ssh
        self.work = work
        self.fleet = ssh.Fleet().start()

    def cluster(self, label, nodes):
        root = self.fleet.homes / label
        for name in nodes:
            build_node(root, 'identity_server', name, root / 'pack')
        self.fleet.give_to_product_user()
        homes = {name: '~/%s/%s/%s' % (self.fleet.relative, label, name) for name in nodes}
        # a ControlPersist master of its own per host, as separate machines would have
        variables = {'identity_server_keystore_password': PASSWORD,
                     'ansible_control_path_dir': "{{ lookup('env', 'CARBON_BENCH_CONTROL') }}/{{ inventory_hostname }}"}
        inventory = self.ssh.inventory(self.work / ('%s.ini' % label), 'identity_server', nodes, self.fleet, homes,
                                       variables)
        return root, inventory

    def close(self):
        self.fleet.stop()


def measure(hosts_by_transport, forks, runs, work):
    rows = []
    for transport, hosts in hosts_by_transport:
        place = (LocalHosts if transport == 'local' else SshHosts)(work)
        try:
            for count in hosts:
                nodes = node_names(count)
                for fork_count in forks:
                    rows.append(_measure_one(place, count, nodes, fork_count, runs, work))
        finally:
            place.close()
    return rows


def _measure_one(place, count, nodes, fork_count, runs, work):
    transport = place.name
    firsts, reruns, local_reruns, floors, generated = [], [], [], [], []
    for number in range(runs):
        root, inventory = place.cluster('%s-h%d-f%d-r%d' % (transport, count, fork_count, number), nodes)
        count_file = work / ('keygen-%s-%d-%d-%d.count' % (transport, count, fork_count, number))
        elapsed, _changed = run_playbook(inventory, PLAYBOOK, fork_count, count_file, transport=transport, work=work)
        firsts.append(elapsed)
        generated.append(int(count_file.read_text()))
        if len(tls_fingerprints(root, nodes)) != 1:
            raise SystemExit('nodes do not share one TLS key after the first run (%d hosts)' % count)
        elapsed, changed = run_playbook(inventory, PLAYBOOK, fork_count, transport=transport, work=work)
        if changed:
            raise SystemExit('the rerun changed %d things on %d hosts; it must change nothing' % (changed, count))
        reruns.append(elapsed)
        if transport == 'local':
            elapsed, changed = run_playbook(inventory, PLAYBOOK, fork_count,
                                            extra_args=('-e', 'carbon_keystores_local_reads=true'))
            if changed:
                raise SystemExit('the rerun read in-process changed %d things on %d hosts' % (changed, count))
            local_reruns.append(elapsed)
        floors.append(run_playbook(inventory, FLOOR, fork_count, transport=transport, work=work)[0])
        shutil.rmtree(root)
    row = {'transport': transport, 'hosts': count, 'forks': fork_count, 'first': statistics.median(firsts),
           'rerun': statistics.median(reruns), 'floor': statistics.median(floors),
           'local_rerun': statistics.median(local_reruns) if local_reruns else None,
           'keys': sorted(set(generated))}
    print('%s: %3d hosts, forks %2d: first %6.2f s, rerun %6.2f s, floor %6.2f s, key pairs generated %s' % (
        transport, count, fork_count, row['first'], row['rerun'], row['floor'], row['keys']), flush=True)
    return row


class Estate:
    """``count`` SSH hosts in clusters of CLUSTER_SIZE, the products in turn, behind the SshHosts sshd."""

    def __init__(self, place, count, label):
        self.place, self.root = place, place.fleet.homes / label
        self.clusters = {}  # cluster name: (product, alias, nodes)
        for number in range(count // CLUSTER_SIZE):
            product, alias = ESTATE_PRODUCTS[number % len(ESTATE_PRODUCTS)]
            name = 'c%02d' % (number + 1)
            nodes = ['%sn%02d' % (name, node) for node in range(1, CLUSTER_SIZE + 1)]
            self.clusters[name] = (product, alias, nodes)
            for node in nodes:
                build_node(self.root, product, node, self.root / 'pack')
        place.fleet.give_to_product_user()
        self.inventory = self._inventory(place.work / ('%s.ini' % label), label)

    def _inventory(self, path, label):
        fleet = self.place.fleet
        lines = []
        for product, _alias in ESTATE_PRODUCTS:
            lines.append('[%s]' % product)
            for name, (owner, alias, nodes) in self.clusters.items():
                if owner != product:
                    continue
                for node in nodes:
                    home = '~/%s/%s/%s' % (fleet.relative, label, node)
                    lines.append('%s %s_home=%s %s_cluster=%s bench_home=%s bench_keystore=%s.jks' % (
                        node, product, home, product, name, home, alias))
            lines += ['', '[%s:vars]' % product, '%s_keystore_password=%s' % (product, PASSWORD)]
            lines += ['%s=%s' % item for item in fleet.ssh_vars().items()]
            # a ControlPersist master of its own per host, as separate machines would have
            lines += ["ansible_control_path_dir={{ lookup('env', 'CARBON_BENCH_CONTROL') }}/{{ inventory_hostname }}",
                      '']
        lines += ['[controller]', 'localhost ansible_connection=local ansible_python_interpreter=%s'
                  % (ROOT / '.venv' / 'bin' / 'python')]
        Path(path).write_text('\n'.join(lines) + '\n')
        return Path(path)

    def check_keys(self):
        """One TLS key per cluster, on every node of it, and no two clusters with the same key."""
        keys = {}
        for name, (_product, alias, nodes) in self.clusters.items():
            found = set()
            for node in nodes:
                store = jks.KeyStore.load(str(self.root / node / ('repository/resources/security/%s.jks' % alias)),
                                          PASSWORD)
                found.add(store.private_keys[alias].cert_chain[0][1])
            if len(found) != 1:
                raise SystemExit('cluster %s: its nodes hold %d different keys' % (name, len(found)))
            keys[name] = found.pop()
        if len(set(keys.values())) != len(keys):
            raise SystemExit('two clusters share a key')

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


def measure_estate(counts, forks, runs, work):
    place = SshHosts(work)
    rows = []
    try:
        for count in counts:
            for fork_count in forks:
                firsts, reruns, floors, generated, first_memory, rerun_memory = [], [], [], [], [], []
                for number in range(runs):
                    estate = Estate(place, count, 'estate-h%d-f%d-r%d' % (count, fork_count, number))
                    count_file = work / ('keygen-estate-%d-%d-%d.count' % (count, fork_count, number))
                    # the floor first, on the same fresh hosts, then the role's first run and its no-op rerun
                    floors.append(run_playbook(estate.inventory, ESTATE_FLOOR, fork_count, transport='ssh',
                                               work=work)[0])
                    firsts.append(run_playbook(estate.inventory, ESTATE, fork_count, count_file, transport='ssh',
                                               work=work, memory=first_memory)[0])
                    generated.append(int(count_file.read_text()))
                    estate.check_keys()
                    elapsed, changed = run_playbook(estate.inventory, ESTATE, fork_count, transport='ssh', work=work,
                                                    memory=rerun_memory)
                    if changed:
                        raise SystemExit('the estate rerun changed %d things on %d hosts' % (changed, count))
                    reruns.append(elapsed)
                    estate.remove()
                row = {'hosts': count, 'clusters': count // CLUSTER_SIZE, 'forks': fork_count,
                       'first': statistics.median(firsts), 'rerun': statistics.median(reruns),
                       'floor': statistics.median(floors), 'keys': sorted(set(generated)),
                       'first_memory': max(first_memory), 'rerun_memory': max(rerun_memory)}
                print('estate: %3d hosts, forks %2d: first %6.2f s, rerun %6.2f s, floor %6.2f s, peak PSS %d MB, '
                      'key pairs %s' % (count, fork_count, row['first'], row['rerun'], row['floor'],
                                        row['first_memory'] // 2 ** 20, row['keys']), flush=True)
                rows.append(row)
    finally:
        place.close()
    return rows


def estate_table(rows, runs):
    lines = ['| hosts | clusters | forks | floor (s) | no-op rerun (s) | rerun / floor | first run (s) | first / floor '
             '| rerun s/host | first s/host | peak PSS, first run (MB) | peak PSS, rerun (MB) | key pairs generated |',
             '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    for row in rows:
        lines.append('| %d | %d | %d | %.2f | %.2f | %.2fx | %.2f | %.2fx | %.3f | %.3f | %d | %d | %s |' % (
            row['hosts'], row['clusters'], row['forks'], row['floor'], row['rerun'], row['rerun'] / row['floor'],
            row['first'], row['first'] / row['floor'], row['rerun'] / row['hosts'], row['first'] / row['hosts'],
            row['first_memory'] // 2 ** 20, row['rerun_memory'] // 2 ** 20, ', '.join(str(n) for n in row['keys'])))
    return ('Median of %d run(s) each, every first run on fresh sandbox homes. Clusters of %d nodes, Identity Server and '
            'API Manager in turn, every cluster of a product in one play (bench/estate.yml: two plays), over SSH as '
            'above (cold connections at the start of every run); the floor (bench/estate_floor.yml) on the same hosts '
            'in the same run. Peak PSS: the ansible-playbook process tree\'s proportional set size, sampled every '
            '0.2 s.\n\n%s' % (runs, CLUSTER_SIZE, '\n'.join(lines)))


def estate_plot(rows, target):
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    figure, (times, memory) = pyplot.subplots(1, 2, figsize=(13, 5))
    for fork_count in sorted({row['forks'] for row in rows}):
        mine = [row for row in rows if row['forks'] == fork_count]
        hosts = [row['hosts'] for row in mine]
        for key, label, style in (('first', 'first run', '-o'), ('rerun', 'no-op rerun', '-s'),
                                  ('floor', 'floor (one stat per file)', '--^')):
            times.plot(hosts, [row[key] / row['hosts'] for row in mine], style,
                       label='%s, forks %d' % (label, fork_count))
        memory.plot(hosts, [row['first_memory'] / 2 ** 20 for row in mine], '-o',
                    label='first run, forks %d' % fork_count)
    times.set_xlabel('hosts (clusters of %d)' % CLUSTER_SIZE)
    times.set_ylabel('seconds per host')
    times.set_title('time per host, over SSH')
    memory.set_xlabel('hosts (clusters of %d)' % CLUSTER_SIZE)
    memory.set_ylabel('MB')
    memory.set_title("controller's peak PSS (process tree)")
    for axes in (times, memory):
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
    figure.suptitle('carbon.keystores: an estate of clusters against Ansible\'s floor')
    figure.tight_layout()
    figure.savefig(target, dpi=110)


def table(rows, runs):
    lines = ['| transport | hosts | forks | floor (s) | no-op rerun (s) | rerun / floor | first run (s) | first / floor '
             '| rerun s/host | first s/host | key pairs generated | no-op rerun, read in-process (s) |',
             '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    for row in rows:
        lines.append('| %s | %d | %d | %.2f | %.2f | %.2fx | %.2f | %.2fx | %.3f | %.3f | %s | %s |' % (
            row['transport'], row['hosts'], row['forks'], row['floor'], row['rerun'], row['rerun'] / row['floor'],
            row['first'], row['first'] / row['floor'], row['rerun'] / row['hosts'], row['first'] / row['hosts'],
            ', '.join(str(n) for n in row['keys']),
            '%.2f' % row['local_rerun'] if row['local_rerun'] is not None else '-'))
    return ('Median of %d runs each; every first run on fresh sandbox homes. local: the role reads through '
            'remote_files module runs (carbon_keystores_local_reads=false), like the floor\'s stats; the last column '
            'is the default on a local connection. ssh: a real sshd on loopback, an unprivileged login becoming wso2 '
            'with sudo, pipelining and ControlPersist, cold connections at the start of every run.\n\n%s'
            % (runs, '\n'.join(lines)))


def plot(rows, target):
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    transports = [name for name in ('local', 'ssh') if any(row['transport'] == name for row in rows)]
    figure, panels = pyplot.subplots(1, len(transports), figsize=(7 * len(transports), 5), squeeze=False)
    for axes, transport in zip(panels[0], transports):
        for fork_count in sorted({row['forks'] for row in rows}):
            mine = [row for row in rows if row['forks'] == fork_count and row['transport'] == transport]
            hosts = [row['hosts'] for row in mine]
            series = [('first', 'role, first run', '-o'), ('rerun', 'role, no-op rerun', '-s'),
                      ('floor', 'floor (one stat per file)', '--^')]
            if transport == 'local':
                series.append(('local_rerun', 'role, no-op rerun read in-process', ':d'))
            for key, label, style in series:
                axes.plot(hosts, [row[key] for row in mine], style, label='%s, forks %d' % (label, fork_count))
        axes.set_xlabel('hosts')
        axes.set_ylabel('seconds (median)')
        axes.set_title('%s transport' % transport)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
    figure.suptitle('carbon.keystores.identity_server against Ansible\'s floor')
    figure.tight_layout()
    figure.savefig(target, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--transports', nargs='+', choices=['local', 'ssh'], default=['local', 'ssh'])
    parser.add_argument('--hosts', type=int, nargs='+', default=[1, 5, 20, 50], help='host counts, local transport')
    parser.add_argument('--ssh-hosts', type=int, nargs='+', default=[1, 5, 20], help='host counts, ssh transport')
    parser.add_argument('--forks', type=int, nargs='+', default=[5, 10])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--readme', help='replace the converge section of this README with the new table')
    parser.add_argument('--plot', help='default: bench/converge.png, or bench/estate.png with --estate')
    parser.add_argument('--estate', action='store_true', help='the estate mode, over SSH (see above)')
    parser.add_argument('--estate-hosts', type=int, nargs='+', default=[20, 50, 100],
                        help='host counts of the estate mode, multiples of %d' % CLUSTER_SIZE)
    parser.add_argument('--estate-forks', type=int, nargs='+', default=[10, 25])
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix='carbon-converge-'))
    if options.estate:
        try:
            rows = measure_estate(options.estate_hosts, options.estate_forks, options.runs, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        estate_plot(rows, options.plot or str(ROOT / 'bench' / 'estate.png'))
        publish('estate', estate_table(rows, options.runs), options.readme)
        return
    plan = [(transport, options.hosts if transport == 'local' else options.ssh_hosts) for transport in options.transports]
    try:
        rows = measure(plan, options.forks, options.runs, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    plot(rows, options.plot or str(ROOT / 'bench' / 'converge.png'))
    text = table(rows, options.runs)
    publish('converge', text, options.readme)


if __name__ == '__main__':
    main()
