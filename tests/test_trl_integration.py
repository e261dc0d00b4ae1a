"""The token-level interventions against TRL 1.16's GRPOTrainer loss, and ours inside it.

Needs the ``trl`` extra (skipped without it). The model is a tiny randomly initialised Llama
(two layers, a character vocabulary) saved to a temporary folder, so a GRPOTrainer step runs
in seconds on the CPU. Every comparison feeds the same micro-batch (prompt and completion ids,
masks, advantages, old log-probs) to TRL's ``_compute_loss`` and to
:class:`~entropy_gym.integrations.trl_trainer.InterventionGRPOTrainer`'s, on the same weights.
docs/llm-rl.md ("Cross-checks") tabulates the outcome.
"""

from __future__ import annotations

import math
import string

import pytest

pytest.importorskip("trl", reason="TRL is not installed: pip install 'entropy-gym[trl]'")

import torch
from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from entropy_gym.agents.base import ConfigError
from entropy_gym.integrations.token_loss import TrainerHost, bind_interventions
from entropy_gym.integrations.trl_trainer import InterventionGRPOTrainer

CHARS = string.ascii_lowercase + string.digits + " +-*=?:."
LENGTH = 12


def save_tiny_llama(path) -> str:
    """A 2-layer Llama over characters, randomly initialised (seed 0), with its tokenizer."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["<pad>", "<s>", "</s>", "<unk>", *CHARS])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
    )
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
        pad_token_id=0, bos_token_id=1, eos_token_id=2,
    )  # fmt: skip
    model = LlamaForCausalLM(config)
    with torch.no_grad():  # a wider initial distribution than the default 0.02 spread
        model.lm_head.weight.normal_(0.0, 1.0)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


def reward(completions, **_):
    """Varies within a group: the characters' code points modulo 7."""
    return [float(sum(map(ord, c)) % 7) for c in completions]


def config(tmp_path, **changes) -> GRPOConfig:
    base = dict(
        output_dir=str(tmp_path), per_device_train_batch_size=8, num_generations=4,
        max_completion_length=LENGTH, max_steps=1, learning_rate=1e-2, report_to=[],
        save_strategy="no", logging_steps=1, use_cpu=True, seed=0, loss_type="dapo",
        disable_tqdm=True,
    )  # fmt: skip
    base.update(changes)
    return GRPOConfig(**base)


def make(trainer_class, model_dir, tmp_path, interventions=(), **changes):
    data = Dataset.from_dict({"prompt": ["1+2=", "3*4=", "9-5=", "7+7="] * 4})
    kwargs = {} if trainer_class is GRPOTrainer else {"interventions": interventions}
    trainer = trainer_class(
        model=model_dir, reward_funcs=reward, train_dataset=data,
        args=config(tmp_path, **changes), **kwargs,
    )  # fmt: skip
    trainer.current_gradient_accumulation_steps = 1
    trainer.model.train()
    return trainer


def micro_batch(trainer, seed: int = 0):
    """Prompts, completions of random lengths, one advantage per completion, old log-probs a
    step away from the model's."""
    g = torch.Generator().manual_seed(seed)
    rows = 8
    prompt = torch.randint(4, 4 + len(CHARS), (rows, 5), generator=g)
    completion = torch.randint(4, 4 + len(CHARS), (rows, LENGTH), generator=g)
    lengths = torch.randint(2, LENGTH + 1, (rows,), generator=g)
    mask = (torch.arange(LENGTH)[None, :] < lengths[:, None]).long()
    inputs = {
        "prompt_ids": prompt, "prompt_mask": torch.ones_like(prompt),
        "completion_ids": completion, "completion_mask": mask,
        "advantages": torch.randn(rows, generator=g),
        "num_items_in_batch": mask.sum(),
    }  # fmt: skip
    with torch.no_grad():
        logp, _, _ = trainer._get_per_token_logps_and_entropies(
            trainer.model, torch.cat([prompt, completion], 1),
            torch.cat([torch.ones_like(prompt), mask], 1), LENGTH,
        )  # fmt: skip
    inputs["old_per_token_logps"] = logp + 0.3 * torch.randn(logp.shape, generator=g)
    return inputs


def relative_error(a, b) -> float:
    return float((a - b).norm() / b.norm())


def loss_and_grad(trainer, inputs):
    trainer.model.zero_grad(set_to_none=True)
    loss = trainer._compute_loss(trainer.model, inputs)
    loss.backward()
    grads = torch.cat([p.grad.flatten() for p in trainer.model.parameters() if p.grad is not None])
    return loss.detach(), grads


@pytest.fixture(scope="module")
def pair(model_dir, tmp_path_factory):
    """TRL's trainer and ours on the same weights (module-wide: building one takes ~1 s)."""
    tmp = tmp_path_factory.mktemp("trl")
    return make(GRPOTrainer, model_dir, tmp / "a"), make(
        InterventionGRPOTrainer, model_dir, tmp / "b"
    )


def use(trainer, **attributes):
    for key, value in attributes.items():
        setattr(trainer, key, value)


@pytest.mark.parametrize("loss_type", ["grpo", "dapo", "dr_grpo"])
@pytest.mark.parametrize("seed", [0, 1])
def test_clip_higher_and_the_loss_types_equal_trls_loss(pair, loss_type, seed):
    trl_trainer, ours = pair
    inputs = micro_batch(trl_trainer, seed)
    use(
        trl_trainer,
        loss_type=loss_type,
        epsilon_low=0.2,
        epsilon_high=0.28,
        top_entropy_quantile=1.0,
    )
    use(ours, loss_type=loss_type, epsilon_low=0.2, epsilon_high=0.2)
    ours.interventions = bind_interventions(
        [{"name": "clip_higher", "eps_high": 0.28}], TrainerHost("t"),
        hooks=frozenset({"loss"}), tensors=frozenset(),
    )  # fmt: skip
    theirs, their_grad = loss_and_grad(trl_trainer, inputs)
    mine, my_grad = loss_and_grad(ours, inputs)
    assert ours._metrics["train"]["clip_higher/upper_clipped_fraction"][-1] > 0  # it binds
    torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(my_grad, their_grad, rtol=1e-4, atol=1e-7)


def test_forking_tokens_keeps_trls_top_entropy_tokens_and_averages_over_them(pair):
    """Both keep the same tokens (the top 20% by entropy). TRL multiplies the others' loss by 0
    and still divides by all tokens; the suite averages over the kept ones (the paper's
    'gradient from the forking tokens only'), so TRL's dapo loss is the suite's times k / n."""
    trl_trainer, ours = pair
    inputs = micro_batch(trl_trainer, 3)
    use(trl_trainer, loss_type="dapo", epsilon_low=0.2, epsilon_high=0.2, top_entropy_quantile=0.2)
    use(ours, loss_type="dapo", epsilon_low=0.2, epsilon_high=0.2)
    ours.interventions = bind_interventions(
        ["forking_tokens"],
        TrainerHost("t"),
        hooks=frozenset({"loss"}),
        tensors=frozenset({"entropy"}),
    )
    theirs, their_grad = loss_and_grad(trl_trainer, inputs)
    mine, my_grad = loss_and_grad(ours, inputs)
    mask = inputs["completion_mask"].bool()
    with torch.no_grad():
        _, entropy, _ = trl_trainer._get_per_token_logps_and_entropies(
            trl_trainer.model, torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1),
            torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1), LENGTH,
            compute_entropy=True,
        )  # fmt: skip
    trl_kept = trl_trainer.get_high_entropy_mask(entropy, mask, 0.8)
    assert torch.equal(ours.last_loss.keep, trl_kept)
    n, k = int(mask.sum()), int(trl_kept.sum())
    assert k == math.ceil(0.2 * n)
    torch.testing.assert_close(theirs, mine * k / n, rtol=1e-5, atol=1e-7)
    # Gradients agree to float precision through TRL's fused LM head, whose backward is not
    # exactly scale-invariant: the same expression divided by n or by k differs by ~0.3%.
    assert relative_error(their_grad, my_grad * k / n) < 1e-2


def test_one_grpo_trainer_step_with_forking_tokens_changes_the_loss_as_it_says(model_dir, tmp_path):
    """A real step (generation, rewards, advantages, update): on its first pass the ratio is 1,
    so each token's loss is -A, and with forking_tokens the loss is the mean of -A over the
    ceil(0.2 n) highest-entropy completion tokens, not over all of them."""
    seen = {}

    class Recording(InterventionGRPOTrainer):
        def _compute_loss(self, model, inputs):
            mask = inputs["completion_mask"].bool()
            with torch.no_grad():
                _, entropy, _ = self._get_per_token_logps_and_entropies(
                    model, torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1),
                    torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1),
                    mask.shape[1], compute_entropy=True,
                )  # fmt: skip
            loss = super()._compute_loss(model, inputs)
            seen.update(loss=loss.detach(), entropy=entropy, mask=mask, adv=inputs["advantages"])
            return loss

    trainer = make(Recording, model_dir, tmp_path, interventions=["forking_tokens"])
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.train()
    mask, adv = seen["mask"], seen["adv"]
    per_token = (-adv[:, None]).expand_as(mask)[mask]
    entropy = seen["entropy"][mask]
    k = math.ceil(0.2 * entropy.numel())
    top = torch.argsort(-entropy, stable=True)[:k]
    assert adv.abs().sum() > 0  # the rewards varied within groups
    torch.testing.assert_close(seen["loss"], per_token[top].mean(), rtol=1e-5, atol=1e-6)
    assert abs(float(per_token.mean() - per_token[top].mean())) > 1e-3  # the plain loss differs
    logged = trainer.state.log_history[0]
    assert logged["forking_tokens/kept_fraction"] == pytest.approx(k / entropy.numel())
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.model.parameters()))


def test_trl_options_that_would_apply_a_rule_twice_are_refused(model_dir, tmp_path):
    with pytest.raises(
        ConfigError, match=r"top_entropy_quantile=0\.2 would narrow the loss a second"
    ):
        make(InterventionGRPOTrainer, model_dir, tmp_path, top_entropy_quantile=0.2)
    with pytest.raises(ConfigError, match="GRPOConfig loss_type='cispo' must be one of"):
        make(InterventionGRPOTrainer, model_dir, tmp_path, loss_type="cispo")
    with pytest.raises(ConfigError, match="'empg' needs hook\\(s\\) token_advantages"):
        make(InterventionGRPOTrainer, model_dir, tmp_path, interventions=["empg"])


def test_lp_reg_gets_the_logits_from_one_more_forward_and_adds_its_kl(pair):
    """TRL's fused head yields no logits; with lp_reg the trainer runs a plain forward for
    them, and the loss is the plain one plus beta * KL(q || p) on the rare tokens with A < 0."""
    _, ours = pair
    inputs = micro_batch(ours, 4)
    use(ours, loss_type="dapo", epsilon_low=0.2, epsilon_high=0.2)
    host = TrainerHost("t")
    ours.interventions = []
    plain, _ = loss_and_grad(ours, inputs)
    ours.interventions = bind_interventions(
        [{"name": "lp_reg", "rho": 0.2, "beta": 1.0}], host,
        hooks=frozenset({"loss"}), tensors=frozenset({"logits"}),
    )  # fmt: skip
    regularised, _ = loss_and_grad(ours, inputs)
    assert ours._metrics["train"]["lp_reg/regularised_fraction"][-1] > 0
    assert float(regularised - plain) > 1e-4  # a KL >= 0 added on the chosen tokens
