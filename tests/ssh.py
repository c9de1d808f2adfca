"""Real SSH test hosts on loopback: Debian's sshd started by the test on 127.0.0.1 with a port, a host key
and an authorised key of its own, an unprivileged login account, and a second account (wso2) that owns the
product homes and is reached with become (sudo), as WSO2 nodes are reached in production.

Every node is an inventory alias of 127.0.0.1 with a home of its own under the wso2 account's home. The
managed host's Python is a virtual environment of /usr/bin/python3 without system packages: the standard
library only, as on a production server without pip (Debian's /usr/bin/python3 may carry
python3-cryptography; the venv proves nothing on the host needs it)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

LOGIN = 'carbon-ops'
PRODUCT_USER = 'wso2'
SHARED = Path('/opt/carbon-keystores-tests')
HOST_PYTHON = SHARED / 'host-python' / 'bin' / 'python3'
SUDOERS = Path('/etc/sudoers.d/carbon-keystores-tests')


def _run(*command, **options):
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, check=True, **options)


def why_not():
    """None when this machine can run the SSH hosts, else the reason (the tests skip with it)."""
    if os.geteuid() != 0:
        return 'the SSH tests create accounts and start sshd, which needs root'
    for tool in ('/usr/sbin/sshd', '/usr/bin/sudo', '/usr/bin/ssh', '/usr/bin/ssh-keygen', '/usr/sbin/useradd'):
        if not Path(tool).exists():
            return '%s is missing (make test installs openssh-server, openssh-client and sudo)' % tool
    return None


def _account(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        _run('/usr/sbin/useradd', '--create-home', '--shell', '/bin/sh', name)
        return pwd.getpwnam(name)


def prepare_machine():
    """The accounts, the sudo rule (the login account may become wso2, nothing else) and the host Python,
    made once per machine."""
    _account(LOGIN)
    _account(PRODUCT_USER)
    # a new account's password is locked ('!'), and sshd refuses a locked account even with a key: no password at all
    _run('/usr/sbin/usermod', '-p', '*', LOGIN)
    SUDOERS.write_text('%s ALL=(%s) NOPASSWD: ALL\nDefaults:%s !requiretty\n' % (LOGIN, PRODUCT_USER, LOGIN))
    SUDOERS.chmod(0o440)
    if not HOST_PYTHON.exists():
        SHARED.mkdir(parents=True, exist_ok=True)
        _run('/usr/bin/python3', '-m', 'venv', '--without-pip', SHARED / 'host-python')
    SHARED.chmod(0o755)
    for module in ('cryptography', 'jks', 'tomlkit'):
        probe = subprocess.run([str(HOST_PYTHON), '-c', 'import %s' % module], capture_output=True, check=False)
        assert probe.returncode != 0, 'the managed host Python must not have %s' % module


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class Fleet:
    """One sshd for one test, and the product homes of its nodes (owned by wso2)."""

    def __init__(self):
        # sshd reads the authorised keys as the login account: they live where it may look, not in pytest's 0700 folder
        self.work = SHARED / ('sshd-%s' % uuid.uuid4().hex[:10])
        self.work.mkdir(parents=True, mode=0o755)
        self.port = _free_port()
        self.process = None
        self.product_user = pwd.getpwnam(PRODUCT_USER)
        # the homes live in the wso2 account's home, where wso2 can reach them (/tmp/pytest-of-root cannot)
        self.relative = 'carbon-tests-%s' % uuid.uuid4().hex[:10]
        self.homes = Path(self.product_user.pw_dir) / self.relative

    # --- sshd -------------------------------------------------------------------------------------

    def start(self):
        ssh = self.work / 'ssh'
        ssh.mkdir(mode=0o755)
        _run('/usr/bin/ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', ssh / 'host_key')
        _run('/usr/bin/ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', ssh / 'client_key')
        keys = ssh / 'authorized_keys'
        keys.write_text((ssh / 'client_key.pub').read_text())
        keys.chmod(0o644)
        (ssh / 'known_hosts').write_text('[127.0.0.1]:%d %s' % (self.port, (ssh / 'host_key.pub').read_text()))
        config = ssh / 'sshd_config'
        config.write_text('\n'.join([
            'Port %d' % self.port, 'ListenAddress 127.0.0.1', 'HostKey %s' % (ssh / 'host_key'),
            'AuthorizedKeysFile %s' % keys, 'PidFile %s' % (ssh / 'sshd.pid'), 'AllowUsers %s' % LOGIN,
            'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes',
            'PermitRootLogin no', 'UsePAM no', 'StrictModes no', 'MaxSessions 100', 'MaxStartups 100:30:200',
            'Subsystem sftp internal-sftp', 'LogLevel ERROR', '']))
        Path('/run/sshd').mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
        self.process = subprocess.Popen(['/usr/sbin/sshd', '-D', '-e', '-f', str(config)],
                                        stdout=subprocess.DEVNULL, stderr=open(ssh / 'sshd.log', 'wb'))
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError('sshd stopped: %s' % (ssh / 'sshd.log').read_text())
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError('sshd did not listen on 127.0.0.1:%d' % self.port)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.homes, ignore_errors=True)
        shutil.rmtree(self.work, ignore_errors=True)

    # --- the nodes --------------------------------------------------------------------------------

    def give_to_product_user(self):
        """Every file under the homes belongs to wso2, as a product's files do; others may not read them."""
        for path in [self.homes] + sorted(self.homes.rglob('*')):
            os.lchown(path, self.product_user.pw_uid, self.product_user.pw_gid)
        self.homes.chmod(0o750)

    def home_of(self, node):
        return self.homes / node

    def ssh_vars(self, interpreter=None):
        """Inventory variables that reach a node over this sshd, as the login account, becoming wso2 with sudo."""
        ssh = self.work / 'ssh'
        return {
            'ansible_host': '127.0.0.1',
            'ansible_port': str(self.port),
            'ansible_user': LOGIN,
            'ansible_connection': 'ssh',
            'ansible_ssh_private_key_file': str(ssh / 'client_key'),
            'ansible_ssh_common_args': '-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes' % (ssh / 'known_hosts'),
            'ansible_become': 'true',
            'ansible_become_method': 'sudo',
            'ansible_become_user': PRODUCT_USER,
            'ansible_python_interpreter': str(interpreter or HOST_PYTHON),
        }


def inventory(path, product, nodes, fleet, homes, variables=None, node_variables=None, controller_python=None):
    """An INI inventory: the product's group, each node an alias of 127.0.0.1 with its own home (``homes``:
    {node: home as the inventory names it, e.g. '~/carbon-tests-x/node1'}) and its own ``node_variables``,
    and localhost for the controller's own tasks."""
    lines = ['[%s]' % product]
    for node in nodes:
        own = ''.join(' %s=%s' % item for item in ((node_variables or {}).get(node) or {}).items())
        lines.append('%s %s_home=%s%s' % (node, product, homes[node], own))
    lines += ['', '[%s:vars]' % product]
    lines += ['%s=%s' % item for item in fleet.ssh_vars().items()]
    lines += ['%s=%s' % item for item in (variables or {}).items()]
    lines += ['', '[controller]', 'localhost ansible_connection=local ansible_python_interpreter=%s'
              % (controller_python or Path(__file__).resolve().parent.parent / '.venv' / 'bin' / 'python')]
    Path(path).write_text('\n'.join(lines) + '\n')
    return Path(path)
