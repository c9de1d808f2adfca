"""keystore_info on the JDK's cacerts against `keytool -list -v` on the same file; one table.

Five ways, each timed --runs times (medians): ansible-playbook running one keystore_info task
(Ansible's start-up included), the cost of one more keystore_info task inside a running play
((11 tasks - 1 task) / 10) twice: on the local connection as it comes (the file read in the
controller's process) and with carbon_keystores_local_reads=false (read by a remote_files module
run, as on a managed host), the same module_utils code called in-process (parsing and description
alone), and keytool -list -v (one JVM, what an operator would otherwise run).
Each way must report the same number of entries, or the script stops.

Usage: .venv/bin/python bench/info.py [--runs 5] [--readme bench/README.md]
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'bench'))
sys.path.insert(0, str(ROOT / '.venv' / 'collections'))

from report import publish  # noqa: E402

from ansible_collections.carbon.keystores.plugins.module_utils.keystore import inspection  # noqa: E402
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates  # noqa: E402
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import load_keystore  # noqa: E402

CACERTS = next(p for p in ('/usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts', '/etc/ssl/certs/java/cacerts')
               if Path(p).exists())
PASSWORD = 'changeit'


def timed(function):
    start = time.perf_counter()
    value = function()
    if isinstance(value, tuple):  # (seconds, count): the way timed itself
        return value
    return time.perf_counter() - start, value


def keytool_list():
    out = subprocess.run(['keytool', '-list', '-v', '-keystore', CACERTS, '-storepass', PASSWORD],
                         capture_output=True, text=True, check=True).stdout
    return len(re.findall(r'^Alias name: ', out, re.M))


def in_process():
    with certificates.tolerating_zero_serials():  # as the action plugin does
        store = load_keystore(Path(CACERTS).read_bytes(), PASSWORD, CACERTS)
        entries, _findings = inspection.describe_store(store, PASSWORD, 30,
                                                       datetime.datetime.now(datetime.timezone.utc))
    return len(entries)


def _playbook(folder, tasks, local_reads=True):
    playbook = folder / ('info-%d-%s.yml' % (tasks, local_reads))
    playbook.write_text('''- hosts: localhost
  gather_facts: false
  tasks:
    - carbon.keystores.keystore_info:
        path: %s
        password: %s
      register: info
      loop: "{{ range(%d) | list }}"
      vars:
        carbon_keystores_local_reads: %s
    - ansible.builtin.copy:
        content: "{{ info.results[0].entries | length }}"
        dest: %s/count
''' % (CACERTS, PASSWORD, tasks, str(local_reads).lower(), folder))
    (folder / 'inventory.ini').write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n'
                                          % sys.executable)

    def run():
        subprocess.run([str(ROOT / '.venv' / 'bin' / 'ansible-playbook'), '-i', str(folder / 'inventory.ini'),
                        str(playbook)], check=True, capture_output=True, cwd=str(ROOT),
                       env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_VERBOSITY='0'))
        return int((folder / 'count').read_text())
    return run


def through_ansible(folder):
    return _playbook(folder, 1)


def per_task_in_a_play(folder, local_reads=True):
    """What one more keystore_info task costs inside a running play: (11 tasks - 1 task) / 10."""
    one, eleven = _playbook(folder, 1, local_reads), _playbook(folder, 11, local_reads)

    def run():
        start = time.perf_counter()
        count = one()
        single = time.perf_counter() - start
        start = time.perf_counter()
        eleven()
        return (time.perf_counter() - start - single) / 10, count
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--readme')
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix='carbon-info-'))
    ways = {'ansible-playbook running one keystore_info task (start-up included)': through_ansible(folder),
            'one keystore_info task inside a running play, local connection (read in-process)':
                per_task_in_a_play(folder),
            'one keystore_info task inside a running play, read by a remote_files run (as on a managed host)':
                per_task_in_a_play(folder, local_reads=False),
            'keystore_info\'s own work (module_utils, in-process)': in_process,
            'keytool -list -v': keytool_list}
    medians, counts = {}, set()
    for label, function in ways.items():
        times = []
        for _run in range(options.runs):
            elapsed, count = timed(function)
            times.append(elapsed)
            counts.add(count)
        medians[label] = statistics.median(times)
        print('%-72s %7.3f s' % (label, medians[label]), flush=True)
    if len(counts) != 1:
        raise SystemExit('the ways disagree on the number of entries: %s' % counts)
    keytool_time = medians['keytool -list -v']
    lines = ['| way | median (s) | keytool / this |', '| --- | ---: | ---: |']
    for label, value in medians.items():
        lines.append('| %s | %.3f | %.1fx |' % (label, value, keytool_time / value))
    text = '%s (%d entries), median of %d runs each.\n\n%s' % (CACERTS, counts.pop(), options.runs, '\n'.join(lines))
    publish('info', text, options.readme)


if __name__ == '__main__':
    main()
