#!/usr/bin/env python3
"""PyTorch (CPU) reference of Ponder's generator, for side-by-side benchmarking.

The same architecture as engine/src/model (transformer.rs, language_model.rs, kv_cache.rs),
read from the same safetensors files:

* learned token embeddings, plus learned position embeddings (added) or, where the config
  says `"positions": "rotary"`, rotary positions (engine/src/model/rotary.rs: each head's
  queries and keys turned by position · 10000^(-2i/dh), dimension i of the first half paired
  with i + dh/2; angle tables computed in float64);
* n_layers pre-norm blocks: x + attn(LN(x)), then x + down(gelu(up(LN(x))));
* LayerNorm with epsilon 1e-5 (burn's default), gamma and beta;
* fused qkv projection [d, 3d] (q, k, v in that order, heads contiguous within each),
  scores scaled by 1/sqrt(head_dim), additive mask value -1e4, softmax, output projection;
* exact (erf) GELU, as burn's `activation::gelu`;
* a final LayerNorm and a linear LM head. Every Linear has a bias.

burn stores a Linear's weight as [d_in, d_out] (y = x @ W + b); it is transposed into
torch.nn.Linear's [d_out, d_in] on load.

Usage (see bench/README.md):

    python3 bench/reference.py --models public/models --batches 1,16,64,256 --tokens 48 --runs 3 --json
    python3 bench/reference.py --models public/models --check logits.json
    python3 bench/reference.py --models public/models --solve 5+9

Only the standard library, torch, safetensors and numpy.
"""

import argparse
import hashlib
import json
import math
import os
import sys
import time

import numpy as np  # noqa: F401  (safetensors' numpy loader; kept an explicit dependency)
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

# Additive mask value for positions that must not be attended to (engine/src/model/mod.rs).
MASK_VALUE = -1.0e4
# burn's LayerNormConfig default.
LN_EPS = 1e-5
# Manifest entries that are process reward models with their own body (prm_large's body is the
# large model's, its file only the head: not covered here).
PRM_ROLES = ("prm", "prm_hard")

# Special tokens (engine/src/task/tokenizer.rs); characters follow, sorted, from id 4.
SPECIALS = ["<pad>", "<bos>", "<eos>", "<rev>"]
PAD, BOS, EOS, REV = 0, 1, 2, 3


# --------------------------------------------------------------------------------------------
# Tokenizer


class Tokenizer:
    """Character-level: ids 0..4 are the special tokens, then one id per sorted character."""

    def __init__(self, alphabet):
        self.chars = sorted(set(alphabet))
        self.ids = {c: i + len(SPECIALS) for i, c in enumerate(self.chars)}

    @property
    def vocab_size(self):
        return len(SPECIALS) + len(self.chars)

    def encode(self, text):
        try:
            return [self.ids[c] for c in text]
        except KeyError as e:
            raise ValueError(f"character {e.args[0]!r} is not in the alphabet {''.join(self.chars)!r}") from None

    def decode(self, ids):
        out = []
        for i in ids:
            i = int(i)
            out.append(SPECIALS[i] if i < len(SPECIALS) else self.chars[i - len(SPECIALS)])
        return "".join(out)


_TOKENIZER = None


def _default_tokenizer():
    global _TOKENIZER
    if _TOKENIZER is None:
        here = os.path.dirname(os.path.abspath(__file__))
        manifest = os.path.join(here, "..", "public", "models", "manifest.json")
        with open(manifest) as f:
            _TOKENIZER = Tokenizer(json.load(f)["alphabet"])
    return _TOKENIZER


def encode(text, tokenizer=None):
    return (tokenizer or _default_tokenizer()).encode(text)


def decode(ids, tokenizer=None):
    return (tokenizer or _default_tokenizer()).decode(ids)


def prompt_ids(expression, tokenizer=None):
    """BOS and the task prompt "Q:<expression>\\n" (engine/src/eval/mod.rs prompt_tokens)."""
    return [BOS] + encode(f"Q:{expression}\n", tokenizer)


# --------------------------------------------------------------------------------------------
# Model


class KvCache:
    """Preallocated keys and values [B, H, capacity, dh] per layer; slots shared by the batch."""

    def __init__(self, config, batch, capacity, dtype=torch.float32):
        h, dh = config["n_heads"], config["d_model"] // config["n_heads"]
        shape = (config["n_layers"], batch, h, capacity, dh)
        self.k = torch.zeros(shape, dtype=dtype)
        self.v = torch.zeros(shape, dtype=dtype)
        self.capacity = capacity

    @property
    def batch(self):
        return self.k.shape[1]

    def write(self, layer, start, k, v):
        """Writes k, v [B, H, T, dh] at slots start..start+T; returns slots 0..start+T."""
        end = start + k.shape[2]
        if end > self.capacity:
            raise ValueError(f"KV cache overflow: slot {end} > capacity {self.capacity}")
        self.k[layer, :, :, start:end] = k
        self.v[layer, :, :, start:end] = v
        return self.k[layer, :, :, :end], self.v[layer, :, :, :end]

    def expand_rows(self, batch):
        """Repeats row 0 (a prefilled prompt) into `batch` rows."""
        self.k = self.k[:, :1].repeat(1, batch, 1, 1, 1)
        self.v = self.v[:, :1].repeat(1, batch, 1, 1, 1)


class Attention(torch.nn.Module):
    def __init__(self, d, n_heads):
        super().__init__()
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.out = torch.nn.Linear(d, d)
        self.n_heads = n_heads

    def forward(self, x, mask, layer, cache=None, start=0, rotary=None):
        b, t, d = x.shape
        h = self.n_heads
        dh = d // h
        qkv = self.qkv(x)

        def heads(i):
            return qkv[:, :, i * d:(i + 1) * d].reshape(b, t, h, dh).transpose(1, 2)

        q, k, v = heads(0), heads(1), heads(2)
        if rotary is not None:
            q, k = rotate(q, *rotary), rotate(k, *rotary)
        if cache is not None:
            k, v = cache.write(layer, start, k, v)
        scores = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(dh))
        if mask is not None:
            scores = scores + mask
        attention = torch.softmax(scores, dim=3)
        context = torch.matmul(attention, v).transpose(1, 2).reshape(b, t, d)
        return self.out(context)


class Block(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        d = config["d_model"]
        self.norm_attention = torch.nn.LayerNorm(d, eps=LN_EPS)
        self.attention = Attention(d, config["n_heads"])
        self.norm_mlp = torch.nn.LayerNorm(d, eps=LN_EPS)
        self.up = torch.nn.Linear(d, config["d_ff"])
        self.down = torch.nn.Linear(config["d_ff"], d)

    def forward(self, x, mask, layer, cache=None, start=0, rotary=None):
        x = x + self.attention(self.norm_attention(x), mask, layer, cache, start, rotary)
        return x + self.down(F.gelu(self.up(self.norm_mlp(x)), approximate="none"))


ROTARY_BASE = 10000.0


def rotary_tables(head_dim, max_len):
    """cos and sin [max_len, head_dim / 2] of position · BASE^(-2i/head_dim), in float64."""
    half = head_dim // 2
    inv = ROTARY_BASE ** (-2.0 * torch.arange(half, dtype=torch.float64) / head_dim)
    angles = torch.arange(max_len, dtype=torch.float64).view(-1, 1) * inv.view(1, -1)
    return torch.cos(angles).float(), torch.sin(angles).float()


def rotate(x, cos, sin):
    """Turns x [B, H, T, dh]: dimension i of the first half pairs with i + dh/2."""
    half = x.shape[-1] // 2
    first, second = x[..., :half], x[..., half:]
    return torch.cat([first * cos - second * sin, second * cos + first * sin], dim=-1)


def causal_mask(t, dtype=torch.float32):
    """Additive [1, 1, T, T] mask: query q sees keys 0..=q (engine/src/train/batch.rs)."""
    return torch.triu(torch.full((t, t), MASK_VALUE, dtype=dtype), diagonal=1).view(1, 1, t, t)


def chunk_mask(start, t, dtype=torch.float32):
    """Additive [1, 1, T, start+T] mask for T new tokens after `start` cached ones."""
    m = torch.zeros((t, start + t), dtype=dtype)
    m[:, start:] = causal_mask(t, dtype)[0, 0]
    return m.view(1, 1, t, start + t)


class PonderLM(torch.nn.Module):
    """The generator: transformer body and LM head (engine/src/model/language_model.rs)."""

    def __init__(self, config):
        super().__init__()
        self.config = dict(config)
        d = config["d_model"]
        if d % config["n_heads"]:
            raise ValueError(f"d_model {d} is not divisible by n_heads {config['n_heads']}")
        self.tokens = torch.nn.Embedding(config["vocab_size"], d)
        self.rotary = config.get("positions", "learned") == "rotary"
        if self.rotary:
            self.positions = None
            self.cos, self.sin = rotary_tables(d // config["n_heads"], config["max_len"])
        else:
            self.positions = torch.nn.Embedding(config["max_len"], d)
        self.blocks = torch.nn.ModuleList([Block(config) for _ in range(config["n_layers"])])
        self.norm = torch.nn.LayerNorm(d, eps=LN_EPS)
        self.head = torch.nn.Linear(d, config["vocab_size"])

    # -- weights -------------------------------------------------------------------------------

    def load_burn_state(self, tensors):
        """Copies burn's safetensors (names `body.*`, `head.*`) into this module."""
        ours = self.burn_names()
        missing = sorted(set(ours) - set(tensors))
        unexpected = sorted(set(tensors) - set(ours))
        if missing or unexpected:
            raise ValueError(f"tensors do not match the model: missing {missing[:5]}, unexpected {unexpected[:5]}")
        with torch.no_grad():
            for name, (param, transpose) in ours.items():
                src = tensors[name].to(torch.float32)
                if transpose:
                    src = src.t()
                if tuple(src.shape) != tuple(param.shape):
                    raise ValueError(f"{name}: shape {tuple(tensors[name].shape)} does not fit {tuple(param.shape)} (after transposing: {transpose})")
                param.copy_(src.contiguous())
        return self

    def burn_names(self):
        """burn's tensor name -> (this module's parameter, whether burn stores it transposed)."""
        ours = {}

        def linear(prefix, module):
            ours[prefix + ".weight"] = (module.weight, True)  # burn: [d_in, d_out]
            ours[prefix + ".bias"] = (module.bias, False)

        def norm(prefix, module):
            ours[prefix + ".gamma"] = (module.weight, False)
            ours[prefix + ".beta"] = (module.bias, False)

        ours["body.tokens.weight"] = (self.tokens.weight, False)
        if self.positions is not None:
            ours["body.positions.weight"] = (self.positions.weight, False)
        for i, blk in enumerate(self.blocks):
            p = f"body.blocks.{i}"
            norm(p + ".norm_attention", blk.norm_attention)
            linear(p + ".attention.qkv", blk.attention.qkv)
            linear(p + ".attention.out", blk.attention.out)
            norm(p + ".norm_mlp", blk.norm_mlp)
            linear(p + ".up", blk.up)
            linear(p + ".down", blk.down)
        norm("body.norm", self.norm)
        linear("head", self.head)
        return ours

    # -- forward passes --------------------------------------------------------------------------

    def hidden(self, tokens, positions, mask, cache=None, start=0):
        x = self.tokens(tokens)
        rotary = None
        if self.rotary:
            # [B, T] positions -> [B, 1, T, dh/2], broadcast over heads.
            rotary = (self.cos[positions].unsqueeze(1), self.sin[positions].unsqueeze(1))
        else:
            x = x + self.positions(positions)
        for layer, block in enumerate(self.blocks):
            x = block(x, mask, layer, cache, start, rotary)
        return self.norm(x)

    def logits(self, tokens, positions, mask=None):
        """Logits [B, T, V] for tokens and positions [B, T] (int64), causal mask, no cache."""
        if mask is None:
            mask = causal_mask(tokens.shape[1])
        return self.head(self.hidden(tokens, positions, mask))

    forward = logits

    def forward_cached(self, tokens, positions, cache, start, last_only=True):
        """Runs tokens [B, T] through the cache at slots start..start+T; every row has all of
        slots 0..start+T filled (no padding). Logits [B, V] of the last position (or [B, T, V])."""
        t = tokens.shape[1]
        # One new token sees every filled slot: no mask needed.
        mask = None if t == 1 else chunk_mask(start, t)
        h = self.hidden(tokens, positions, mask, cache, start)
        return self.head(h[:, -1] if last_only else h)

    def new_cache(self, batch, capacity=None):
        return KvCache(self.config, batch, capacity or self.config["max_len"])


class PonderPRM(PonderLM):
    """The process reward model (engine/src/model/reward_model.rs): the body, a scalar head,
    and the solution's log-likelihood so far under its own LM head, weighted."""

    def __init__(self, config):
        super().__init__(config)
        d = config["d_model"]
        self.head = torch.nn.Linear(d, 1)
        self.lm_head = torch.nn.Linear(d, config["vocab_size"])
        self.likelihood_weight = torch.nn.Parameter(torch.zeros(1))

    def burn_names(self):
        ours = super().burn_names()
        ours["lm_head.weight"] = (self.lm_head.weight, True)
        ours["lm_head.bias"] = (self.lm_head.bias, False)
        ours["likelihood_weight"] = (self.likelihood_weight, False)
        return ours

    def probabilities(self, tokens, step_end):
        """P(on track) [B, T] at every position of right-padded tokens [B, T] (int64)."""
        b, t = tokens.shape
        positions = torch.arange(t).expand(b, t)
        h = self.hidden(tokens, positions, causal_mask(t))
        logits = self.head(h).squeeze(-1)
        if t > 1:
            log_probs = F.log_softmax(self.lm_head(h), dim=-1)
            of_next = log_probs[:, :-1].gather(2, tokens[:, 1:].unsqueeze(-1)).squeeze(-1)
            of_token = torch.cat([torch.zeros(b, 1), of_next], dim=1)
            # Positions after the first line break count: those with a break strictly before.
            breaks = (tokens == step_end).float().cumsum(1)
            before = torch.cat([torch.zeros(b, 1), breaks[:, :-1]], dim=1)
            logits = logits + (of_token * (before > 0).float()).cumsum(1) * self.likelihood_weight
        return torch.sigmoid(logits)


def forbidden_bias(vocab):
    """Keeps padding, start and revision markers from being sampled (infer/sampling.rs)."""
    bias = torch.zeros(vocab)
    bias[[PAD, BOS, REV]] = MASK_VALUE
    return bias


def load(models_dir, role="generator", verify=True):
    """The model of `role` from `models_dir` (manifest.json and its safetensors file)."""
    with open(os.path.join(models_dir, "manifest.json")) as f:
        manifest = json.load(f)
    entry = manifest["models"][role]
    path = os.path.join(models_dir, entry["file"])
    if verify and "sha256" in entry:
        with open(path, "rb") as f:
            actual = hashlib.sha256(f.read()).hexdigest()
        if actual != entry["sha256"]:
            raise ValueError(f"{entry['file']}: sha256 is {actual}, but the manifest says {entry['sha256']}")
    model = (PonderPRM if role in PRM_ROLES else PonderLM)(entry["config"])
    model.load_burn_state(load_file(path))
    model.eval()
    model.tokenizer = Tokenizer(manifest["alphabet"])
    if model.tokenizer.vocab_size != entry["config"]["vocab_size"]:
        raise ValueError(f"alphabet gives {model.tokenizer.vocab_size} tokens, config says {entry['config']['vocab_size']}")
    return model


# --------------------------------------------------------------------------------------------
# Decoding


def _prefill(model, prompt, batch):
    """Prefills every prompt token but the last (the pending one) once, then copies the row.
    Returns the cache and the next slot."""
    n = len(prompt) - 1
    cache = model.new_cache(1)
    if n > 0:
        tokens = torch.tensor([prompt[:-1]], dtype=torch.int64)
        positions = torch.arange(n, dtype=torch.int64).view(1, n)
        model.forward_cached(tokens, positions, cache, 0)
    cache.expand_rows(batch)
    return cache, n


def generate(model, prompt, batch, new_tokens, greedy=False, temperature=1.0, generator=None, stop_at_eos=False):
    """Decodes `new_tokens` tokens for each of `batch` rows that share `prompt` (token ids).

    As in the engine's decoder, the prompt's last token is pending: the prefill feeds the
    rest, and every decode step feeds one pending token per row and samples the next, so
    the loop runs exactly `new_tokens` steps. Returns (tokens [batch, new_tokens], decode
    seconds, prefill seconds). With `stop_at_eos` (batch 1, for --solve) it stops at EOS.
    """
    max_len = model.config["max_len"]
    if len(prompt) == 0:
        raise ValueError("the prompt needs at least one token")
    if len(prompt) - 1 + new_tokens > max_len:
        raise ValueError(f"{len(prompt)} prompt tokens and {new_tokens} new ones do not fit {max_len} positions")
    bias = forbidden_bias(model.config["vocab_size"])
    t0 = time.perf_counter()
    cache, slot = _prefill(model, prompt, batch)
    t1 = time.perf_counter()
    out = torch.empty((batch, new_tokens), dtype=torch.int64)
    pending = torch.full((batch, 1), prompt[-1], dtype=torch.int64)
    positions = torch.empty((batch, 1), dtype=torch.int64)
    produced = new_tokens
    for step in range(new_tokens):
        positions.fill_(slot)
        logits = model.forward_cached(pending, positions, cache, slot) + bias
        if greedy:
            nxt = logits.argmax(dim=1, keepdim=True)
        else:
            probs = torch.softmax(logits / temperature, dim=1)
            nxt = torch.multinomial(probs, 1, generator=generator)
        out[:, step : step + 1] = nxt
        pending = nxt
        slot += 1
        if stop_at_eos and bool((nxt == EOS).all()):
            produced = step + 1
            break
    t2 = time.perf_counter()
    return out[:, :produced], t2 - t1, t1 - t0


def cached_logits(model, tokens, positions, prefix=None):
    """Logits [B, T, V] through the KV cache: a prefill of `prefix` tokens, then one token
    per step (the same computation as `model.logits`, a different code path)."""
    b, t = tokens.shape
    prefix = max(1, t // 2) if prefix is None else prefix
    cache = model.new_cache(b, t)
    parts = [model.forward_cached(tokens[:, :prefix], positions[:, :prefix], cache, 0, last_only=False)]
    for s in range(prefix, t):
        parts.append(model.forward_cached(tokens[:, s : s + 1], positions[:, s : s + 1], cache, s, last_only=False))
    return torch.cat(parts, dim=1)


# --------------------------------------------------------------------------------------------
# Commands


def cmd_check(model, path):
    with open(path) as f:
        data = json.load(f)
    tokens = torch.tensor(data["tokens"], dtype=torch.int64)
    positions = torch.tensor(data["positions"], dtype=torch.int64)
    expected = torch.tensor(data["logits"], dtype=torch.float32)
    full = model.logits(tokens, positions)
    if full.shape != expected.shape:
        raise ValueError(f"logits shape {tuple(expected.shape)} in {path}, the reference computes {tuple(full.shape)}")
    diff = (full - expected).abs().max().item()
    cache_diff = (cached_logits(model, tokens, positions) - full).abs().max().item()
    verdict = {
        "max_abs_diff": diff,
        "ok": bool(diff < 1e-3),
        "cache_max_abs_diff": cache_diff,
        "cache_matches_full": bool(cache_diff < 1e-4),
    }
    print(json.dumps(verdict))
    return 0 if verdict["ok"] and verdict["cache_matches_full"] else 1


def cmd_write_check(model, path, seed=0):
    """Writes a --check file from this script's own forward pass (two right-padded solved
    problems, the layout the engine writes), for testing --check without the engine."""
    tok = model.tokenizer
    rows = [
        prompt_ids("5+9", tok) + encode("5+9=14\nA:14", tok) + [EOS],
        prompt_ids("47+18*3-5", tok) + encode("47+18=65\n65*3=195\n195-5=190\nA:190", tok) + [EOS],
    ]
    t = max(map(len, rows))
    tokens = torch.tensor([r + [PAD] * (t - len(r)) for r in rows], dtype=torch.int64)
    positions = torch.arange(t, dtype=torch.int64).repeat(len(rows), 1)
    logits = model.logits(tokens, positions)
    with open(path, "w") as f:
        json.dump({"tokens": tokens.tolist(), "positions": positions.tolist(), "logits": logits.tolist()}, f)
    print(json.dumps({"wrote": path, "rows": len(rows), "length": t}))
    return 0


def cmd_solve(model, expression, max_tokens, greedy, seed):
    prompt = prompt_ids(expression, model.tokenizer)
    g = torch.Generator().manual_seed(seed)
    room = min(max_tokens, model.config["max_len"] - len(prompt) + 1)
    out, _, _ = generate(model, prompt, 1, room, greedy=greedy, generator=g, stop_at_eos=True)
    ids = out[0].tolist()
    text = model.tokenizer.decode([i for i in ids if i != EOS])
    print(text)
    return 0


def cmd_train(path, as_json):
    """A plain PyTorch training loop over the engine's architecture and the batches in FILE
    (written by `ponder bench --train`): right-padded inputs, causal mask, next-token
    cross-entropy from each example's `loss_from`, AdamW with weight decay and gradient-norm
    clipping at 1, as engine/src/train does. Reports tokens per second of the steps after the
    warm-up ones (real tokens, without padding), building each batch inside the timed loop as
    the engine does."""
    with open(path) as f:
        spec = json.load(f)
    model = PonderLM(spec["config"])
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=spec["learning_rate"], weight_decay=spec["weight_decay"])
    warmup = spec["warmup"]
    started, tokens = None, 0
    for step, batch in enumerate(spec["batches"]):
        if step == warmup:
            started = time.perf_counter()
        seqs = [e["tokens"] for e in batch]
        b, t = len(seqs), max(len(s) for s in seqs) - 1
        inputs = torch.full((b, t), PAD, dtype=torch.int64)
        targets = torch.zeros((b, t), dtype=torch.int64)
        weights = torch.zeros((b, t))
        for r, (s, e) in enumerate(zip(seqs, batch)):
            n = len(s) - 1
            inputs[r, :n] = torch.tensor(s[:-1])
            targets[r, :n] = torch.tensor(s[1:])
            weights[r, max(e["loss_from"] - 1, 0):n] = 1.0
        positions = torch.arange(t, dtype=torch.int64).repeat(b, 1)
        logp = torch.log_softmax(model.logits(inputs, positions), dim=2)
        picked = logp.gather(2, targets.unsqueeze(2)).squeeze(2)
        loss = -(picked * weights).sum() / weights.sum().clamp(min=1.0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step >= warmup:
            tokens += sum(len(s) - 1 for s in seqs)
    seconds = time.perf_counter() - started
    report = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "steps": len(spec["batches"]) - warmup,
        "tokens": tokens,
        "seconds": seconds,
        "tokens_per_second": tokens / seconds,
        "final_loss": float(loss.item()),
    }
    print(json.dumps(report) if as_json else f"{report['tokens_per_second']:.0f} tokens/s over {report['steps']} steps ({tokens} tokens)")
    return 0


def cmd_bench(model, prompt, batches, new_tokens, runs, greedy, temperature, seed, as_json):
    g = torch.Generator().manual_seed(seed)
    results = []
    for b in batches:
        rates = []
        for run in range(runs + 1):
            _, secs, _ = generate(model, prompt, b, new_tokens, greedy=greedy, temperature=temperature, generator=g)
            if run > 0:  # the first run warms up
                rates.append(b * new_tokens / secs)
        rates.sort()
        median = rates[len(rates) // 2]  # as the engine's `ponder bench`
        results.append({"batch": b, "tokens_per_second": median, "runs": len(rates)})
        if not as_json:
            print(f"pytorch batch {b:4}: {median:10.0f} tokens/s  (median of {len(rates)}, {new_tokens} tokens per row)", flush=True)
    report = {"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}
    if as_json:
        print(json.dumps(report))
    return 0


def cmd_score(model, path, runs, as_json):
    """Times the PRM over the sequences in FILE ({"sequences": [[ids]], "chunk": rows per
    forward pass}): real tokens per second of the forward passes, median of `runs` after a
    warm-up; also the probability at each sequence's step ends (after its context), to check."""
    with open(path) as f:
        spec = json.load(f)
    seqs, chunk, contexts = spec["sequences"], spec["chunk"], spec["context_lengths"]
    step_end = model.tokenizer.encode("\n")[0]

    def score_all():
        out = []
        for i in range(0, len(seqs), chunk):
            part = seqs[i:i + chunk]
            t = max(len(s) for s in part)
            tokens = torch.full((len(part), t), PAD, dtype=torch.int64)
            for r, s in enumerate(part):
                tokens[r, :len(s)] = torch.tensor(s, dtype=torch.int64)
            out.extend(model.probabilities(tokens, step_end))
        return out

    rates = []
    total = sum(len(s) for s in seqs)
    for run in range(runs + 1):
        started = time.perf_counter()
        probs = score_all()
        secs = time.perf_counter() - started
        if run > 0:
            rates.append(total / secs)
    rates.sort()
    # The engine's step ends (infer::step_ends): line breaks and the end of the answer.
    at_step_ends = [[float(p[c + i]) for i, tok in enumerate(s[c:]) if tok in (step_end, EOS)] for s, c, p in zip(seqs, contexts, probs)]
    report = {"torch": torch.__version__, "threads": torch.get_num_threads(), "tokens_per_second": rates[len(rates) // 2], "runs": len(rates), "step_end_probabilities": at_step_ends}
    print(json.dumps(report) if as_json else f"pytorch PRM scoring: {report['tokens_per_second']:.0f} tokens/s")
    return 0


def parse_ints(text):
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="PyTorch CPU reference of Ponder's generator.")
    ap.add_argument("--models", default=os.path.join(here, "..", "public", "models"), help="folder with manifest.json and the safetensors files")
    ap.add_argument("--role", default="generator", help="manifest entry (generator, large, revision)")
    ap.add_argument("--prompt", type=parse_ints, default=None, help="prompt token ids, comma-separated (default: <bos>Q:47+18*3-5\\n)")
    ap.add_argument("--batches", type=parse_ints, default=[1, 16, 64, 256])
    ap.add_argument("--tokens", type=int, default=48, help="new tokens per row (every row decodes exactly this many)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per batch size (after one warm-up run)")
    ap.add_argument("--greedy", action="store_true", help="argmax instead of sampling")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    ap.add_argument("--json", action="store_true", help="print the timing report as JSON")
    ap.add_argument("--check", metavar="FILE", help="compare with the engine's logits in FILE; prints JSON, exits 1 when they differ")
    ap.add_argument("--write-check", metavar="FILE", help="write a --check file from this script's own forward pass")
    ap.add_argument("--solve", metavar="EXPR", help="decode a solution for the problem EXPR (e.g. 5+9), greedy unless --sample")
    ap.add_argument("--sample", action="store_true", help="with --solve: sample at --temperature instead of greedy")
    ap.add_argument("--score", metavar="FILE", help="with --role prm: time the PRM's scoring of the sequences in FILE (written by ponder bench --reference)")
    ap.add_argument("--train", metavar="FILE", help="time a training loop on the config and batches in FILE (written by ponder bench --train)")
    a = ap.parse_args(argv)

    if a.threads:
        torch.set_num_threads(a.threads)
    if a.train:
        torch.manual_seed(a.seed)
        return cmd_train(a.train, a.json)
    if a.tokens < 1 or a.runs < 1 or any(b < 1 for b in a.batches):
        ap.error("--tokens, --runs and every batch size must be at least 1")
    if a.temperature <= 0:
        ap.error("--temperature must be positive (use --greedy for argmax)")
    torch.manual_seed(a.seed)
    with torch.inference_mode():
        model = load(a.models, a.role)
        if a.score:
            if a.role not in PRM_ROLES:
                ap.error(f"--score needs --role {' or '.join(PRM_ROLES)}")
            return cmd_score(model, a.score, a.runs, a.json)
        if isinstance(model, PonderPRM):
            ap.error(f"--role {a.role} is a process reward model: only --score times it")
        if a.check:
            return cmd_check(model, a.check)
        if a.write_check:
            return cmd_write_check(model, a.write_check)
        if a.solve:
            return cmd_solve(model, a.solve, 200, greedy=not a.sample, seed=a.seed)
        prompt = a.prompt if a.prompt is not None else prompt_ids("47+18*3-5", model.tokenizer)
        vocab = model.config["vocab_size"]
        if not prompt or any(not 0 <= t < vocab for t in prompt):
            ap.error(f"--prompt needs token ids in 0..{vocab - 1}")
        return cmd_bench(model, prompt, a.batches, a.tokens, a.runs, a.greedy, a.temperature, a.seed, a.json)


if __name__ == "__main__":
    sys.exit(main())
