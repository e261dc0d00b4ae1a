"""FileTree: follow a chain of notes through a generated directory tree to an access code.

The tree has ``tops`` top-level directories, each ``branching`` wide and ``depth`` deep. The
task points at the first note; each note points at the next in one of three ways, in turn:
by absolute path, as "the only .key file in DIR" (needs ``ls``), and as "the file under /TOP
that contains the word W" (needs ``grep``). The last note holds the access code. Decoy notes
and decoy codes with the same wording fill the tree, so only the chain tells them apart.

Tools work on the current directory, one level at a time, like a minimal shell: ``ls()``,
``cd(dir)`` with a child name, ``..`` or ``/``, ``cat(file)`` of a file here, ``grep(word)``
over the files below here, and ``answer(value)``. Consecutive notes sit in different top-level
directories at depth ``depth``, so with ``D = depth`` a hop costs exactly: by path ``D + 2``
calls (``cd /``, ``D`` times ``cd``, ``cat``; ``D + 1`` for the first hop, made from ``/``), by
``ls`` ``D + 3`` and by ``grep`` ``D + 3`` (``cd /``, ``grep``, ``D`` times ``cd``, ``cat``).
Admissible calls: ``ls``, ``cd /``, ``cd ..`` (below the root), ``cd``/``cat`` of the entries of
this directory the conversation has revealed (by ``ls``, by a path in a note, by ``grep``),
``grep`` of every keyword seen, ``answer`` with every code seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from entropy_gym.envs.text.tools.calls import Param, Tool, call_text
from entropy_gym.envs.text.tools.family import Episode, Family, Outcome, ToolError
from entropy_gym.envs.text.tools.names import (
    DIR_NAMES,
    FILE_EXTS,
    FILE_STEMS,
    KEYWORDS,
    NOISE_WORDS,
    Draw,
)
from entropy_gym.envs.text.tools.transcript import Transcript

LS = Tool("ls", "list the current directory (directories end with /)")
CD = Tool("cd", "change directory by one level", (Param("dir", "a directory here, '..' or '/'"),))
CAT = Tool("cat", "print a file of the current directory", (Param("file", "a file name here"),))
GREP = Tool(
    "grep",
    "find the files below the current directory that contain a word (case-sensitive); "
    "returns their paths relative to here",
    (Param("word", "the word, at least 3 characters"),),
)
ANSWER = Tool("answer", "submit the access code; ends the task", (Param("value", "the code"),))

KINDS = ("path", "ls", "grep")  # how hop i points at note i, cycling; hop 0 is in the task
MAX_GREP_MATCHES = 20
_CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

Path = tuple[str, ...]


def show(path: Path) -> str:
    return "/" + "/".join(path)


@dataclass(frozen=True)
class TreeWorld:
    dirs: dict[Path, tuple[str, ...]]  # dir -> child directory names
    files: dict[Path, dict[str, str]]  # dir -> {file name: content}
    #: What reading a file reveals: (paths, keywords, codes).
    reveals: dict[Path, tuple[tuple[Path, ...], tuple[str, ...], tuple[str, ...]]]
    chain: tuple[Path, ...]  # the notes' file paths, in order
    answer: str


@dataclass
class TreeState:
    cwd: Path = ()
    known: dict[Path, dict[str, bool]] = field(default_factory=dict)  # dir -> {name: is_dir}
    keywords: dict[str, None] = field(default_factory=dict)
    codes: dict[str, None] = field(default_factory=dict)


class TreeEpisode(Episode):
    world: TreeWorld
    state: TreeState

    # -- what the conversation has revealed ------------------------------------------------
    def reveal_path(self, path: Path, is_dir: bool) -> None:
        known = self.state.known
        for i in range(len(path)):
            known.setdefault(path[:i], {})[path[i]] = is_dir or i < len(path) - 1

    def _reveal_file(self, path: Path) -> None:
        paths, keywords, codes = self.world.reveals[path]
        for p in paths:
            self.reveal_path(p, is_dir=p in self.world.dirs)
        for k in keywords:
            self.state.keywords.setdefault(k, None)
        for c in codes:
            self.state.codes.setdefault(c, None)

    # -- tools ------------------------------------------------------------------------------
    def tool_ls(self) -> Outcome:
        cwd = self.state.cwd
        subdirs, files = self.world.dirs[cwd], self.world.files[cwd]
        known = self.state.known.setdefault(cwd, {})
        for d in subdirs:
            known[d] = True
        for f in files:
            known[f] = False
        lines = [f"{show(cwd)}:"] + [f"{d}/" for d in subdirs] + list(files)
        return Outcome("\n".join(lines))

    def tool_cd(self, target: str) -> Outcome:
        target = target.strip()
        cwd = self.state.cwd
        if target == "/":
            new = ()
        elif target == "..":
            if not cwd:
                raise ToolError("already at the root /; there is no '..'")
            new = cwd[:-1]
        elif "/" in target:
            raise ToolError(f"cd moves one level: give a directory in {show(cwd)}, '..' or '/'")
        elif target in self.world.dirs[cwd]:
            new = (*cwd, target)
        elif target in self.world.files[cwd]:
            raise ToolError(f"{target} is a file, not a directory")
        else:
            raise ToolError(f"no directory {target!r} in {show(cwd)}")
        self.state.cwd = new
        return Outcome(f"Now in {show(new)}.")

    def tool_cat(self, name: str) -> Outcome:
        name = name.strip()
        cwd = self.state.cwd
        if "/" in name:
            raise ToolError("cat takes a file name in the current directory; use cd to move")
        content = self.world.files[cwd].get(name)
        if content is None:
            if name in self.world.dirs[cwd]:
                raise ToolError(f"{name} is a directory")
            raise ToolError(f"no file {name!r} in {show(cwd)}")
        path = (*cwd, name)
        self._reveal_file(path)
        milestone = self.world.chain.index(path) if path in self.world.chain else None
        return Outcome(content, milestone=milestone)

    def tool_grep(self, word: str) -> Outcome:
        if len(word) < 3:
            raise ToolError("grep needs a word of at least 3 characters")
        cwd = self.state.cwd
        n = len(cwd)
        hits = [
            (*d, f)
            for d, fs in self.world.files.items()
            if d[:n] == cwd
            for f, text in fs.items()
            if word in text
        ]
        if not hits:
            return Outcome(f"No file under {show(cwd)} contains {word}.")
        hits.sort()
        for h in hits:
            self.reveal_path(h, is_dir=False)
        shown = ["/".join(h[n:]) for h in hits[:MAX_GREP_MATCHES]]
        more = (
            f"\n... and {len(hits) - MAX_GREP_MATCHES} more" if len(hits) > MAX_GREP_MATCHES else ""
        )
        return Outcome(f"Files under {show(cwd)} containing {word}:\n" + "\n".join(shown) + more)

    def tool_answer(self, value: str) -> Outcome:
        correct = value.strip().upper() == self.world.answer
        return Outcome("Correct." if correct else "Incorrect.", final=True, success=correct)

    def admissible(self) -> list[str]:
        cwd = self.state.cwd
        calls = [call_text(LS), call_text(CD, "/")]
        if cwd:
            calls.append(call_text(CD, ".."))
        for name, is_dir in self.state.known.get(cwd, {}).items():
            calls.append(call_text(CD, name) if is_dir else call_text(CAT, name))
        calls.extend(call_text(GREP, k) for k in self.state.keywords)
        calls.extend(call_text(ANSWER, c) for c in self.state.codes)
        return calls


class FileTree(Family):
    name: ClassVar[str] = "FileTree"
    description: ClassVar[str] = (
        "You explore a file tree with a minimal shell; you start in the root directory /."
    )
    tools: ClassVar[tuple[Tool, ...]] = (LS, CD, CAT, GREP, ANSWER)
    final_tool: ClassVar[str] = "answer"
    presets: ClassVar[dict[str, dict[str, int]]] = {
        "easy": {"depth": 2, "hops": 1, "tops": 3, "branching": 2, "decoys": 2},
        "medium": {"depth": 2, "hops": 3, "tops": 4, "branching": 2, "decoys": 4},
        "hard": {"depth": 3, "hops": 6, "tops": 5, "branching": 2, "decoys": 6},
    }
    bounds: ClassVar[dict[str, tuple[int, int]]] = {
        "depth": (1, 5),
        "hops": (1, 16),
        "tops": (2, 8),
        "branching": (1, 3),
        "decoys": (0, 16),
    }

    def __init__(self, difficulty: str = "medium", **overrides: int) -> None:
        super().__init__(difficulty, **overrides)
        p = self.params
        if p["hops"] + 2 * p["decoys"] > len(KEYWORDS):
            raise ValueError(f"FileTree needs hops + 2 * decoys <= {len(KEYWORDS)}, got {p}")

    def optimal_calls(self) -> int:
        d, hops = self.params["depth"], self.params["hops"]
        cost = {"path": d + 2, "ls": d + 3, "grep": d + 3}
        return (d + 1) + sum(cost[KINDS[i % 3]] for i in range(1, hops)) + 1

    def milestones(self) -> int:
        return self.params["hops"]

    def generate(self, rng: np.random.Generator) -> TreeEpisode:
        draw = Draw(rng)
        p = self.params
        depth, hops = p["depth"], p["hops"]
        dirs: dict[Path, tuple[str, ...]] = {}
        files: dict[Path, dict[str, str]] = {}
        frontier: list[Path] = [()]
        while frontier:
            d = frontier.pop()
            width = p["tops"] if not d else (p["branching"] if len(d) < depth else 0)
            kids = tuple(draw.sample([n for n in DIR_NAMES if n not in d], width))
            dirs[d] = kids
            files[d] = {}
            for _ in range(draw.between(1, 2)):
                self._add_file(draw, files[d], dirs[d], FILE_EXTS, _noise(draw))
            frontier.extend((*d, k) for k in kids)
        deep = [d for d in dirs if len(d) == depth]
        tags = draw.sample(KEYWORDS, hops + 2 * p["decoys"])
        answer = _code(draw)

        # The chain: note i lives at depth `depth`, in another top directory than note i-1.
        chain: list[Path] = []
        key_dirs: set[Path] = set()
        for i in range(hops):
            kind = KINDS[i % 3]
            prev_top = chain[-1][0] if chain else None
            pool = [d for d in deep if d[0] != prev_top and (kind != "ls" or d not in key_dirs)]
            d = draw.choice(pool)
            exts = (".key",) if kind == "ls" else FILE_EXTS
            name = self._add_file(draw, files[d], dirs[d], exts, "")
            if kind == "ls":
                key_dirs.add(d)
            chain.append((*d, name))

        def pointer(i: int) -> str:
            """How the text before note ``i`` points at it."""
            target = chain[i]
            kind = KINDS[i % 3]
            if kind == "path":
                return f"Next note: {show(target)}"
            if kind == "ls":
                return f"Next note: the only .key file in {show(target[:-1])}"
            return f"Next note: the file under /{target[0]} that contains the word {tags[i]}"

        for i, path in enumerate(chain):
            body = pointer(i + 1) if i + 1 < hops else f"Access code: {answer}"
            files[path[:-1]][path[-1]] = f"Tag: {tags[i]}\n{body}"

        # Decoys: code files and notes pointing at them, worded exactly like the chain's.
        decoy_codes: list[Path] = []
        for j in range(p["decoys"]):
            d = draw.choice(deep)
            exts = FILE_EXTS if d in key_dirs else (*FILE_EXTS, ".key")
            tag = tags[hops + j]
            name = self._add_file(
                draw, files[d], dirs[d], exts, f"Tag: {tag}\nAccess code: {_code(draw)}"
            )
            decoy_codes.append((*d, name))
        for j in range(p["decoys"]):
            d = draw.choice(deep)
            exts = FILE_EXTS if d in key_dirs else (*FILE_EXTS, ".key")
            target = draw.choice(decoy_codes)
            tag = tags[hops + p["decoys"] + j]
            self._add_file(draw, files[d], dirs[d], exts, f"Tag: {tag}\nNext note: {show(target)}")

        reveals = {
            (*d, f): _reveals(text) if "Tag:" in text else _NOTHING
            for d, fs in files.items()
            for f, text in fs.items()
        }
        world = TreeWorld(dirs, files, reveals, tuple(chain), answer)
        task = (
            "Find the access code. Notes lead from one to the next; the last one holds the "
            f"access code. You start in /.\n{pointer(0)}"
        )
        episode = TreeEpisode(task, world, TreeState())
        episode.reveal_path(chain[0], is_dir=False)
        return episode

    @staticmethod
    def _add_file(
        draw: Draw,
        files: dict[str, str],
        subdirs: tuple[str, ...],
        exts: tuple[str, ...],
        content: str,
    ) -> str:
        while True:
            name = f"{draw.choice(FILE_STEMS)}{draw.choice(exts)}"
            if name not in files and name not in subdirs:
                files[name] = content
                return name

    # -- the oracle: reads the conversation, keeps no state --------------------------------
    _POINTER = re.compile(
        r"Next note: (?:the only \.key file in (?P<ls>/\S*)|the file under (?P<top>/\S+) "
        r"that contains the word (?P<word>\S+)|(?P<path>/\S+))$"
    )
    _CODE = re.compile(r"Access code: (\S+)")

    _TASK_HEAD = (
        "Find the access code. Notes lead from one to the next; the last one holds the "
        "access code. You start in /.\n"
    )

    def compact_task(self, task: str) -> str:
        return task.replace(self._TASK_HEAD, "Find the access code.\n")

    @classmethod
    def oracle_call(cls, transcript: Transcript) -> str:
        cwd: Path = ()
        pointer = cls._POINTER.search(transcript.task.splitlines()[-1])
        code = None
        target: Path | None = None  # the next note's path, once known
        for t in transcript.turns:
            tool = _tool_of(t.call)
            if tool == "cd":
                cwd = _parse_path(t.result[len("Now in ") : -1])
            elif tool == "cat":
                found = cls._CODE.search(t.result)
                if found:
                    code = found.group(1)
                for line in t.result.splitlines():
                    m = cls._POINTER.match(line)
                    if m:
                        pointer, target = m, None
            elif tool == "ls" and pointer and pointer.group("ls"):
                key = next(x for x in t.result.splitlines()[1:] if x.endswith(".key"))
                target = (*cwd, key)
            elif tool == "grep" and pointer and pointer.group("word"):
                # The note that named the word matches too; the target is under the named top.
                top = _parse_path(pointer.group("top"))
                for rel in t.result.splitlines()[1:]:
                    path = (*cwd, *rel.split("/"))
                    if path[: len(top)] == top:
                        target = path
        if code is not None:
            return call_text(ANSWER, code)
        if pointer.group("path"):
            target = _parse_path(pointer.group("path"))
        if target is None and pointer.group("word"):
            return call_text(CD, "/") if cwd else call_text(GREP, pointer.group("word"))
        if target is None:  # an ls pointer: go to the directory and list it
            where = _parse_path(pointer.group("ls"))
            return call_text(LS) if cwd == where else _step_towards(cwd, where)
        if cwd == target[:-1]:
            return call_text(CAT, target[-1])
        return _step_towards(cwd, target[:-1])


def _step_towards(cwd: Path, where: Path) -> str:
    """The next ``cd`` on the shortest route from ``cwd`` to ``where``."""
    if where[: len(cwd)] == cwd:
        return call_text(CD, where[len(cwd)])
    return call_text(CD, "/")


def _parse_path(text: str) -> Path:
    return tuple(x for x in text.strip().split("/") if x)


def _tool_of(call: str) -> str | None:
    m = re.match(r'\{"tool": "(\w+)"', call)
    return m.group(1) if m else None


def _noise(draw: Draw) -> str:
    words = [draw.choice(NOISE_WORDS) for _ in range(draw.between(4, 9))]
    return " ".join(words).capitalize() + "."


def _code(draw: Draw) -> str:
    chars = [draw.choice(_CODE_CHARS) for _ in range(6)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


_NOTHING: tuple[tuple[Path, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())
_PATH_IN_TEXT = re.compile(r"(/[\w./-]*[\w])")
_WORD_IN_TEXT = re.compile(r"\b(?:Tag:|the word) ([A-Z]{3,})\b")


def _reveals(text: str) -> tuple[tuple[Path, ...], tuple[str, ...], tuple[str, ...]]:
    """Paths, keywords and codes a file's text shows (what reading it reveals)."""
    paths = tuple(_parse_path(p) for p in _PATH_IN_TEXT.findall(text))
    words = tuple(_WORD_IN_TEXT.findall(text))
    codes = tuple(FileTree._CODE.findall(text))
    return paths, words, codes
