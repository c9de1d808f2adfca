# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit one table of a TOML file and keep every other byte.

The edits are made on the text, line by line: a changed value keeps its line's key,
spacing and comment; a new key joins its table after the table's last key, written in the
style of its neighbours; a new table goes right after its siblings, with one blank line
before and after. tomlkit parses (and names the line and column of bad input), renders
values, and checks the result: the edited text must parse to the old data with exactly
the requested changes, or nothing is written.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.carbon.keystores.plugins.module_utils.errors import TomlEditError, TomlSelfCheckError

try:
    import tomlkit
    from tomlkit.exceptions import ParseError
    HAS_TOMLKIT = True
except ImportError:  # reported by the module that needs it
    HAS_TOMLKIT = False

SECRET_KEY_PATTERN = re.compile(r'(pass(word|wd|phrase)?|secret|token|credential|private[_-]?key)', re.I)
MASK = '********'
_BARE_KEY = re.compile(r'[A-Za-z0-9_-]+$')


# --- parsing -------------------------------------------------------------------

def decode(data, name):
    """Text of ``data`` (bytes), or an error naming the line and column of the first bad byte."""
    if data.startswith(b'\xef\xbb\xbf'):
        raise TomlEditError('%s starts with a byte order mark (the bytes EF BB BF), which TOML does not allow; save it as '
                            'UTF-8 without one.' % name)
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as exc:
        line = data.count(b'\n', 0, exc.start) + 1
        column = exc.start - (data.rfind(b'\n', 0, exc.start) + 1) + 1
        raise TomlEditError('%s is not valid UTF-8 at line %d, column %d; TOML files must be UTF-8.' % (name, line, column))


def parse(text, name):
    """tomlkit document of ``text``; invalid TOML names the line and column."""
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        message = re.sub(r' at line \d+ col \d+$', '', str(exc))
        line, column = exc.line, exc.col + 1
        duplicate = _duplicate_header(text) if 'already exists' in message else None
        if duplicate is not None:
            line, column, table = duplicate
            message = 'the table [%s] is defined a second time' % table
        raise TomlEditError('%s is not valid TOML at line %d, column %d: %s.' % (name, line, column,
                                                                                 message.rstrip('.')))
    except Exception as exc:  # tomlkit raises a few other types for structural errors
        raise TomlEditError('%s is not valid TOML: %s.' % (name, str(exc).rstrip('.')))


def _duplicate_header(text):
    """(line, column, table) of the first [table] header that repeats an earlier one, or None."""
    seen = set()
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r'([ \t]*)\[(?!\[)(.*)\]', line)
        if not match:
            continue
        try:
            path = split_table_name(match.group(2).split(']')[0])
        except (TomlEditError, ValueError):
            continue
        if path in seen:
            return number, len(match.group(1)) + 1, '.'.join(path)
        seen.add(path)
    return None


def split_table_name(name):
    """'a.b."c.d"' -> ('a', 'b', 'c.d')."""
    parts, _end = _read_key(name.strip(), 0)
    if _end != len(name.strip()):
        raise TomlEditError('table %r is not a valid dotted TOML key.' % name)
    return tuple(parts)


def _read_key(text, pos):
    """Parse a (dotted) key at ``pos``; return (parts, position after the key)."""
    parts = []
    while True:
        while pos < len(text) and text[pos] in ' \t':
            pos += 1
        if pos >= len(text):
            raise TomlEditError('expected a key')
        char = text[pos]
        if char == '"':
            end = pos + 1
            value = []
            while end < len(text) and text[end] != '"':
                if text[end] == '\\' and end + 1 < len(text):
                    value.append(text[end:end + 2].encode().decode('unicode_escape'))
                    end += 2
                    continue
                value.append(text[end])
                end += 1
            parts.append(''.join(value))
            pos = end + 1
        elif char == "'":
            end = text.index("'", pos + 1)
            parts.append(text[pos + 1:end])
            pos = end + 1
        else:
            match = re.compile(r'[A-Za-z0-9_-]+').match(text, pos)
            if not match:
                raise TomlEditError('expected a key at %r' % text[pos:pos + 10])
            parts.append(match.group(0))
            pos = match.end()
        look = pos
        while look < len(text) and text[look] in ' \t':
            look += 1
        if look < len(text) and text[look] == '.':
            pos = look + 1
            continue
        return parts, pos


def _value_end(text, pos):
    """Position just after the TOML value that starts at ``pos``; arrays, inline tables and
    multi-line strings may span lines."""
    depth = 0
    index = pos
    length = len(text)
    while index < length:
        char = text[index]
        if text.startswith('"""', index) or text.startswith("'''", index):
            quote = text[index:index + 3]
            close = index + 3
            while True:
                close = text.find(quote, close)
                if close < 0:
                    return length
                if quote == '"""' and _escaped(text, close):
                    close += 1
                    continue
                break
            index = close + 3
            while index < length and text[index] == quote[0]:  # """a""""" closes after the last quote
                index += 1
        elif char == '"':
            close = index + 1
            while close < length and text[close] not in '\r\n' and (text[close] != '"' or _escaped(text, close)):
                close += 1
            index = close + 1
        elif char == "'":
            close = text.find("'", index + 1)
            index = (length if close < 0 else close) + 1
        elif char in '[{':
            depth += 1
            index += 1
        elif char in ']}':
            depth -= 1
            index += 1
        elif char == '#' or char in '\r\n':
            if depth <= 0:
                break
            if char == '#':
                newline = text.find('\n', index)
                index = length if newline < 0 else newline
            else:
                index += 1
        else:
            index += 1
    while index > pos and text[index - 1] in ' \t':
        index -= 1
    return min(index, length)


def _escaped(text, index):
    backslashes = 0
    index -= 1
    while index >= 0 and text[index] == '\\':
        backslashes += 1
        index -= 1
    return backslashes % 2 == 1


class KeyValue:
    __slots__ = ('key', 'start', 'end', 'value_start', 'value_end', 'prefix')

    def __init__(self, key, start, end, value_start, value_end, prefix):
        self.key = key                # tuple of key parts
        self.start = start            # offset of the line start
        self.end = end                # offset just after the line that ends the value (after its newline)
        self.value_start = value_start
        self.value_end = value_end
        self.prefix = prefix          # the text from the line start to the value (indent, key, separator)


class Block:
    """A table header and its body, or the root table before the first header."""

    __slots__ = ('path', 'array', 'start', 'body_start', 'pairs')

    def __init__(self, path, array, start, body_start):
        self.path = path
        self.array = array
        self.start = start
        self.body_start = body_start
        self.pairs = []

    @property
    def content_end(self):
        """Just after the last key/value line (or the header): where a new key or sibling goes."""
        return self.pairs[-1].end if self.pairs else self.body_start


_HEADER = re.compile(r'[ \t]*(\[\[?)')


def scan(text):
    """Blocks of ``text`` in order; the first is the root table (path ())."""
    blocks = [Block((), False, 0, 0)]
    pos = 0
    length = len(text)
    while pos < length:
        line_end = text.find('\n', pos)
        line_end = length if line_end < 0 else line_end + 1
        stripped = text[pos:line_end].strip()
        if not stripped or stripped.startswith('#'):
            pos = line_end
            continue
        header = _HEADER.match(text, pos)
        if header:
            array = header.group(1) == '[['
            parts, after = _read_key(text, header.end())
            after = text.index(']]' if array else ']', after) + (2 if array else 1)
            blocks.append(Block(tuple(parts), array, pos, line_end))
            pos = line_end
            continue
        parts, after = _read_key(text, pos)
        equals = text.index('=', after)
        value_start = equals + 1
        while text[value_start] in ' \t':
            value_start += 1
        value_end = _value_end(text, value_start)
        pair_end = text.find('\n', value_end)
        pair_end = length if pair_end < 0 else pair_end + 1
        blocks[-1].pairs.append(KeyValue(tuple(parts), pos, pair_end, value_start, value_end, text[pos:value_start]))
        pos = pair_end
    return blocks


# --- rendering -------------------------------------------------------------------

def render_key(part):
    return part if _BARE_KEY.match(part) else '"%s"' % part.replace('\\', '\\\\').replace('"', '\\"')


def render_value(value):
    return tomlkit.item(value).as_string()


# A value that only refers to a secret ($secret{alias}, $env{VAR}, $sys{prop}) or to another key ($ref{a.b}) is no
# secret itself: a diff shows it, so that the operator sees which reference a key gets.
_REFERENCE = re.compile(r'^(["\'])\$(secret|env|sys|ref)\{[^}]*\}\1$')


def mask_secrets(text):
    """The text with the value of every secret-looking key replaced by a mask (a mere reference is shown)."""
    masked = []
    for line in text.splitlines(True):
        match = re.match(r'(\s*([^=#\[]+?)\s*=\s*)(.*?)(\s*(#.*)?)(\r?\n)?$', line)
        if match and SECRET_KEY_PATTERN.search(match.group(2)) and match.group(3) and \
                not _REFERENCE.match(match.group(3)):
            line = match.group(1) + '"%s"' % MASK + (match.group(4) or '') + (match.group(6) or '')
        masked.append(line)
    return ''.join(masked)


def is_secret_key(key):
    return bool(SECRET_KEY_PATTERN.search(key))


# --- editing ---------------------------------------------------------------------

class Edit:
    """One requested change to one table."""

    def __init__(self, table, settings=None, remove_keys=(), remove_table=False, match=None):
        self.path = split_table_name(table) if isinstance(table, str) else tuple(table)
        self.settings = dict(settings or {})
        self.remove_keys = list(dict.fromkeys(remove_keys))  # a key named twice is removed once
        self.remove_table = remove_table
        self.match = dict(match or {})


def _newline(text):
    return '\r\n' if '\r\n' in text[:text.find('\n') + 1] else '\n'


def _key_path(key):
    return split_table_name(key) if '.' in key or key.startswith(('"', "'")) else (key,)


def _target_blocks(blocks, doc, edit):
    """The blocks that hold the table (one, or the matching element of an array of tables)."""
    arrays = [b for b in blocks if b.path == edit.path and b.array]
    if arrays:
        if not edit.match:
            raise TomlEditError('[[%s]] is an array of tables; give match (for example name: Default) to say which.'
                                % '.'.join(edit.path))
        elements = _lookup(doc, edit.path)
        chosen = [block for block, element in zip(arrays, elements)
                  if all(element.get(key) == value for key, value in edit.match.items())]
        if len(chosen) > 1:
            raise TomlEditError('%d elements of [[%s]] match %s; make match more specific.'
                                % (len(chosen), '.'.join(edit.path), edit.match))
        return chosen, True
    tables = [b for b in blocks if b.path == edit.path and not b.array]
    if edit.match:
        if tables or _lookup(doc, edit.path) is not None:
            raise TomlEditError('[%s] is not an array of tables; match only applies to [[...]] tables.'
                                % '.'.join(edit.path))
        return [], True  # no element yet: the first one is added
    return tables, False


def _lookup(doc, path):
    node = doc
    for part in path:
        if not hasattr(node, 'get'):
            return None
        node = node.get(part)
        if node is None:
            return None
    return node


def apply_edit(text, edit, name):
    """(new text, list of what changed). The text is unchanged when nothing needs to change."""
    doc = parse(text, name)
    before_data = doc.unwrap()
    expected = copy.deepcopy(before_data)
    blocks = scan(text)
    newline = _newline(text)
    targets, is_array = _target_blocks(blocks, doc, edit)
    current = _lookup(doc, edit.path)
    if not is_array and current is not None and not hasattr(current, 'keys'):
        raise TomlEditError('%s: %s is a value, not a table.' % (name, '.'.join(edit.path)))
    if not targets and current is not None and not is_array:
        raise TomlEditError('%s: table [%s] is defined without its own header (by dotted keys or an inline table); '
                            'edit it through its parent table instead.' % (name, '.'.join(edit.path)))
    changes = []
    replacements = []  # (start, end, new text), applied from the end

    if edit.remove_table:
        for block in targets:
            start, end = block.start, block.content_end
            # Also take one of the blank lines around it, so no double gap is left.
            if text[end:end + len(newline)] == newline and (start == 0 or text[start - 2 * len(newline):start] ==
                                                            newline * 2):
                end += len(newline)
            elif end >= len(text) and text[:start].endswith(newline * 2):
                start -= len(newline)  # the file's last table: take the blank line before it
            replacements.append((start, end, ''))
        if targets:
            changes.append('removed table [%s%s]' % ('.'.join(edit.path), '' if not is_array else ' element'))
            _expected_remove_table(expected, edit, is_array, {block.path for block in blocks})
        return _finish(text, replacements, expected, changes, name)

    block = targets[0] if targets else None
    element = _expected_element(expected, edit, is_array, create=block is None and bool(edit.settings))
    for key in edit.remove_keys:
        key_path = _key_path(key)
        pair = next((p for p in block.pairs if p.key == key_path), None) if block else None
        if pair is not None:
            replacements.append((pair.start, pair.end, ''))
            changes.append('removed %s from [%s]' % ('.'.join(key_path), '.'.join(edit.path)))
            _expected_pop(element, key_path)
    new_lines = []
    for key, value in edit.settings.items():
        key_path = _key_path(key)
        pair = next((p for p in block.pairs if p.key == key_path), None) if block else None
        old = _expected_get(element, key_path) if element is not None else _Missing
        if pair is not None:
            if _same_value(old, value):
                continue
            replacements.append((pair.value_start, pair.value_end, render_value(value)))
            changes.append('set %s in [%s]' % ('.'.join(key_path), '.'.join(edit.path)))
        else:
            new_lines.append((key_path, value))
            changes.append('added %s to [%s]' % ('.'.join(key_path), '.'.join(edit.path)))
        _expected_set(element, key_path, value)
    if new_lines:
        style = _style(block, blocks, edit.path)
        rendered = ''.join(
            style[0] + '.'.join(render_key(p) for p in key_path) + style[1] + render_value(value) + newline
            for key_path, value in new_lines)
        if block is not None:
            at = block.content_end
            if at > 0 and not text[:at].endswith('\n'):
                rendered = newline + rendered
            replacements.append((at, at, rendered))
        else:
            replacements.append(_new_table(text, blocks, edit.path, is_array or bool(edit.match), rendered, newline,
                                           edit.match, style))
            changes.insert(0, 'added table [%s]' % '.'.join(edit.path))
    return _finish(text, replacements, expected, changes, name)


class _MissingType:
    pass


_Missing = _MissingType()


def _same_value(old, new):
    return old is not _Missing and type(old) is type(new) and old == new


def _expected_element(expected, edit, is_array, create):
    node = expected
    for part in edit.path[:-1] if is_array or edit.match else edit.path:
        if part not in node:
            if not create:
                return None
            node[part] = {}
        node = node[part]
    if not (is_array or edit.match):
        return node
    elements = node.setdefault(edit.path[-1], []) if create else node.get(edit.path[-1], [])
    for element in elements:
        if all(element.get(key) == value for key, value in edit.match.items()):
            return element
    if not create:
        return None
    element = dict(edit.match)
    elements.append(element)
    return element


def _expected_get(element, key_path):
    node = element
    for part in key_path:
        if not isinstance(node, dict) or part not in node:
            return _Missing
        node = node[part]
    return node


def _expected_set(element, key_path, value):
    node = element
    for part in key_path[:-1]:
        node = node.setdefault(part, {})
    node[key_path[-1]] = value


def _expected_pop(element, key_path):
    node = element
    for part in key_path[:-1]:
        node = node[part]
    node.pop(key_path[-1], None)


def _expected_remove_table(expected, edit, is_array, headers):
    """What the document holds once the table is gone. A super-table that only existed through this
    sub-table (no header of its own, nothing else in it) goes too: TOML keeps it implicit."""
    parents = [expected]
    for part in edit.path[:-1]:
        parents.append(parents[-1][part])
    node = parents[-1]
    if is_array:
        node[edit.path[-1]] = [e for e in node[edit.path[-1]]
                               if not all(e.get(k) == v for k, v in edit.match.items())]
        if not node[edit.path[-1]]:
            del node[edit.path[-1]]
    else:
        del node[edit.path[-1]]
    for depth in range(len(edit.path) - 1, 0, -1):
        if parents[depth] or edit.path[:depth] in headers:
            break
        del parents[depth - 1][edit.path[depth - 1]]


def _style(block, blocks, path):
    """(indent, separator) of key lines to write: the table's own, else its siblings', else 'key = value'."""
    for candidate in [block] + [b for b in blocks if b.path[:-1] == path[:-1] and b.pairs]:
        if candidate is not None and candidate.pairs:
            prefix = candidate.pairs[-1].prefix
            match = re.match(r'([ \t]*)(.*?)([ \t]*=[ \t]*)$', prefix)
            if match:
                return match.group(1), match.group(3)
    return '', ' = '


def _new_table(text, blocks, path, array, rendered, newline, match, style):
    """(offset, offset, text) inserting a new table after its siblings, one blank line around it."""
    header = ('[[%s]]' if array else '[%s]') % '.'.join(render_key(p) for p in path)
    if match:
        rendered = ''.join('%s%s%s%s%s' % (style[0], render_key(k), style[1], render_value(v), newline)
                           for k, v in match.items()) + rendered
    related = [b for b in blocks[1:] if b.path == path or (b.path[:len(path) - 1] == path[:-1] and len(path) > 1)]
    if related:
        at = related[-1].content_end
        before = '' if text[:at].endswith(newline * 2) else newline
        if not text[:at].endswith('\n'):
            before = newline * 2
        after = '' if text[at:].startswith(('\n', '\r\n')) or at >= len(text) else newline
        return at, at, before + header + newline + rendered + after
    at = len(text)
    if not text:
        return at, at, header + newline + rendered
    before = '' if text.endswith(newline * 2) else (newline if text.endswith('\n') else newline * 2)
    return at, at, before + header + newline + rendered


def _finish(text, replacements, expected, changes, name):
    new_text = text
    for start, end, replacement in sorted(replacements, key=lambda r: (r[0], r[1]), reverse=True):
        new_text = new_text[:start] + replacement + new_text[end:]
    if new_text == text:
        return text, []
    result = parse(new_text, name + ' (after the edit)').unwrap()
    if result != expected:
        raise TomlSelfCheckError('%s: the edit would change more than was asked (a TOML construct the editor does not handle '
                                 'here); nothing was written. Please report this with the file.' % name)
    return new_text, changes
