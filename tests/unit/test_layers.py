"""The layers the design page draws hold in the code: what each module_utils package may import, what
remote_files ships to managed hosts, and one execution path per module (documentation in
plugins/modules, the work in plugins/action over module_utils/tasks/<module>.py)."""

from __future__ import annotations

import ast
import base64
import io
import json
import os
import re
import subprocess
import sys
import zipfile

from helpers import ROOT, VENV_BIN

PLUGINS = ROOT / 'plugins'
MODULE_UTILS = PLUGINS / 'module_utils'
PREFIX = 'ansible_collections.carbon.keystores.plugins.module_utils'
STDLIB = set(sys.stdlib_module_names)

# package -> the collection packages it may import (besides itself and errors/outcome)
ALLOWED = {
    '_transport': set(),
    'keystore': {'x509'},
    'x509': set(),
    'toml': set(),
    'wso2': {'keystore', 'x509', 'toml'},
    'tasks': {'keystore', 'x509', 'toml', 'wso2'},
}
THIRD_PARTY = {
    '_transport': set(),
    'keystore': {'cryptography', 'jks', 'Cryptodome'},
    'x509': {'cryptography'},
    'toml': {'tomlkit'},
    'wso2': set(),
    'tasks': set(),
}
ACTION_MODULES = ('keystore', 'keystore_convert', 'keystore_info', 'product_info', 'secure_vault', 'toml_file',
                  'truststore')


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != '__future__':
            yield node.module
            for alias in node.names:
                yield '%s.%s' % (node.module, alias.name)


def test_module_utils_is_layered_by_subpackage():
    top_level = sorted(p.name for p in MODULE_UTILS.glob('*.py'))
    assert top_level == ['errors.py', 'outcome.py'], 'module_utils holds only the shared errors and outcome at the top'
    problems = []
    for package, allowed in ALLOWED.items():
        files = sorted((MODULE_UTILS / package).glob('*.py'))
        assert files, package
        for path in files:
            for name in _imports(path):
                head = name.split('.')[0]
                if name.startswith(PREFIX + '.'):
                    inner = name[len(PREFIX) + 1:].split('.')[0]
                    if inner not in allowed | {package, 'errors', 'outcome'}:
                        problems.append('%s imports %s' % (path.relative_to(ROOT), name))
                elif head == 'ansible' or head == 'ansible_collections':
                    problems.append('%s uses Ansible itself (%s); module_utils is pure logic' % (path.relative_to(ROOT), name))
                elif head not in STDLIB and head not in THIRD_PARTY[package]:
                    problems.append('%s imports %s' % (path.relative_to(ROOT), name))
    assert not problems, '\n'.join(problems)


def test_errors_and_the_transport_are_standard_library_only():
    for path in [MODULE_UTILS / 'errors.py'] + sorted((MODULE_UTILS / '_transport').glob('*.py')):
        outside = [name for name in _imports(path)
                   if name.split('.')[0] not in STDLIB and not name.startswith(PREFIX + '.errors')]
        assert not outside, '%s imports %s' % (path, outside)


def test_every_module_but_the_transport_is_documentation_run_by_its_action_plugin():
    for name in ACTION_MODULES:
        tree = ast.parse((PLUGINS / 'modules' / (name + '.py')).read_text())
        assigned = [target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets]
        others = [type(node).__name__ for node in tree.body if not isinstance(node, ast.Assign)]
        assert assigned == ['DOCUMENTATION', 'EXAMPLES', 'RETURN'] and not others, name
        action = (PLUGINS / 'action' / (name + '.py')).read_text()
        assert 'module_utils.tasks import %s' % name in action and 'task = %s' % name in action, name
        task = ast.parse((MODULE_UTILS / 'tasks' / (name + '.py')).read_text())
        defined = {node.targets[0].id for node in task.body if isinstance(node, ast.Assign)}
        defined |= {node.target.id for node in task.body if isinstance(node, ast.AnnAssign)}
        defined |= {node.name for node in task.body if isinstance(node, ast.FunctionDef)}
        assert {'ARGUMENT_SPEC', 'SPEC_RULES', 'run'} <= defined, name
    modules = {p.stem for p in (PLUGINS / 'modules').glob('*.py')}
    assert modules - set(ACTION_MODULES) == {'remote_files'}, 'a module without its action plugin and task'


def _doc_options(names):
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_VERBOSITY='0')
    out = subprocess.run([str(VENV_BIN / 'ansible-doc'), '--json'] + ['carbon.keystores.%s' % n for n in names],
                         capture_output=True, text=True, cwd=str(ROOT), env=env, check=True).stdout
    return {name.split('.')[-1]: doc['doc'].get('options') or {} for name, doc in json.loads(out).items()}


def _same(doc, spec, module, option):
    problems = []
    doc_type = doc.get('type', 'str')
    if doc_type != spec.get('type', 'str'):
        problems.append('type %s in the docs, %s in the spec' % (doc_type, spec.get('type', 'str')))
    if bool(doc.get('required')) != bool(spec.get('required')):
        problems.append('required differs')
    if doc.get('default') != spec.get('default') and not (doc.get('default') is None and spec.get('default') in ([], {})):
        problems.append('default %r in the docs, %r in the spec' % (doc.get('default'), spec.get('default')))
    if doc.get('choices') != spec.get('choices'):
        problems.append('choices %r in the docs, %r in the spec' % (doc.get('choices'), spec.get('choices')))
    if doc_type == 'list' and doc.get('elements') != spec.get('elements'):
        problems.append('elements %r in the docs, %r in the spec' % (doc.get('elements'), spec.get('elements')))
    return ['%s: option %s: %s' % (module, option, p) for p in problems]


def test_module_documentation_matches_the_argument_spec_the_action_plugin_validates():
    """What ansible-test's validate-modules does for a module with a main(), done here for ours."""
    from ansible.module_utils.basic import FILE_COMMON_ARGUMENTS
    import importlib

    documented = _doc_options(ACTION_MODULES)
    problems = []
    for name in ACTION_MODULES:
        task = importlib.import_module('%s.tasks.%s' % (PREFIX, name))
        action = (PLUGINS / 'action' / (name + '.py')).read_text()
        spec = dict(task.ARGUMENT_SPEC)
        if 'file_arguments = True' in action:
            spec.update({k: v for k, v in FILE_COMMON_ARGUMENTS.items() if k not in ('src', 'follow', 'force', 'regexp', 'delimiter', 'content')})
        docs = documented[name]
        for option in sorted(set(spec) | set(docs)):
            if option not in docs:
                problems.append('%s: option %s is validated but not documented' % (name, option))
            elif option not in spec:
                problems.append('%s: option %s is documented but not validated' % (name, option))
            else:
                problems.extend(_same(docs[option], spec[option], name, option))
    assert not problems, '\n'.join(problems)


def test_remote_files_ships_only_the_transport_to_managed_hosts(tmp_path):
    """Run remote_files for real, keep the AnsiballZ payload, and list the collection files inside it."""
    remote_tmp = tmp_path / 'remote'
    env = dict(os.environ, ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=str(remote_tmp), ANSIBLE_NOCOLOR='1',
               ANSIBLE_VERBOSITY='0')
    run = subprocess.run([str(VENV_BIN / 'ansible'), 'localhost', '-c', 'local', '-e',
                          'ansible_python_interpreter=/usr/bin/python3', '-m', 'carbon.keystores.remote_files',
                          '-a', 'read=%s' % (ROOT / 'galaxy.yml')], capture_output=True, text=True, cwd=str(ROOT),
                         env=env, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    (wrapper,) = remote_tmp.rglob('AnsiballZ_remote_files.py')
    payload = re.search(r'zip_data=["\']([A-Za-z0-9+/=]+)["\']', wrapper.read_text()).group(1)
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(payload))).namelist()
    ours = sorted(n for n in names if n.startswith('ansible_collections/carbon/keystores/') and not n.endswith('__init__.py'))
    assert ours == ['ansible_collections/carbon/keystores/plugins/module_utils/_transport/files.py',
                    'ansible_collections/carbon/keystores/plugins/module_utils/errors.py',
                    'ansible_collections/carbon/keystores/plugins/modules/remote_files.py'], ours


def test_missing_controller_packages_are_named_in_one_sentence(monkeypatch):
    """Without pyjks on the controller (the flag its import sets), the sentence names pyjks and only it."""
    from ansible_collections.carbon.keystores.plugins.plugin_utils import action
    assert action.missing_dependencies(action.KEYSTORES + action.TOML) is None
    monkeypatch.setattr(action.jks, 'HAS_PYJKS', False)
    monkeypatch.setattr(action.toml_edit, 'HAS_TOMLKIT', False)
    assert action.missing_dependencies(action.KEYSTORES) == (
        'The Python package pyjks is missing on the Ansible controller (or in the execution environment); '
        'install it with pip.')
    assert 'packages pyjks and tomlkit are missing' in action.missing_dependencies(action.KEYSTORES + action.TOML)


def _codes_raised(path):
    """The code of every finding a module_utils file makes (_finding's second argument, after the purpose or
    alias)."""
    codes = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == '_finding':
            code = node.args[1]
            if isinstance(code, ast.Constant) and isinstance(code.value, str):  # else carried over or chosen
                codes.add(code.value)
    return codes


def _documented_codes(module):
    doc = json.loads(subprocess.run([str(VENV_BIN / 'ansible-doc'), '--json', 'carbon.keystores.%s' % module],
                                    capture_output=True, text=True, cwd=str(ROOT), check=True,
                                    env=dict(os.environ, ANSIBLE_VERBOSITY='0')).stdout)
    description = doc['carbon.keystores.%s' % module]['return']['findings']['contains']['code']['description']
    return set(re.findall(r'V\(([a-z_]+)\)', ' '.join(description if isinstance(description, list) else [description])))


def test_finding_codes_are_a_documented_contract():
    from ansible_collections.carbon.keystores.plugins.module_utils.keystore import inspection
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import home
    raised_home = _codes_raised(MODULE_UTILS / 'wso2' / 'home.py')
    raised_keystore = _codes_raised(MODULE_UTILS / 'keystore' / 'inspection.py')
    assert raised_home == set(home.FINDING_CODES)
    assert raised_keystore == set(inspection.FINDING_CODES)
    assert _documented_codes('keystore_info') == set(inspection.FINDING_CODES)
    assert _documented_codes('product_info') == set(home.FINDING_CODES) | set(inspection.FINDING_CODES)


def test_ansible_doc_renders_every_module_filter_lookup_and_role():
    from ansible_collections.carbon.keystores.plugins.filter import audit, flow
    filters = sorted(set(audit.FilterModule().filters()) | set(flow.FilterModule().filters()))
    assert sorted(p.stem for p in (PLUGINS / 'filter').glob('*.yml')) == filters, 'a filter without its doc file'
    kinds = {'module': sorted(p.stem for p in (PLUGINS / 'modules').glob('*.py')), 'filter': filters,
             'lookup': sorted(p.stem for p in (PLUGINS / 'lookup').glob('*.py')),
             'role': sorted(p.name for p in (ROOT / 'roles').iterdir() if (p / 'meta' / 'argument_specs.yml').exists())}
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_VERBOSITY='0')
    for kind, names in kinds.items():
        run = subprocess.run([str(VENV_BIN / 'ansible-doc'), '-t', kind, '--json'] +
                             ['carbon.keystores.%s' % name for name in names],
                             capture_output=True, text=True, cwd=str(ROOT), env=env, check=False)
        assert run.returncode == 0 and not run.stderr.strip(), (kind, run.stderr)
        rendered = json.loads(run.stdout)
        assert sorted(rendered) == ['carbon.keystores.%s' % name for name in names], kind
        for name, doc in rendered.items():
            text = json.dumps(doc)
            assert not re.search(r'\bI\(', text), '%s %s still uses I() instead of O()' % (kind, name)
