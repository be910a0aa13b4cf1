#!/usr/bin/env python3
"""PyTorch eager twin of bench/train_step.cpp: the same models (cell or reference
Transformer), batch, shapes, precision and step (forward, loss, backward, clip, AdamW).
Prints the same one-line result; params must equal the C++ figure.
  python3 bench/train_step.py [--device cpu|cuda] [--model cell|transformer] [--d 128]
                              [--batch 64] [--len 32] [--steps 50] [--warmup 10] [--threads N]
"""
import argparse
import contextlib
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvOp(nn.Module):
    def __init__(self, d, k, dil=1, causal=False):
        super().__init__()
        span = (k - 1) * dil
        self.left = span if causal else span // 2
        self.right = span - self.left
        self.conv = nn.Conv1d(d, d, k, dilation=dil)

    def forward(self, x, pad, mem, mem_pad):
        if pad is not None:
            x = x.masked_fill(pad.unsqueeze(-1), 0.0)
        h = F.pad(x.transpose(1, 2), (self.left, self.right))
        return F.gelu(self.conv(h).transpose(1, 2))


class AttentionOp(nn.Module):
    def __init__(self, d, heads=4, window=0, causal=False, cross=False):
        super().__init__()
        self.d, self.h, self.w, self.causal, self.cross = d, heads, window, causal, cross
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.out = nn.Linear(d, d)

    def forward(self, x, pad, mem, mem_pad):
        src, src_pad = (mem, mem_pad) if self.cross else (x, pad)
        b, t, s, dh = x.size(0), x.size(1), src.size(1), self.d // self.h
        q = self.q(x).view(b, t, self.h, dh).transpose(1, 2)
        kv = self.kv(src).view(b, s, 2, self.h, dh).permute(2, 0, 3, 1, 4)
        k, v = kv[0], kv[1]
        scores = torch.matmul(q, k.transpose(-2, -1)).float() / math.sqrt(dh)
        diff = torch.arange(t, device=x.device).unsqueeze(1) - torch.arange(s, device=x.device).unsqueeze(0)
        blocked = torch.zeros(t, s, dtype=torch.bool, device=x.device)
        if self.causal and not self.cross:
            blocked = blocked | (diff < 0)
        if self.w > 0:
            if self.causal and not self.cross:
                blocked = blocked | (diff >= self.w)
            else:
                blocked = blocked | (diff.abs() > self.w // 2)
        mask = blocked.view(1, 1, t, s)
        if src_pad is not None:
            mask = mask | src_pad.view(b, 1, 1, s)
        attn = torch.softmax(scores.masked_fill(mask, -1e9), -1).to(v.dtype)
        return self.out(torch.matmul(attn, v).transpose(1, 2).reshape(b, t, self.d))


class FfnOp(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.up = nn.Linear(d, 4 * d)
        self.down = nn.Linear(4 * d, d)

    def forward(self, x, pad, mem, mem_pad):
        return self.down(F.gelu(self.up(x)))


class CellLayer(nn.Module):
    """nodes: list of lists of (from, module); output = sum of unconsumed nodes."""

    def __init__(self, d, nodes):
        super().__init__()
        self.norm0, self.norm1 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.froms = [[f for f, _ in n] for n in nodes]
        self.ops = nn.ModuleList([nn.ModuleList([m for _, m in n]) for n in nodes])
        consumed = {f for n in self.froms for f in n}
        self.outputs = [2 + k for k in range(len(nodes)) if 2 + k not in consumed]

    def forward(self, h0, h1, pad, mem, mem_pad):
        states = [self.norm0(h0), self.norm1(h1)]
        for froms, ops in zip(self.froms, self.ops):
            states.append(sum(op(states[f], pad, mem, mem_pad) for f, op in zip(froms, ops)))
        return h0 + sum(states[i] for i in self.outputs)


class TransformerLayer(nn.Module):
    def __init__(self, d, decoder, cross):
        super().__init__()
        self.ln_self, self.self_attn = nn.LayerNorm(d), AttentionOp(d, 4, 0, decoder, False)
        self.cross = cross
        if cross:
            self.ln_cross, self.cross_attn = nn.LayerNorm(d), AttentionOp(d, 4, 0, False, True)
        self.ln_ffn, self.ffn = nn.LayerNorm(d), FfnOp(d)

    def forward(self, x, prev, pad, mem, mem_pad):
        h = x + self.self_attn(self.ln_self(x), pad, mem, mem_pad)
        if self.cross:
            h = h + self.cross_attn(self.ln_cross(h), pad, mem, mem_pad)
        return h + self.ffn(self.ln_ffn(h), pad, mem, mem_pad)


def bench_cells(d):
    # Mirrors bench_cells() in train_step.cpp.
    enc = lambda: CellLayer(d, [[(0, ConvOp(d, 5)), (1, AttentionOp(d, 4, 8))], [(2, FfnOp(d))]])
    dec = lambda: CellLayer(d, [[(0, ConvOp(d, 3, causal=True))], [(2, AttentionOp(d, 4, 0, cross=True))],
                                [(3, FfnOp(d))]])
    return enc, dec


class SeqModel(nn.Module):
    def __init__(self, kind, d, src_vocab, tgt_vocab, max_len, layers=2):
        super().__init__()
        self.src_tok, self.src_pos = nn.Embedding(src_vocab, d), nn.Embedding(max_len, d)
        if kind == "cell":
            enc, dec = bench_cells(d)
        else:
            enc, dec = (lambda: TransformerLayer(d, False, False)), (lambda: TransformerLayer(d, True, True))
        self.encoder = nn.ModuleList([enc() for _ in range(layers)])
        self.enc_norm = nn.LayerNorm(d)
        self.tgt_tok, self.tgt_pos = nn.Embedding(tgt_vocab, d), nn.Embedding(max_len, d)
        self.decoder = nn.ModuleList([dec() for _ in range(layers)])
        self.dec_norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, tgt_vocab)

    @staticmethod
    def stack(layers, x, pad, mem, mem_pad):
        prev = x
        for layer in layers:
            x, prev = layer(x, prev, pad, mem, mem_pad), x
        return x

    def forward(self, src, src_pad, tgt, tgt_pad):
        pos = lambda ids, emb: emb(torch.arange(ids.size(1), device=ids.device)).unsqueeze(0)
        mem = self.enc_norm(self.stack(self.encoder, self.src_tok(src) + pos(src, self.src_pos), src_pad, None, None))
        h = self.stack(self.decoder, self.tgt_tok(tgt) + pos(tgt, self.tgt_pos), tgt_pad, mem, src_pad)
        return self.head(self.dec_norm(h))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--model", default="cell")
    for k, v in (("d", 128), ("batch", 64), ("len", 32), ("steps", 50), ("warmup", 10), ("threads", 0)):
        ap.add_argument("--" + k, type=int, default=v)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    dev = torch.device("cuda:0" if a.device == "cuda" else "cpu")
    src_vocab, tgt_vocab = 257, 42
    torch.manual_seed(0)
    m = SeqModel(a.model, a.d, src_vocab, tgt_vocab, a.len).to(dev).train()
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.01)
    src = torch.randint(1, src_vocab, (a.batch, a.len), device=dev)
    tgt = torch.randint(1, tgt_vocab, (a.batch, a.len + 1), device=dev)
    tin, tout = tgt[:, :-1].contiguous(), tgt[:, 1:].contiguous()
    src_pad, tgt_pad = src.eq(0), tin.eq(0)
    cuda = dev.type == "cuda"

    def step():
        ctx = torch.autocast("cuda", dtype=torch.bfloat16) if cuda else contextlib.nullcontext()
        with ctx:
            logits = m(src, src_pad, tin, tgt_pad)
            loss = F.cross_entropy(logits.reshape(-1, tgt_vocab).float(), tout.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        return loss

    for _ in range(a.warmup):
        loss = step()
    if cuda:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    if cuda:
        torch.cuda.synchronize()
    ms = (time.perf_counter() - t0) * 1000 / a.steps
    params = sum(p.numel() for p in m.parameters())
    print(f"impl=pytorch-{torch.__version__} device={a.device} model={a.model} d={a.d} batch={a.batch} len={a.len} "
          f"params={params} threads={torch.get_num_threads()} step_ms={ms:.3f} loss={loss.item():.4f}")


if __name__ == "__main__":
    main()
