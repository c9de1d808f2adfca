# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Options every module that opens a keystore shares."""

    DOCUMENTATION = r'''
options:
  path:
    description:
      - Path of the keystore file on the managed host.
    type: path
    required: true
  type:
    description:
      - Keystore type. An existing file's type is always read from its content, never from its name;
        when O(type) is given and the file is of another type, the task fails instead of converting it.
      - For a new file, V(pkcs12) when the name ends in C(.p12), C(.pfx) or C(.pkcs12), else V(jks).
    type: str
    choices: [jks, pkcs12]
  password:
    description:
      - The store password.
      - A wrong password fails the task and leaves the file as it was; the keystore is never rebuilt.
    type: str
    required: true
notes:
  - JKS and PKCS12 keystores are read and written. JCEKS keystores can be read, not written. Bouncy Castle
    BKS keystores are refused with a clear message.
'''

    FILES = r'''
options:
  backup:
    description:
      - Keep a timestamped copy of the file before it is changed.
    type: bool
    default: false
  read_from:
    description:
      - What an earlier task read of this file, so the task does not read it again. A dictionary from path to
        C(sha256) and base64 C(content) (C(sha256=absent) for a file that did not exist), as
        M(carbon.keystores.product_info) returns in RV(carbon.keystores.product_info#module:contents) with
        O(carbon.keystores.product_info#module:return_content=true).
      - Safe when the file changed meanwhile, since the write is a compare-and-swap against that SHA-256. The task
        then reads the file and starts over. A path not in the dictionary is read as usual.
      - When what was read already holds what the task asks, the task reports no change without looking at the
        file again, so pass only a read made by the same run (the product roles pass their preflight's).
    type: dict
    version_added: 0.2.0
notes:
  - A new file is created with mode V(0600) unless O(mode) is set. An existing file keeps its owner, group
    and mode unless they are set, except that others lose every permission (V(0644) becomes V(0640)), since the
    file holds keys or passwords; a backup gets the same treatment. Set O(mode) to choose another mode.
'''

    # Work on bytes the caller gives instead of a file (keystore, truststore, toml_file).
    IN_MEMORY = r'''
options:
  in_memory:
    description:
      - Work on the bytes given in O(content) (base64; none for a new file) instead of the file at O(path), and
        return the result in RV(content). Nothing is read or written on the managed host but a CSR there
        (the keystore module's O(carbon.keystores.keystore#module:csr_dest=host)); O(path) only names the file in
        messages and, for a keystore, its type by its extension.
      - The product roles compute a node's files this way on the controller, so that one module run writes them
        all, and no key material ever lands in a temporary file. Register the result with C(no_log=true), since
        RV(content) holds the file.
    type: bool
    default: false
    version_added: 0.3.0
  content:
    description:
      - With O(in_memory=true), base64 of the file to work on.
    type: str
    version_added: 0.3.0
'''

    # Attributes of the modules that write a file (keystore, truststore, toml_file).
    WRITES = r'''
attributes:
  check_mode:
    support: full
    description: Computes the change and writes nothing.
  diff_mode:
    support: full
    description: Shows what changes (entries or text) and never a password, a private key or keystore bytes.
  safe_file_operations:
    support: full
    description: >-
      Writes through a temporary file, flushed to disk, and an atomic rename; the write is a compare-and-swap
      against what was read, so a concurrent writer is never overwritten.
'''

    # How every module but remote_files reaches the managed host's files.
    TRANSPORT = r'''
attributes:
  action:
    support: full
    description: An action plugin does the work on the controller; the managed host only runs
      M(carbon.keystores.remote_files).
notes:
  - All parsing and cryptography runs on the Ansible controller (inside the execution environment under
    Ansible Tower/AWX), which needs the Python packages C(cryptography) and C(pyjks) (and C(tomlkit) for
    configuration files). The managed host only runs M(carbon.keystores.remote_files) (Python standard library
    only; one run reads the files, one writes a file back as a compare-and-swap), so it needs no JDK, keytool,
    openssl or third-party Python.
  - Where the managed host is the controller itself as the same user (C(ansible_connection=local) without
    C(become)), the files are read in the controller's own process with the same code, which saves the
    module run (about 0.2 seconds per read). Set the variable C(carbon_keystores_local_reads=false) to read
    through M(carbon.keystores.remote_files) there too. With C(become), the read is always a module run as the
    become user. Writes are always a M(carbon.keystores.remote_files) run.
'''

    # Attributes of the modules that only read (keystore_info, product_info).
    READS = r'''
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Reads only.
'''
