"""The writer the crash test kills: read-modify-write of one file in a loop, forever, with the
collection's own code, as a module does on the managed host (the engine of module_utils, then
transport.replace under transport.folder_lock, compare-and-swap included).

usage: crash_writer.py truststore|config PATH CERTIFICATES_FOLDER PASSWORD
Prints 'ready' once imported, then one line per completed write."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / '.venv' / 'collections'))

from ansible.module_utils import basic  # noqa: E402

from ansible_collections.carbon.keystores.plugins.module_utils._transport import files as transport  # noqa: E402
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import toml_file  # noqa: E402
from ansible_collections.carbon.keystores.plugins.module_utils.tasks import truststore  # noqa: E402
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import load_keystore  # noqa: E402


def module_for(path):
    # what AnsiballZ hands a module: its arguments and the JSON profile they are encoded with
    basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': {'path': path}}).encode()
    basic._ANSIBLE_PROFILE = 'legacy'
    return basic.AnsibleModule(argument_spec={'path': {'type': 'path'}}, add_file_common_args=True)


def next_truststore(current, path, certificates, password):
    """Add the next certificate of the folder; after the last one, start again from the first alone.
    Every state is 'certificates 1..k', so the test knows what a valid file holds."""
    count = 0 if current is None else sum(1 for _entry in load_keystore(current, password, path))
    if count >= len(certificates):
        current, count = None, 0
    params = {'password': password, 'state': 'present', 'type': 'jks'}
    wanted = truststore.requested_certificates([('cert-%03d' % (count + 1), certificates[count].read_text(),
                                                 certificates[count].name)])
    return truststore.run(current, params, wanted, path).data


def next_config(current, path):
    counter = 0
    if current is not None:
        import tomlkit
        counter = tomlkit.parse(current.decode()).unwrap().get('keystore', {}).get('tls', {}).get('counter', 0)
    params = {'table': 'keystore.tls', 'settings': {'counter': counter + 1}, 'state': 'present'}
    return toml_file.run(current, params, path).data


def main():
    kind, path, folder, password = sys.argv[1:5]
    certificates = sorted(Path(folder).glob('*.pem'))
    module = module_for(path)
    print('ready', flush=True)
    while True:
        with transport.folder_lock(path):
            try:
                current = Path(path).read_bytes()
            except FileNotFoundError:
                current = None
            data = next_truststore(current, path, certificates, password) if kind == 'truststore' else \
                next_config(current, path)
            transport.replace(module, path, data, transport.sha256_of(current))
        print('wrote', flush=True)


if __name__ == '__main__':
    main()
