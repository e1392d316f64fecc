#!/usr/bin/python3
"""PyTorch side of bench/onnx_bench.ts: step time (forward + backward + AdamW) of the same
BERT-style encoder classifier idim compiles (lib/models/classifier_graph.ts; idim's also adds
its single token-type embedding row, a negligible add), and a MatMul peak.

Methods (the config's "method", default "full"):
- full: every parameter trained.
- did: DID with one global Fastfood projection of all parameters (lib/models/fastfood.ts's
  efficient form: B z padded to n = 2^ceil(log2 d), H_n, a tiled gather by Π mod n, G, H_L by
  Kronecker blocks of MatMuls, the first D entries, the scale), θ = θ0 + P z, only z trained.
- lora: PEFT's LoRA on the config's "lora_targets" (query/value Linears: x Aᵀ Bᵀ s; the token
  embedding: PEFT's Embedding, embedding(ids, Aᵀ) Bᵀ s), the classifier trained as
  modules_to_save, everything else frozen.

With "clip_norm" the gradients are clipped (clip_grad_norm_) and with "schedule": [warm-up
steps, total steps] the learning rate follows transformers' linear warm-up/decay (a LambdaLR), as idim's pipeline graphs.

Usage: .whl/torch213/bin/python bench/torch/bert_step.py '<json config>'
(the PyTorch 2.13.0+cpu venv bench/torch/venv.ts creates; any python with torch works).
"warmup" untimed steps come before "steps" timed ones.
Prints one JSON line: {"torch": version, "threads": n, "step_ms": [...], "matmul_gflops": x}.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


class LoraLinear(torch.nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.A = torch.nn.Parameter(torch.empty(r, base.in_features).uniform_(
            -1 / math.sqrt(base.in_features), 1 / math.sqrt(base.in_features)))
        self.B = torch.nn.Parameter(torch.zeros(base.out_features, r))
        self.s = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.A.t()) @ self.B.t() * self.s


class LoraEmbedding(torch.nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.A = torch.nn.Parameter(torch.zeros(r, base.num_embeddings))
        self.B = torch.nn.Parameter(torch.randn(base.embedding_dim, r))
        self.s = alpha / r

    def forward(self, ids):
        return self.base(ids) + F.embedding(ids, self.A.t()) @ self.B.t() * self.s


class Encoder(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        H, I = c["hidden"], c["intermediate"]
        self.c = c
        self.word = torch.nn.Embedding(c["vocab"], H)
        self.pos = torch.nn.Embedding(c["maxPos"], H)
        self.ln0 = torch.nn.LayerNorm(H, eps=c["eps"])
        self.layers = torch.nn.ModuleList()
        for _ in range(c["layers"]):
            self.layers.append(torch.nn.ModuleDict({
                "q": torch.nn.Linear(H, H), "k": torch.nn.Linear(H, H),
                "v": torch.nn.Linear(H, H), "o": torch.nn.Linear(H, H),
                "ln1": torch.nn.LayerNorm(H, eps=c["eps"]),
                "ff1": torch.nn.Linear(H, I), "ff2": torch.nn.Linear(I, H),
                "ln2": torch.nn.LayerNorm(H, eps=c["eps"]),
            }))
        self.pool = torch.nn.Linear(H, H)
        self.cls = torch.nn.Linear(H, c["classes"])

    def forward(self, ids, mask):
        B, S = ids.shape
        H, nh = self.c["hidden"], self.c["heads"]
        dh = H // nh
        x = self.ln0(self.word(ids) + self.pos.weight[:S])
        bias = (1.0 - mask)[:, None, None, :] * -10000.0
        for l in self.layers:
            q = l["q"](x).reshape(B, S, nh, dh).transpose(1, 2)
            k = l["k"](x).reshape(B, S, nh, dh).transpose(1, 2)
            v = l["v"](x).reshape(B, S, nh, dh).transpose(1, 2)
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + bias, dim=-1)
            ctx = (att @ v).transpose(1, 2).reshape(B, S, H)
            x = l["ln1"](x + l["o"](ctx))
            x = l["ln2"](x + l["ff2"](F.gelu(l["ff1"](x))))
        return self.cls(torch.tanh(self.pool(x[:, 0])))


def next_pow2(x):
    p = 1
    while p < x:
        p *= 2
    return p


def hadamard(n):
    h = torch.ones(1, 1)
    while h.shape[0] < n:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
    return h


def wht_blocks(bits, max_bits=6):
    if bits == 0:
        return []
    nb = math.ceil(bits / max_bits)
    base = bits // nb
    return [base + (1 if i < bits % nb else 0) for i in range(nb)]


class Wht:
    """H_L x over the last axis by Kronecker blocks of MatMuls (as lib/onnx/ops/wht.ts)."""

    def __init__(self, L):
        self.L = L
        self.blocks = [2 ** b for b in wht_blocks(int(math.log2(L)))]
        self.h = {n: hadamard(n) for n in set(self.blocks)}

    def __call__(self, x):
        y, rest = x, self.L
        for i, n in enumerate(self.blocks):
            rest //= n
            if i == len(self.blocks) - 1:
                y = y.reshape(-1, n) @ self.h[n]
            else:
                y = self.h[n] @ y.reshape(-1, n, rest)
        return y.reshape(x.shape)


class GlobalFastfood(torch.nn.Module):
    """θ = θ0 + P z over all of `model`'s parameters, one Fastfood projection, z trained."""

    def __init__(self, model, d, seed=0):
        super().__init__()
        self.model = model
        self.names = [n for n, _ in model.named_parameters()]
        self.shapes = [p.shape for _, p in model.named_parameters()]
        self.sizes = [p.numel() for _, p in model.named_parameters()]
        self.theta0 = {n: p.detach() for n, p in model.named_parameters()}
        for p in model.parameters():
            p.requires_grad_(False)
        D = sum(self.sizes)
        self.d, self.D, self.n, self.L = d, D, next_pow2(d), next_pow2(max(D, d))
        g = torch.Generator().manual_seed(seed)
        self.Bd = torch.randint(0, 2, (d,), generator=g).float() * 2 - 1
        self.perm_mod_n = torch.randperm(self.L, generator=g) % self.n
        self.G = torch.randn(self.L, generator=g)
        self.scale = 1 / (math.sqrt(self.L * float((self.G ** 2).sum())) * math.sqrt(D / self.L))
        self.wht_n, self.wht_L = Wht(self.n), Wht(self.L)
        self.z = torch.nn.Parameter(torch.zeros(d))

    def forward(self, ids, mask):
        x = F.pad(self.z * self.Bd, (0, self.n - self.d))
        x = self.wht_L(self.wht_n(x)[self.perm_mod_n] * self.G)[: self.D] * self.scale
        params = {
            n: self.theta0[n] + part.reshape(s)
            for n, s, part in zip(self.names, self.shapes, torch.split(x, self.sizes))
        }
        return torch.func.functional_call(self.model, params, (ids, mask))


def lora_model(model, c):
    for p in model.parameters():
        p.requires_grad_(False)
    r, alpha = c["r"], c["alpha"]
    targets = c.get("lora_targets", ["query", "value"])
    if "word_embeddings" in targets:
        model.word = LoraEmbedding(model.word, r, alpha)
    for l in model.layers:
        if "query" in targets:
            l["q"] = LoraLinear(l["q"], r, alpha)
        if "value" in targets:
            l["v"] = LoraLinear(l["v"], r, alpha)
    for p in model.cls.parameters():
        p.requires_grad_(True)
    return model


def matmul_peak(threads, m, k, n, reps=10):
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(3):
        a @ b
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    dt = (time.perf_counter() - t0) / reps
    return 2 * m * k * n / dt / 1e9


def build(c):
    """The trained module and its optimizer for the config's method."""
    torch.manual_seed(0)
    model = Encoder(c)
    method = c.get("method", "full")
    wd = c.get("weight_decay", 0.01)
    if method == "did":
        model = GlobalFastfood(model, c["d"])
        params = [model.z]
    elif method == "lora":
        model = lora_model(model, c)
        params = [p for p in model.parameters() if p.requires_grad]
    else:
        params = list(model.parameters())
    opt = torch.optim.AdamW(params, lr=c.get("lr", 1e-4), weight_decay=wd)
    sched = None
    if "schedule" in c:
        w, t = c["schedule"]
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: s / max(1, w) if s < w else max(0.0, (t - s) / max(1, t - w)))
    return model, params, opt, sched


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(c["threads"])
    model, params, opt, sched = build(c)
    B, S = c["batch"], c["seq"]
    ids = torch.randint(0, c["vocab"], (B, S))
    mask = torch.ones(B, S)
    labels = torch.randint(0, c["classes"], (B,))
    times = []
    for i in range(c["warmup"] + c["steps"]):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids, mask), labels)
        loss.backward()
        if "clip_norm" in c:
            torch.nn.utils.clip_grad_norm_(params, c["clip_norm"])
        opt.step()
        if sched:
            sched.step()
        dt = (time.perf_counter() - t0) * 1000
        if i >= c["warmup"]:
            times.append(dt)
    mm = c.get("matmul", [2048, 256, 1024])
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "step_ms": times,
        "matmul_gflops": matmul_peak(c["threads"], *mm),
    }))


if __name__ == "__main__":
    main()
