"""PyTorch side of the prepared GPU check: training-step times of random roberta-base- and
roberta-large-shaped sequence classifiers, by LoRA (peft, r=8 on query/value, head trained)
and by DID (every parameter tensor θ = θ0 + P z through its own Fastfood transform, z of size
d = 1000, as idim's per-tensor projection), AdamW, float32 (TF32 off), batch 8 × seq 128.

    python3 bench/gpu/torch_steps.py --out torch.json [--configs base:lora,...] [--steps 5]
"""
import argparse, json, math, time

import torch
from torch.func import functional_call
from transformers import RobertaConfig, RobertaForSequenceClassification

SHAPES = {
    "base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
    "large": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096),
}


def model_for(shape, dev):
    cfg = RobertaConfig(vocab_size=50265, max_position_embeddings=514, type_vocab_size=1,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, num_labels=2,
                        pad_token_id=1, **SHAPES[shape])
    torch.manual_seed(0)
    return RobertaForSequenceClassification(cfg).to(dev)


def fwht(x):
    """Unnormalised Walsh–Hadamard transform of a length-2^k vector (Kronecker blocks ≤ 2^6)."""
    n = x.numel()
    k = n.bit_length() - 1
    while k > 0:
        b = min(6, k)
        # apply H_{2^b} on one factor of the Kronecker product at a time
        h = _hadamard(b, x.device)
        k -= b
        x = torch.matmul(h, x.reshape(-1, 2 ** b, 2 ** k)).reshape(-1)
    return x


_H = {}


def _hadamard(b, dev):
    if (b, dev) not in _H:
        h = torch.ones(1, 1)
        for _ in range(b):
            h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
        _H[(b, dev)] = h.to(dev)
    return _H[(b, dev)]


class Fastfood(torch.nn.Module):
    """P z = (H G Π H B pad(z))[:D] / (sqrt(L ΣG²) sqrt(D/L)) for one tensor of D elements."""

    def __init__(self, D, d, gen, dev):
        super().__init__()
        L = 1 << (max(D, d) - 1).bit_length()  # next power of two >= max(D, d)
        self.D, self.d, self.L = D, d, L
        self.B = torch.randint(0, 2, (L,), generator=gen, device=dev).float() * 2 - 1
        self.P = torch.randperm(L, generator=gen, device=dev)
        self.G = torch.randn(L, generator=gen, device=dev)
        self.scale = 1.0 / (math.sqrt(L * float((self.G ** 2).sum())) * math.sqrt(D / L))

    def forward(self, z):
        x = torch.zeros(self.L, device=z.device)
        x = torch.cat([z, x[self.d:]]) * self.B
        x = fwht(x)[self.P] * self.G
        return fwht(x)[: self.D] * self.scale


def did_step_fn(model, d, dev):
    model.requires_grad_(False)
    names = [n for n, _ in model.named_parameters()]
    theta0 = {n: p.detach() for n, p in model.named_parameters()}
    gen = torch.Generator(device=dev).manual_seed(0)
    ffs = [Fastfood(theta0[n].numel(), d, gen, dev) for n in names]
    z = torch.zeros(d, device=dev, requires_grad=True)
    opt = torch.optim.AdamW([z], lr=1e-2)

    def step(ids, mask, labels):
        params = {n: theta0[n] + f(z).view_as(theta0[n]) for n, f in zip(names, ffs)}
        out = functional_call(model, params, (ids,), {"attention_mask": mask, "labels": labels})
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        opt.step()
        return out.loss

    return step, d


def lora_step_fn(model):
    from peft import LoraConfig, get_peft_model
    pm = get_peft_model(model, LoraConfig(r=8, lora_alpha=8, target_modules=["query", "value"],
                                          lora_dropout=0.0, task_type="SEQ_CLS"))
    params = [p for p in pm.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)

    def step(ids, mask, labels):
        out = pm(input_ids=ids, attention_mask=mask, labels=labels)
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        opt.step()
        return out.loss

    return step, sum(p.numel() for p in params)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="torch.json")
    ap.add_argument("--configs", default="base:lora,base:did,large:lora,large:did")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(a.device)
    res = {"torch": torch.__version__, "device": a.device,
           "gpu": torch.cuda.get_device_name(0) if a.device == "cuda" else None,
           "precision": "float32 (TF32 off)", "rows": []}
    for c in a.configs.split(","):
        shape, method = c.split(":")
        row = {"shape": shape, "method": method, "batch": a.batch, "seq": a.seq}
        try:
            t0 = time.perf_counter()
            model = model_for(shape, dev).train()
            step, trainable = did_step_fn(model, 1000, dev) if method == "did" else lora_step_fn(model)
            row.update(size=1000 if method == "did" else 8, trainable=trainable,
                       setupSeconds=time.perf_counter() - t0,
                       modelParams=sum(p.numel() for p in model.parameters()))
            g = torch.Generator().manual_seed(1)
            ids = torch.randint(3, 50000, (a.batch, a.seq), generator=g).to(dev)
            mask = torch.ones(a.batch, a.seq, dtype=torch.long, device=dev)
            labels = (torch.arange(a.batch) % 2).to(dev)
            times, losses = [], []
            for s in range(a.warmup + a.steps):
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                t = time.perf_counter()
                loss = step(ids, mask, labels)
                losses.append(float(loss))  # synchronises
                if s >= a.warmup:
                    times.append(time.perf_counter() - t)
            st = sorted(times)
            row.update(stepSeconds=times, loss=losses, medianStepMs=1000 * st[len(st) // 2],
                       meanStepMs=1000 * sum(times) / len(times))
            if dev.type == "cuda":
                row["maxMemoryGiB"] = torch.cuda.max_memory_allocated() / 2 ** 30
            print(f"torch {c}: median {row['medianStepMs']:.1f} ms/step", flush=True)
        except Exception as e:  # record and go on with the next configuration
            row["error"] = f"{type(e).__name__}: {e}"
            print(f"torch {c}: {row['error']}", flush=True)
        res["rows"].append(row)
        model = step = None
        if dev.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        with open(a.out, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
