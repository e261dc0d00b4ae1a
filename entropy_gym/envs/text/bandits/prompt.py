"""Render a bandit's state as the prompt for the next decision.

Two history modes:

- ``raw``: every past step is one line, appended as the episode goes. The prompt up to the end
  of the history only ever grows, so an LLM agent can keep its KV cache across decisions.
- ``summary``: per-arm counts and average rewards (the sufficient statistics), so the prompt
  has a fixed size whatever the horizon.

The ``compact`` framing lays the same facts out tersely (one rules line, ``A 2/3`` per arm
with successes over pulls, or ``A 3x0.52`` with pulls and the average reward, ``Pull 4 of 10:``)
for character-level micro models; the env, its dynamics and its reply parser are unchanged.

Every piece has a bounded width (numbers are printed in at most :data:`NUMBER_WIDTH`
characters, replies are quoted in at most :data:`EXCERPT_WIDTH`), which is what makes
:attr:`PromptWriter.max_length` a true bound of the observation space.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

from entropy_gym.envs.text.bandits.framing import FRAMINGS, list_labels
from entropy_gym.envs.text.bandits.spec import BanditSpec

#: The characters a prompt may contain (the observation space's charset).
CHARSET = string.printable
#: Widest printed number: ``-99999.99`` or ``-1.23e+300``.
NUMBER_WIDTH = 10
#: Widest quoted reply excerpt, quotes and ellipsis included.
EXCERPT_WIDTH = 30
_EXCERPT_CHARS = 24
_SAFE = set(string.ascii_letters + string.digits + string.punctuation + " ") - {'"'}


def format_number(x: float) -> str:
    """Two decimals, in at most :data:`NUMBER_WIDTH` characters whatever the value."""
    if x != x:  # NaN cannot come from the env, but the bound must hold for any float
        return "nan"
    if abs(x) < 99999.995:
        text = f"{x:.2f}"
        return "0.00" if text == "-0.00" else text
    if abs(x) == float("inf"):
        return "inf" if x > 0 else "-inf"
    return f"{x:.2e}"


def reply_excerpt(reply: str) -> str:
    """A reply quoted for the prompt: printable, one line, at most :data:`EXCERPT_WIDTH` chars."""
    flat = "".join(c if c in _SAFE else ("'" if c == '"' else " ") for c in reply)
    flat = " ".join(flat.split())
    if len(flat) > _EXCERPT_CHARS:
        flat = flat[: _EXCERPT_CHARS - 3].rstrip() + "..."
    return f'"{flat}"'


class PromptWriter:
    """Turns (step, history, statistics) into prompt text for one :class:`BanditSpec`."""

    def __init__(self, spec: BanditSpec) -> None:
        self.spec = spec
        self.framing = FRAMINGS[spec.framing]
        f = self.framing
        self.compact = f.compact
        labels = spec.labels
        rule = f.bernoulli_rule if spec.reward == "bernoulli" else f.gaussian_rule
        if self.compact:
            scene = f.scene.format(labels=f"{labels[0]}-{labels[-1]}")
            goal = f.goal.format(horizon=spec.horizon)
            parts = [f"{scene}, {rule}, {goal}"]
        else:
            parts = [f.scene.format(k=spec.num_arms, labels=list_labels(labels)), rule]
        if spec.switch_prob > 0:
            parts.append(f.switch_rule)
        if not self.compact:
            parts.append(f.goal.format(horizon=spec.horizon))
        if spec.hint:
            parts.append(f.hint)
        self.intro = " ".join(parts) + ("\n" if self.compact else "\n\n")
        self._answer = f"Answer with one of: {', '.join(labels)}."
        self.max_length = self._max_length()

    # -- pieces --------------------------------------------------------------------------
    def reward_text(self, reward: float) -> str:
        """``1``/``0`` for Bernoulli rewards, two decimals for Gaussian ones."""
        if self.spec.reward == "bernoulli":
            return "1" if reward > 0.5 else "0"
        return format_number(reward)

    def history_line(self, step: int, arm: int | None, reward: float, reply: str = "") -> str:
        """One raw-history line for 1-based ``step``; ``arm=None`` marks an unreadable reply."""
        f = self.framing
        if self.compact:
            label = "?" if arm is None else self.spec.labels[arm]
            return f"{label} {self.reward_text(0.0 if arm is None else reward)}\n"
        if arm is None:
            return (
                f"{f.step_word} {step}: the reply {reply_excerpt(reply)} named no {f.arm}, "
                f"reward 0\n"
            )
        choice = f.choice.format(label=self.spec.labels[arm])
        return f"{f.step_word} {step}: {choice}, reward {self.reward_text(reward)}\n"

    def invalid_feedback(self, reply: str) -> str:
        """The summary-mode line that follows a step whose reply named no arm."""
        if self.compact:
            return f"Last reply named no {self.framing.arm}.\n"
        return (
            f"Your last reply {reply_excerpt(reply)} named no {self.framing.arm}, so that turn "
            f"earned reward 0.\n"
        )

    def summary(self, step: int, counts: Sequence[int], sums: Sequence[float]) -> str:
        """Per-arm counts and average rewards after ``step`` steps."""
        f = self.framing
        if self.compact:
            return "".join(
                f"{label} {self._compact_stat(int(n), float(total))}\n"
                for label, n, total in zip(self.spec.labels, counts, sums)
            )
        lines = [f"Summary of the {step} turns so far:\n"]
        for label, n, total in zip(self.spec.labels, counts, sums):
            choice = f.choice.format(label=label)
            if n == 0:
                lines.append(f"{choice}: not {f.chosen_verb} yet\n")
            else:
                times = "time" if n == 1 else "times"
                mean = format_number(float(total) / int(n))
                lines.append(f"{choice}: {f.chosen_verb} {int(n)} {times}, average reward {mean}\n")
        return "".join(lines)

    def _compact_stat(self, n: int, total: float) -> str:
        """``-`` (never pulled), ``2/3`` (Bernoulli: successes/pulls) or ``3x0.52`` (pulls x
        average reward)."""
        if n == 0:
            return "-"
        if self.spec.reward == "bernoulli":
            return f"{round(total)}/{n}"
        return f"{n}x{format_number(total / n)}"

    def query(self, step: int) -> str:
        """The closing question before decision ``step + 1`` (or the end-of-game line)."""
        f = self.framing
        if self.compact:
            if step >= self.spec.horizon:
                return "Game over."
            return f"{f.step_word} {step + 1} of {self.spec.horizon}:"
        if step >= self.spec.horizon:
            return f"\nThe game is over after {self.spec.horizon} turns."
        return f"\n{f.step_word} {step + 1} of {self.spec.horizon}. {f.question} {self._answer}"

    # -- whole prompts -------------------------------------------------------------------
    def render(
        self,
        step: int,
        history_text: str,
        counts: Sequence[int],
        sums: Sequence[float],
        invalid_reply: str | None,
    ) -> str:
        """The prompt after ``step`` steps.

        ``history_text`` is the concatenation of :meth:`history_line` outputs (raw mode);
        ``counts``/``sums`` are per-arm statistics (summary mode); ``invalid_reply`` is the
        previous step's reply when it named no arm.
        """
        if self.compact:
            body = history_text if self.spec.history == "raw" else self.summary(step, counts, sums)
            if self.spec.history != "raw" and invalid_reply is not None:
                body += self.invalid_feedback(invalid_reply)
            return self.intro + body + self.query(step)
        if self.spec.history == "raw":
            body = "History:\n" + history_text if step else "Nothing has happened yet.\n"
        else:
            body = self.summary(step, counts, sums)
            if invalid_reply is not None:
                body += self.invalid_feedback(invalid_reply)
        return self.intro + body + self.query(step)

    def _max_length(self) -> int:
        """An upper bound of :meth:`render`'s length over every reachable state."""
        spec, f = self.spec, self.framing
        t_max = spec.horizon
        if self.compact:
            widest_stat = max(
                len(self._compact_stat(t_max, float(t_max))),
                len(f"{t_max}x") + NUMBER_WIDTH,
            )
            line = max(len(label) for label in spec.labels) + 1 + widest_stat + 1
            raw = t_max * (max(len(label) for label in spec.labels) + 2 + NUMBER_WIDTH)
            summary = spec.num_arms * line + len(self.invalid_feedback(""))
            body = raw if spec.history == "raw" else summary
            query = max(len(self.query(t_max - 1)), len(self.query(t_max)))
            return len(self.intro) + body + query
        widest_reply = "x" * 100
        widest_label = max(spec.labels, key=len)
        if spec.reward == "bernoulli":
            widest_value = "1"
        else:
            widest_value = "x" * NUMBER_WIDTH
        invalid = self.history_line(t_max, None, 0.0, widest_reply)
        valid = (
            f"{f.step_word} {t_max}: {f.choice.format(label=widest_label)}, reward {widest_value}\n"
        )
        raw = len("History:\n") + t_max * max(len(invalid), len(valid))
        summary_line = (
            f"{f.choice.format(label=widest_label)}: {f.chosen_verb} {t_max} times, "
            f"average reward {'x' * NUMBER_WIDTH}\n"
        )
        summary = (
            len(f"Summary of the {t_max} turns so far:\n")
            + spec.num_arms * len(summary_line)
            + len(self.invalid_feedback(widest_reply))
        )
        body = raw if spec.history == "raw" else summary
        query = max(len(self.query(t_max - 1)), len(self.query(t_max)))
        return len(self.intro) + max(body, len("Nothing has happened yet.\n")) + query
