"""Offline stand-in for the get-pip bootstrap script ansible-test downloads.

ansible-test creates each sanity virtualenv without pip and fetches a get-pip script from a
host that this project's machines cannot reach. This script does the same job with what is
at hand: the standard library's ensurepip installs the bundled pip, which then installs the
packages ansible-test asked for (from PyPI, which is reachable). The Makefile copies it to
ansible-test's cache before running the sanity tests.
"""

import ensurepip
import os
import subprocess
import sys

# get-pip specific switches that pip itself does not know.
GET_PIP_ONLY = {'--no-setuptools', '--no-wheel'}

# ensurepip points PIP_CONFIG_FILE at /dev/null in this process; the install below must see the
# machine's pip configuration (index, certificate bundle) again.
environment = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
arguments = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install', '--quiet', '--upgrade'] + arguments, env=environment))
