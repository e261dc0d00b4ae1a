"""The hook contract: one typed method per hook on Intervention, the table in docs/agents.md
generated from the code, and refusals that name both sides."""

from __future__ import annotations

from pathlib import Path

import pytest

from entropy_gym.agents import HOOKS, ConfigError, Intervention, make_agent
from entropy_gym.agents.hooks import SETUP_METHODS, hook_table, with_hook_table
from entropy_gym.agents.registry import BUILTIN_AGENTS, BUILTIN_INTERVENTIONS, load_object

DOCS = Path(__file__).resolve().parents[1] / "docs" / "agents.md"


def test_every_hook_method_is_declared_on_intervention_with_a_no_op_default():
    base = Intervention()
    for hook in HOOKS.values():
        for method in hook.methods:
            assert callable(getattr(Intervention, method)), (hook.name, method)
    assert base.on_logits([1.0]) is None and base.on_loss(object()) is None
    assert base.on_advantages(None, None) is None and base.on_ent_coef(0.1, 1.0) is None
    assert base.on_schedule(0.5, {"epsilon": 0.1}) is None and base.activation_hooks(None) == []
    assert all(callable(getattr(Intervention, m)) for m in SETUP_METHODS)


def test_docs_hook_table_is_the_generated_one():
    text = DOCS.read_text()
    assert with_hook_table(text) == text, (
        "run: python -m entropy_gym.agents.hooks_doc docs/agents.md"
    )
    assert hook_table() in text
    assert [line.split("|")[2].strip(" `") for line in hook_table().splitlines()[2:]] == list(HOOKS)


def test_builtin_hooks_are_known_and_every_builtin_intervention_implements_what_it_requires():
    for ref in BUILTIN_AGENTS.values():
        assert set(load_object(ref).hooks) <= set(HOOKS), ref
    for name, ref in BUILTIN_INTERVENTIONS.items():
        cls = load_object(ref)
        assert cls.requires and set(cls.requires) <= set(HOOKS), name
        assert all(cls.implements(h) for h in cls.requires), name


def test_overrides_rejects_a_name_that_is_not_a_hook_method():
    with pytest.raises(ValueError, match="'on_nothing' is not a hook method"):
        Intervention.overrides("on_nothing")


def test_a_user_intervention_is_refused_on_an_agent_without_its_hook():
    class Doubler(Intervention):
        name = "doubler"
        requires = frozenset({"logits"})

        def on_logits(self, logits):
            return logits * 2

    with pytest.raises(
        ConfigError,
        match=r"^intervention 'doubler' needs hook\(s\) logits but agent 'sac' offers: ent_coef$",
    ):
        make_agent("sac", interventions=[Doubler()])
    assert make_agent("ppo", interventions=[Doubler()]).interventions[0].name == "doubler"
