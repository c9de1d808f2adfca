"""Import the system CA bundle into a new JKS truststore three ways, and print one table.

1. one carbon.keystores.truststore task (this checkout, through .venv's ansible-playbook);
2. community.general.java_cert in a loop, one task per certificate (the `ansible` package,
   installed in a bench-only venv, .venv/bench);
3. a keytool shell loop, one JVM per certificate (the rerun checks each alias first).

Each way runs a first import into a new truststore and an idempotent rerun; each is timed
--runs times and the medians are compared. Usage: .venv/bin/python bench/truststore_import.py
[--runs N] [--readme bench/README.md]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import publish

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / '.venv'
BENCH_VENV = VENV / 'bench'
BUNDLE = '/etc/ssl/certs/ca-certificates.crt'
PASSWORD = 'bench-changeit'


def sh(command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def ensure_bench_venv():
    """The `ansible` package (which carries community.general) in its own venv."""
    marker = BENCH_VENV / '.installed'
    if marker.exists():
        return
    subprocess.run([sys.executable, '-m', 'venv', str(BENCH_VENV)], check=True)
    core = next(line for line in (ROOT / 'requirements-dev.txt').read_text().splitlines() if line.startswith('ansible-core'))
    subprocess.run([str(BENCH_VENV / 'bin' / 'python'), '-m', 'pip', 'install', '--quiet', 'ansible', core], check=True)
    marker.touch()


def split_bundle(folder):
    text = Path(BUNDLE).read_text(encoding='ascii', errors='replace')
    blocks = re.findall(r'-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?', text, re.S)
    files = []
    for number, block in enumerate(blocks, 1):
        path = folder / ('ca-%03d.pem' % number)
        path.write_text(block)
        files.append(path)
    return files


def write_playbooks(folder, files):
    (folder / 'inventory.ini').write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n'
                                          % sys.executable)
    (folder / 'carbon.yml').write_text('''- hosts: localhost
  gather_facts: false
  tasks:
    - name: the whole bundle in one task
      carbon.keystores.truststore:
        path: "{{ store }}"
        password: %s
        certificates: [%s]
''' % (PASSWORD, BUNDLE))
    (folder / 'java_cert.yml').write_text('''- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: %s
  tasks:
    - name: one java_cert task per certificate
      community.general.java_cert:
        cert_path: "{{ item }}"
        cert_alias: "{{ item | basename | splitext | first }}"
        keystore_path: "{{ store }}"
        keystore_pass: %s
        keystore_create: true
        keystore_type: JKS
        state: present
      loop: %s
''' % (BENCH_VENV / 'bin' / 'python', PASSWORD, [str(f) for f in files]))


def timed(command, env=None, cwd=None):
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit('failed: %s\n%s%s' % (' '.join(map(str, command)), run.stdout[-3000:], run.stderr[-3000:]))
    return elapsed


def keytool_loop(store, files, check_first):
    script = ['set -e']
    for path in files:
        alias = path.stem
        importing = ('keytool -importcert -noprompt -storetype JKS -keystore %s -storepass %s -alias %s -file %s >/dev/null'
                     % (store, PASSWORD, alias, path))
        if check_first:
            script.append('keytool -list -keystore %s -storepass %s -alias %s >/dev/null 2>&1 || %s'
                          % (store, PASSWORD, alias, importing))
        else:
            script.append(importing)
    return ['bash', '-c', '\n'.join(script)]


def count_entries(store):
    out = sh(['keytool', '-list', '-keystore', str(store), '-storepass', PASSWORD]).stdout
    return out.count('trustedCertEntry')


def measure(runs):
    ensure_bench_venv()
    work = Path(tempfile.mkdtemp(prefix='carbon-bench-'))
    files = split_bundle(work)
    write_playbooks(work, files)
    carbon_env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'))
    bench_env = dict(os.environ, ANSIBLE_CONFIG=str(work / 'none.cfg'))
    ways = {
        'carbon.keystores.truststore (one task)': lambda store: [
            str(VENV / 'bin' / 'ansible-playbook'), '-i', str(work / 'inventory.ini'), str(work / 'carbon.yml'),
            '-e', 'store=%s' % store],
        'community.general.java_cert (loop)': lambda store: [
            str(BENCH_VENV / 'bin' / 'ansible-playbook'), '-i', str(work / 'inventory.ini'), str(work / 'java_cert.yml'),
            '-e', 'store=%s' % store],
    }
    results = {}
    for label, command in ways.items():
        env = carbon_env if label.startswith('carbon') else bench_env
        firsts, reruns = [], []
        for number in range(runs):
            store = work / ('%s-%d.jks' % (label.split()[0], number))
            firsts.append(timed(command(store), env=env, cwd=str(ROOT)))
            assert count_entries(store) == len(files), label
            reruns.append(timed(command(store), env=env, cwd=str(ROOT)))
        results[label] = (statistics.median(firsts), statistics.median(reruns))
        print('%-42s first %8.2f s  rerun %8.2f s' % (label, *results[label]), flush=True)
    firsts, reruns = [], []
    for number in range(runs):
        store = work / ('keytool-%d.jks' % number)
        firsts.append(timed(keytool_loop(store, files, check_first=False)))
        assert count_entries(store) == len(files)
        reruns.append(timed(keytool_loop(store, files, check_first=True)))
    results['keytool shell loop'] = (statistics.median(firsts), statistics.median(reruns))
    print('%-42s first %8.2f s  rerun %8.2f s' % ('keytool shell loop', *results['keytool shell loop']), flush=True)
    shutil.rmtree(work)
    return len(files), results


def table(count, runs, results):
    carbon_first, carbon_rerun = results['carbon.keystores.truststore (one task)']
    lines = ['| way | first run (s) | rerun (s) | first run vs carbon | rerun vs carbon |',
             '| --- | ---: | ---: | ---: | ---: |']
    for label, (first, rerun) in results.items():
        lines.append('| %s | %.2f | %.2f | %.1fx | %.1fx |' % (label, first, rerun, first / carbon_first, rerun / carbon_rerun))
    head = '%d certificates from %s into a new JKS truststore; median of %d runs each.' % (count, BUNDLE, runs)
    return head + '\n\n' + '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--readme', help='replace the truststore section of this README with the new table')
    options = parser.parse_args()
    count, results = measure(options.runs)
    text = table(count, options.runs, results)
    publish('truststore_import', text, options.readme)


if __name__ == '__main__':
    main()
