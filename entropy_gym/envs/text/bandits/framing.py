"""Prompt framings: the story a bandit is told in, and the labels its arms carry.

A framing changes only words, never the task, so an agent's behaviour can be compared across
framings (the in-context exploration literature varies exactly this: buttons vs adverts).
Labels are short words that common tokenizers keep as one token after "Answer:" (letters,
digits, colour names); LLM agents read their action distribution from those tokens.

``compact`` is the terse layout for character-level micro models, whose cost grows with every
character: one line of rules, one short line per arm, no prose (see
:class:`~entropy_gym.envs.text.bandits.prompt.PromptWriter`). Its words below only name things
in messages; the layout is the prompt writer's.
"""

from __future__ import annotations

import string
from dataclasses import dataclass


@dataclass(frozen=True)
class Framing:
    """The words of one framing. Templates use ``str.format`` fields named in the comments."""

    name: str
    labels: tuple[str, ...]
    arm: str  # singular noun: "button"
    scene: str  # {k} {labels}
    bernoulli_rule: str
    gaussian_rule: str
    switch_rule: str
    goal: str  # {horizon}
    hint: str
    step_word: str  # "Press": history lines read "Press 3: ..."
    choice: str  # {label}: "button C"
    chosen_verb: str  # "pressed": summary lines read "button C: pressed 4 times"
    question: str
    compact: bool = False


FRAMINGS: dict[str, Framing] = {
    f.name: f
    for f in (
        Framing(
            name="buttons",
            labels=tuple(string.ascii_uppercase),
            arm="button",
            scene="You are in a room with {k} buttons labeled {labels}.",
            bernoulli_rule=(
                "Each press of a button gives a reward of 1 with a probability that belongs to "
                "that button, and 0 otherwise. You do not know the probabilities."
            ),
            gaussian_rule=(
                "Each press of a button gives a random real-valued reward around an average "
                "that belongs to that button. You do not know the averages."
            ),
            switch_rule="Which button pays best can change from time to time without notice.",
            goal=(
                "You will press a button {horizon} times, one press at a time. Your goal is "
                "to collect as much total reward as possible."
            ),
            hint=(
                "Balance exploring buttons you know little about with exploiting the button "
                "that has paid best so far."
            ),
            step_word="Press",
            choice="button {label}",
            chosen_verb="pressed",
            question="Which button do you press?",
        ),
        Framing(
            name="adverts",
            labels=tuple("123456789"),
            arm="advert",
            scene=(
                "You run a website and choose which of {k} adverts, numbered {labels}, to show "
                "to each visitor."
            ),
            bernoulli_rule=(
                "Each advert is clicked with a probability that belongs to that advert; a "
                "click earns a reward of 1 and no click earns 0. You do not know the "
                "probabilities."
            ),
            gaussian_rule=(
                "Each time it is shown, an advert earns a random real-valued reward around an "
                "average that belongs to that advert. You do not know the averages."
            ),
            switch_rule="Which advert pays best can change from time to time without notice.",
            goal=(
                "{horizon} visitors will come, one at a time. Your goal is to collect as much "
                "total reward as possible."
            ),
            hint=(
                "Balance exploring adverts you know little about with exploiting the advert "
                "that has paid best so far."
            ),
            step_word="Visitor",
            choice="advert {label}",
            chosen_verb="shown",
            question="Which advert do you show?",
        ),
        Framing(
            name="slots",
            labels=(
                "Blue",
                "Green",
                "Red",
                "Yellow",
                "Purple",
                "Orange",
                "Pink",
                "Black",
                "White",
                "Brown",
            ),
            arm="machine",
            scene="You are in a casino with {k} slot machines, colored {labels}.",
            bernoulli_rule=(
                "Each play of a machine pays a reward of 1 with a probability that belongs to "
                "that machine, and 0 otherwise. You do not know the probabilities."
            ),
            gaussian_rule=(
                "Each play of a machine pays a random real-valued reward around an average "
                "that belongs to that machine. You do not know the averages."
            ),
            switch_rule="Which machine pays best can change from time to time without notice.",
            goal=(
                "You will play {horizon} times, one machine per play. Your goal is to collect "
                "as much total reward as possible."
            ),
            hint=(
                "Balance exploring machines you know little about with exploiting the machine "
                "that has paid best so far."
            ),
            step_word="Play",
            choice="{label} machine",
            chosen_verb="played",
            question="Which machine do you play?",
        ),
        Framing(
            name="compact",
            labels=tuple(string.ascii_uppercase),
            arm="arm",
            scene="Arms {labels}",
            bernoulli_rule="rewards 0/1",
            gaussian_rule="real rewards",
            switch_rule="Arms may change.",
            goal="{horizon} pulls.",
            hint="Explore, then exploit.",
            step_word="Pull",
            choice="{label}",
            chosen_verb="pulled",
            question="",
            compact=True,
        ),
    )
}


def list_labels(labels: tuple[str, ...] | list[str]) -> str:
    """``"A, B, C or D"``: how prompts enumerate labels."""
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " or " + labels[-1]
