#!/usr/bin/python3
"""PyTorch side of bench/onnx_bench.ts: step time (forward + backward + AdamW) of the same
BERT-style encoder classifier idim compiles (lib/models/classifier_graph.ts; idim's also adds
its single token-type embedding row, a negligible add), and a MatMul peak.

Usage: .whl/torch213/bin/python bench/torch/bert_step.py '<json config>'
(the PyTorch 2.13.0+cpu venv bench/torch/venv.ts creates; any python with torch works).
Prints one JSON line: {"torch": version, "threads": n, "step_ms": [...], "matmul": {...}}.
"""
import json
import math
import sys
import time

import torch


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
            x = l["ln2"](x + l["ff2"](torch.nn.functional.gelu(l["ff1"](x))))
        return self.cls(torch.tanh(self.pool(x[:, 0])))


def matmul_peak(threads, m, k, n, reps=10):
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(3):
        a @ b
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    dt = (time.perf_counter() - t0) / reps
    return 2 * m * k * n / dt / 1e9


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(c["threads"])
    torch.manual_seed(0)
    model = Encoder(c)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    B, S = c["batch"], c["seq"]
    ids = torch.randint(0, c["vocab"], (B, S))
    mask = torch.ones(B, S)
    labels = torch.randint(0, c["classes"], (B,))
    times = []
    for i in range(c["warmup"] + c["steps"]):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(ids, mask), labels)
        loss.backward()
        opt.step()
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
