#!/usr/bin/python3
"""Torch oracle for idim's ONNX autodiff (lib/onnx).

Computes, in float64 with PyTorch autograd, the loss and gradients of
  * a small MLP (Linear-GELU-Linear, cross-entropy), plus a few AdamW and SGD-momentum
    steps with torch.optim (gradient clipping, linear warm-up/decay schedule), and
  * a 2-layer BERT-style encoder classifier (word + position embeddings, LayerNorm,
    multi-head self-attention with a padding mask, GELU feed-forward, post-LN residuals,
    tanh pooler on the first token, classifier, cross-entropy),
from fixed seeded weights that are written into the fixture (as float32 values), so the
TypeScript test rebuilds the same model from the JSON, not from torch's RNG.

Regenerate (Debian: apt-get install -y python3-torch):
    /usr/bin/python3 tests/oracle/make_fixtures.py
Writes tests/oracle/fixtures/mlp.json and tests/oracle/fixtures/encoder.json.
"""
import json
import math
import os

import torch

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
COMMAND = "/usr/bin/python3 tests/oracle/make_fixtures.py"


def f32(t):
    """Round to float32 values (kept as float64 tensors) so idim can load them exactly."""
    return t.to(torch.float32).to(torch.float64)


def dump(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def dump_int(t):
    return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


# ---------------------------------------------------------------- MLP
def mlp_fixture():
    g = torch.Generator().manual_seed(1234)
    n_in, n_hid, n_cls, batch = 5, 8, 3, 6
    params = {
        "w1": f32(torch.randn(n_in, n_hid, generator=g) * 0.5),
        "b1": f32(torch.randn(n_hid, generator=g) * 0.1),
        "w2": f32(torch.randn(n_hid, n_cls, generator=g) * 0.5),
        "b2": f32(torch.randn(n_cls, generator=g) * 0.1),
    }
    x = f32(torch.randn(batch, n_in, generator=g))
    y = torch.randint(0, n_cls, (batch,), generator=g)

    def loss_of(p):
        h = gelu(x @ p["w1"] + p["b1"])
        return torch.nn.functional.cross_entropy(h @ p["w2"] + p["b2"], y)

    ps = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    loss = loss_of(ps)
    loss.backward()
    out = {
        "config": {"n_in": n_in, "n_hid": n_hid, "n_cls": n_cls, "batch": batch},
        "inputs": {"x": dump(x), "y": dump_int(y)},
        "params": {k: dump(v) for k, v in params.items()},
        "loss": float(loss),
        "grads": {k: dump(v.grad) for k, v in ps.items()},
    }

    def run_opt(make_opt, steps, clip, warmup, total):
        ps = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        opt = make_opt(list(ps.values()))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt,
            lambda s: s / max(1, warmup) if s < warmup
            else max(0.0, (total - s) / max(1, total - warmup)),
        )
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_of(ps)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(ps.values()), clip)
            opt.step()
            sched.step()
            losses.append(float(loss))
        return losses, {k: dump(v) for k, v in ps.items()}

    cfg = {"lr": 0.05, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "weightDecay": 0.1,
           "clipNorm": 0.5, "warmupSteps": 2, "totalSteps": 8, "steps": 5}
    losses, after = run_opt(
        lambda ps: torch.optim.AdamW(ps, lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]),
                                     eps=cfg["eps"], weight_decay=cfg["weightDecay"]),
        cfg["steps"], cfg["clipNorm"], cfg["warmupSteps"], cfg["totalSteps"])
    out["adamw"] = {"config": cfg, "losses": losses, "params_after": after}
    cfg = {"lr": 0.1, "momentum": 0.9, "weightDecay": 0.01, "clipNorm": 10.0,
           "warmupSteps": 0, "totalSteps": 10, "steps": 4}
    losses, after = run_opt(
        lambda ps: torch.optim.SGD(ps, lr=cfg["lr"], momentum=cfg["momentum"],
                                   weight_decay=cfg["weightDecay"]),
        cfg["steps"], cfg["clipNorm"], cfg["warmupSteps"], cfg["totalSteps"])
    out["sgd"] = {"config": cfg, "losses": losses, "params_after": after}
    cfg = {"lr": 0.05, "beta1": 0.8, "beta2": 0.9, "eps": 1e-6, "weightDecay": 0.05,
           "clipNorm": 100.0, "warmupSteps": 0, "totalSteps": 1000, "steps": 3}
    losses, after = run_opt(
        lambda ps: torch.optim.Adam(ps, lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]),
                                    eps=cfg["eps"], weight_decay=cfg["weightDecay"]),
        cfg["steps"], cfg["clipNorm"], cfg["warmupSteps"], cfg["totalSteps"])
    out["adam"] = {"config": cfg, "losses": losses, "params_after": after}
    return out


# ---------------------------------------------------------------- encoder
ENC = {"vocab": 40, "hidden": 16, "heads": 2, "intermediate": 32, "layers": 2,
       "maxPos": 12, "classes": 3, "eps": 1e-12, "batch": 3, "seq": 7}


def encoder_param_shapes(c):
    H, I, L = c["hidden"], c["intermediate"], c["layers"]
    shapes = {"emb.word": [c["vocab"], H], "emb.pos": [c["maxPos"], H],
              "emb.ln.g": [H], "emb.ln.b": [H]}
    for i in range(L):
        for n in ("q", "k", "v", "o"):
            shapes[f"l{i}.{n}.w"] = [H, H]
            shapes[f"l{i}.{n}.b"] = [H]
        shapes[f"l{i}.ln1.g"] = [H]
        shapes[f"l{i}.ln1.b"] = [H]
        shapes[f"l{i}.ff1.w"] = [H, I]
        shapes[f"l{i}.ff1.b"] = [I]
        shapes[f"l{i}.ff2.w"] = [I, H]
        shapes[f"l{i}.ff2.b"] = [H]
        shapes[f"l{i}.ln2.g"] = [H]
        shapes[f"l{i}.ln2.b"] = [H]
    shapes["pool.w"] = [H, H]
    shapes["pool.b"] = [H]
    shapes["cls.w"] = [H, c["classes"]]
    shapes["cls.b"] = [c["classes"]]
    return shapes


def encoder_forward(p, ids, mask, c):
    B, S = ids.shape
    H, nh = c["hidden"], c["heads"]
    dh = H // nh

    def ln(x, g, b):
        return torch.nn.functional.layer_norm(x, (H,), g, b, c["eps"])

    x = p["emb.word"][ids] + p["emb.pos"][:S]
    x = ln(x, p["emb.ln.g"], p["emb.ln.b"])
    bias = (1.0 - mask)[:, None, None, :] * -10000.0
    for i in range(c["layers"]):
        def lin(t, n):
            return t @ p[f"l{i}.{n}.w"] + p[f"l{i}.{n}.b"]
        q = lin(x, "q").reshape(B, S, nh, dh).transpose(1, 2)
        k = lin(x, "k").reshape(B, S, nh, dh).transpose(1, 2)
        v = lin(x, "v").reshape(B, S, nh, dh).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + bias, dim=-1)
        ctx = (att @ v).transpose(1, 2).reshape(B, S, H)
        x = ln(x + lin(ctx, "o"), p[f"l{i}.ln1.g"], p[f"l{i}.ln1.b"])
        f = lin(gelu(lin(x, "ff1")), "ff2")
        x = ln(x + f, p[f"l{i}.ln2.g"], p[f"l{i}.ln2.b"])
    pooled = torch.tanh(x[:, 0] @ p["pool.w"] + p["pool.b"])
    return pooled @ p["cls.w"] + p["cls.b"]


def encoder_fixture():
    c = ENC
    g = torch.Generator().manual_seed(4321)
    params = {}
    for name, shape in encoder_param_shapes(c).items():
        if name.endswith(".g"):
            params[name] = f32(1.0 + 0.2 * torch.randn(*shape, generator=g))
        elif name.endswith(".b"):
            params[name] = f32(0.1 * torch.randn(*shape, generator=g))
        else:
            params[name] = f32(0.3 * torch.randn(*shape, generator=g))
    B, S = c["batch"], c["seq"]
    ids = torch.randint(0, c["vocab"], (B, S), generator=g)
    lengths = [S, 5, 3]
    mask = torch.zeros(B, S)
    for b, n in enumerate(lengths):
        mask[b, :n] = 1.0
    labels = torch.tensor([0, 2, 1])
    ps = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    logits = encoder_forward(ps, ids, mask, c)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    return {
        "config": c,
        "inputs": {"ids": dump_int(ids), "mask": dump(mask), "labels": dump_int(labels)},
        "params": {k: dump(v) for k, v in params.items()},
        "logits": dump(logits),
        "loss": float(loss),
        "grads": {k: dump(v.grad) for k, v in ps.items()},
    }


def main():
    meta = {"command": COMMAND, "torch": torch.__version__, "dtype": "float64"}
    os.makedirs(os.path.join(HERE, "fixtures"), exist_ok=True)
    for name, fn in (("mlp", mlp_fixture), ("encoder", encoder_fixture)):
        path = os.path.join(HERE, "fixtures", f"{name}.json")
        with open(path, "w") as f:
            json.dump({**meta, **fn()}, f, indent=2)
            f.write("\n")
        print("wrote", path)


if __name__ == "__main__":
    main()
