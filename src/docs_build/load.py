"""Stage 1: find descriptors and parse them as plain YAML data, keeping where every value was.

PyYAML's ``safe_load`` loses positions and silently keeps the last of two duplicate keys, so we
compose the node graph ourselves (with the C parser when it is installed) and build Python
values from it: every mapping key and value gets a 1-based line and column, duplicate keys are
reported, and only the YAML core tags are accepted, so nothing in a descriptor is ever executed.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Location, Problem, line_of

#: Descriptors larger than this are refused before parsing (real ones are ~10 KiB).
MAX_FILE_BYTES = 1024 * 1024
#: Values built from one document, counting every alias expansion ("billion laughs" guard).
MAX_NODES = 100_000
#: Nesting deeper than this is refused; descriptors are a few levels deep.
MAX_DEPTH = 64

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"

# The C parser is ~10x faster; its marks are as exact as the pure-Python one's.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR_TAG = "tag:yaml.org,2002:str"


class _Loader(_Base):  # type: ignore[valid-type,misc]  # a class chosen at import time
    """The safe loader with its per-node resolver calls cut short.

    The parser asks the resolver for the tag of every node and tells it when it enters and
    leaves one, for path resolvers, which no safe loader has (checked below). Only a plain
    scalar's tag depends on its text (``12`` is an int); everything else gets the default tag
    of its kind, as PyYAML itself would give it.
    """

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            return _SCALAR_TAG if not implicit[0] else str(super().resolve(kind, value, implicit))
        return _SEQ_TAG if kind is SequenceNode else _MAP_TAG


assert not _Base.yaml_path_resolvers, "path resolvers would need descend_resolver"

_SAFE_SCALAR_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "timestamp")
)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_FLATTENED_TAGS = frozenset({_MERGE_TAG, "tag:yaml.org,2002:value"})

PathKey = tuple[str | int, ...]


@dataclass
class Source:
    """One descriptor file as loaded: its data plus a position for every value and key."""

    path: Path
    display: str
    text: str
    data: Any = None
    value_marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    #: The exact text of plain (unquoted) scalars, so ``1.10`` can be shown as written.
    plain_text: dict[PathKey, str] = field(default_factory=dict)

    def location(self, path: PathKey, *, key: bool = False) -> Location:
        """Where ``path`` is; falls back to the nearest enclosing value that has a mark."""
        if key and path in self.key_marks:
            line, col = self.key_marks[path]
            return Location(self.display, line, col)
        probe = path
        while True:
            if probe in self.value_marks:
                line, col = self.value_marks[probe]
                return Location(self.display, line, col)
            if not probe:
                return Location(self.display, 1, 1)
            probe = probe[:-1]

    def problem(self, path: PathKey, message: str, *, key: bool = False, warning: bool = False) -> Problem:
        """A problem located at ``path`` (the key itself when ``key``)."""
        from .errors import Severity

        loc = self.location(path, key=key)
        sev = Severity.WARNING if warning else Severity.ERROR
        return Problem(loc, message, sev, line_of(self.text, loc.line))


class _Refused(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node


def is_descriptor_name(name: str) -> bool:
    """``*.yaml`` and ``*.yml`` are descriptors; dot files (editor scratch, ``.yaml``) are not."""
    return name.endswith((".yaml", ".yml")) and not name.startswith(".")


def find_descriptors(models_dir: Path) -> list[Path]:
    """Descriptor files in ``models_dir`` (``*.yaml`` / ``*.yml``), sorted for stable output."""
    return [models_dir / name for name in sorted(filter(is_descriptor_name, os.listdir(models_dir)))]


def load_file(path: Path, display: str) -> tuple[Source, list[Problem]]:
    """Read and parse one descriptor; the Source has ``data`` None when it could not be parsed."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            # Reading a FIFO or a device would block the build forever (or never end).
            what = "a directory" if path.is_dir() else "not a regular file (a pipe or a device?)"
            return Source(path, display, ""), [
                Problem(Location(display, 1, 1), f"{what}, not a descriptor; remove it or rename it")
            ]
        raw = path.read_bytes()
    except OSError as exc:
        src = Source(path, display, "")
        reason = exc.strerror or str(exc)
        return src, [
            Problem(
                Location(display, 1, 1), f"cannot read file: {reason}; check that it exists and is readable"
            )
        ]
    return load_bytes(raw, path, display)


def load_bytes(raw: bytes, path: Path, display: str) -> tuple[Source, list[Problem]]:
    """Parse descriptor bytes; see :func:`load_file`."""
    src = Source(path, display, "")
    if len(raw) > MAX_FILE_BYTES:
        return src, [
            Problem(
                Location(display, 1, 1),
                f"file is {len(raw)} bytes; descriptors are limited to {MAX_FILE_BYTES} bytes "
                "(1 MiB); move large examples out of the descriptor",
            )
        ]
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return src, [
            Problem(
                Location(display, 1, 1),
                "file is UTF-32 (it starts with a UTF-32 byte order mark); save it as UTF-8",
            )
        ]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return src, [
            Problem(
                Location(display, 1, 1),
                "file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8",
            )
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return src, [
            Problem(
                Location(display, line, col),
                f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
            )
        ]
    src.text = text
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return src, [
            src_problem(
                src,
                line,
                col,
                "file contains a NUL character (is it a binary file?); save the descriptor as UTF-8 text",
            )
        ]
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem and "expected a single document" in exc.context:
            what = "a descriptor holds exactly one YAML document; remove the extra '---' document"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what += _syntax_hint(what, line_of(text, line) or "", col)
        return src, [src_problem(src, line, col, f"YAML syntax error: {what}")]
    except yaml.reader.ReaderError as exc:
        # libyaml counts bytes, not characters; the character itself is easier to find.
        found = text.find(chr(exc.character)) if isinstance(exc.character, int) else -1
        line, col = _line_col(text, found if found >= 0 else exc.position)
        return src, [
            src_problem(
                src,
                line,
                col,
                f"file contains the control character U+{exc.character:04X}, which YAML does not allow; "
                "delete it (or write it as an escape inside double quotes)",
            )
        ]
    except (yaml.YAMLError, RecursionError) as exc:
        return src, [
            src_problem(src, 1, 1, f"YAML error: {exc.__class__.__name__}: nesting too deep or invalid")
        ]
    if node is None:
        return src, [src_problem(src, 1, 1, "file is empty; a descriptor is a mapping with a 'model:' block")]
    builder = _Builder(src)
    try:
        src.data = builder.build(node, (), 0)
    except _Refused as exc:
        mark = exc.node.start_mark
        return src, [src_problem(src, mark.line + 1, mark.column + 1, str(exc))]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        if "merging" in what:
            what += "; '<<' takes a mapping or an alias of one, e.g. <<: *defaults"
        return src, [src_problem(src, line, col, f"YAML error: {what}")]
    if src.data is None:
        return src, [
            src_problem(src, 1, 1, "file holds only null; a descriptor is a mapping with a 'model:' block")
        ]
    return src, builder.problems


#: Remedies for the YAML syntax errors people actually make, keyed by the parser's wording.
_HINTS = {
    "found undefined alias": "; define the anchor (&name) before the alias (*name) that uses it",
    "found unexpected end of stream": "; a quote or bracket opened above is never closed",
    "mapping values are not allowed": "; quote a value that contains ': '",
    "found incompatible YAML document": "; only YAML 1.x is supported: remove the %YAML line",
    "did not find expected ',' or": "; close the bracket, or quote a value that contains ',', '[' or '{'",
    "did not find expected key": "; check the indentation of this line against the keys above it",
}


def _syntax_hint(what: str, line_text: str, col: int) -> str:
    """A remedy for a syntax error: tabs first (the parser never names them), then by wording."""
    if "\t" in line_text[: max(col, 1)] or "tab" in what:
        return " (YAML does not allow tabs for indentation; use spaces)"
    return next((hint for key, hint in _HINTS.items() if key in what), "")


def _tag_message(node: Node) -> str:
    return (
        f"unsupported YAML tag {node.tag!r}: descriptors hold plain data only (text, numbers, "
        "booleans, lists, mappings) and no tag is ever run; remove the tag"
    )


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of character ``offset`` of ``text`` (clamped to the text)."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def src_problem(src: Source, line: int, col: int, message: str) -> Problem:
    """An error at ``line:col`` of ``src``, with the line for context."""
    return Problem(Location(src.display, line, col), message, source_line=line_of(src.text, line))


def _compose(text: str) -> Node | None:
    loader = _Loader(text)
    try:
        node: Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


class _Builder:
    """Turns a node graph into dicts, lists and scalars, recording marks as it goes."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.problems: list[Problem] = []
        self.count = 0
        #: Nodes being built right now: meeting one again means an alias contains itself.
        self.active: set[int] = set()
        self.merge_sizes: dict[int, int] = {}
        # A constructor for scalar resolution only (ints, bools, timestamps as YAML 1.1 says).
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: Node, path: PathKey, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Refused(
                node,
                f"document expands to more than {MAX_NODES} values (aliases that repeat aliases?); "
                "write the values out instead of nesting aliases",
            )
        if depth > MAX_DEPTH:
            raise _Refused(
                node, f"values are nested more than {MAX_DEPTH} levels deep; flatten the descriptor"
            )
        if id(node) in self.active:
            raise _Refused(node, "an alias refers to a value that contains it (recursive data); remove it")
        self.src.value_marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                self._check_tag(node, _SEQ_TAG)
                return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            self._check_tag(node, _MAP_TAG)
            return self._pairs(node, path, depth)
        finally:
            self.active.discard(id(node))

    def _merged_size(self, node: MappingNode, active: frozenset[int] = frozenset()) -> int:
        """Pairs ``node`` has once its ``<<`` merges are flattened, computed without flattening.

        PyYAML's ``flatten_mapping`` copies merged pairs eagerly, so eight levels of fifty merges
        would build 50**8 pairs before our value count ever sees them.
        """
        if id(node) in self.merge_sizes:
            return self.merge_sizes[id(node)]
        if id(node) in active:
            raise _Refused(
                node, "a '<<' merge includes the mapping that contains it (recursive data); remove it"
            )
        total = 0
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                total += 1
                continue
            subs = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for sub in subs:
                if isinstance(sub, MappingNode):
                    total += self._merged_size(sub, active | {id(node)})
            if total > MAX_NODES:
                raise _Refused(
                    node,
                    f"'<<' merges expand to more than {MAX_NODES} values; write the values out instead",
                )
        self.merge_sizes[id(node)] = total
        return total

    def _pairs(self, node: MappingNode, path: PathKey, depth: int) -> dict[str, Any]:
        merged = 0
        # PyYAML's flatten_mapping resolves '<<' merge keys (merged pairs come first) and turns
        # '=' keys (the "value" tag) into text; a mapping with neither needs no flattening.
        if any(k.tag in _FLATTENED_TAGS for k, _ in node.value):
            if any(k.tag == _MERGE_TAG for k, _ in node.value):
                self._merged_size(node)
            explicit = sum(1 for k, _ in node.value if k.tag != _MERGE_TAG)
            self.constructor.flatten_mapping(node)
            merged = len(node.value) - explicit
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        key_marks = self.src.key_marks
        for key_node, value_node in node.value[merged:] if merged else node.value:
            key = self._key(key_node)
            mark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in seen:
                self.problems.append(
                    src_problem(
                        self.src,
                        *mark,
                        f"duplicate key '{key}' (first defined on line {seen[key]}); keep one of them",
                    )
                )
                continue
            seen[key] = mark[0]
            sub = (*path, key)
            key_marks[sub] = mark
            out[key] = self.build(value_node, sub, depth + 1)
        # Keys written out override merged ones, and the first merged mapping wins (YAML's rule),
        # which is the last pair in PyYAML's flattened order.
        for key_node, value_node in reversed(node.value[:merged]):
            key = self._key(key_node)
            if key not in out:
                self.src.key_marks[(*path, key)] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                out[key] = self.build(value_node, (*path, key), depth + 1)
        return out

    def _key(self, node: Node) -> str:
        if isinstance(node, ScalarNode):
            if node.tag == _SCALAR_TAG:
                return str(node.value)
            self._check_scalar_tag(node)
            # Keys are names: keep them as written ('yes' stays "yes", not True).
            return str(node.value)
        raise _Refused(node, "mapping keys must be plain names, not lists or mappings")

    def _scalar(self, node: ScalarNode, path: PathKey) -> Any:
        if node.tag == _SCALAR_TAG:  # most values: text as written (what the constructor returns)
            return node.value
        self._check_scalar_tag(node)
        if not node.style and node.tag != "tag:yaml.org,2002:str":  # C parser: "" for plain
            self.src.plain_text[path] = node.value
            if node.tag == "tag:yaml.org,2002:timestamp":
                # YAML 1.2 (and editors) read 2024-06-30 as text; so do we.
                return node.value
        try:
            return self.constructor.construct_object(node)
        except (ValueError, TypeError, OverflowError, KeyError, IndexError, AttributeError):
            # '!!int abc', '!!bool maybe', or an integer longer than Python converts (4300 digits)
            kind = str(node.tag).rsplit(":", 1)[-1]
            shown = node.value if len(node.value) <= 40 else node.value[:40] + "..."
            raise _Refused(
                node,
                f"value {shown!r} is not a valid {kind}; fix it, or quote it (no tag) to keep it as text",
            ) from None

    def _check_scalar_tag(self, node: ScalarNode) -> None:
        if node.tag not in _SAFE_SCALAR_TAGS:
            raise _Refused(node, _tag_message(node))

    def _check_tag(self, node: Node, expected: str) -> None:
        if node.tag != expected:
            raise _Refused(node, _tag_message(node))
