#!/usr/bin/env python3
"""PyTorch eager baseline for LoraDsl's training-step benchmark.

--arch gpt2: GPT-2 small (12 layers, 768 wide, 12 heads, vocab 50257, tied head); --arch llama:
the benchmark's LLaMA (12 layers, 768 wide, GQA 12/4 heads, SwiGLU 2048, vocab 32000, untied head).
Random weights, batch 4 x 256 tokens, AdamW. Mode "lora": r=16, alpha 32 on c_attn (GPT-2) or
q/k/v/o_proj (LLaMA) with PEFT semantics (frozen base, A kaiming-uniform, B zeros, scaling alpha/r);
mode "full": every parameter trains. --precision bf16 is mixed precision as a PyTorch user writes
it: the frozen base cast to bf16, the LoRA weights fp32, forward and loss under
torch.autocast("cpu", dtype=torch.bfloat16). Prints one JSON object: median step seconds,
tokens/s, peak RSS. Run one configuration per process so peak RSS belongs to it. Written for
Debian's python3-torch (1.13: OpenBLAS for fp32, oneDNN for bf16 matmuls).
"""
import argparse, json, math, resource, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv1D(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * 0.02)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).reshape(*x.shape[:-1], -1)


class LoraConv1D(nn.Module):
    def __init__(self, base, r, alpha, transposed=True):
        super().__init__()
        self.base = base
        n_in, n_out = base.weight.shape if transposed else base.weight.shape[::-1]
        self.lora_A = nn.Linear(n_in, r, bias=False)
        self.lora_B = nn.Linear(r, n_out, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scaling


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = Conv1D(d, 3 * d)
        self.c_proj = Conv1D(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.c_fc = Conv1D(d, 4 * d)
        self.mlp_proj = Conv1D(4 * d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=-1)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True) if hasattr(F, "scaled_dot_product_attention") else None
        if a is None:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
            att = att.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
            a = att @ v
        x = x + self.c_proj(a.transpose(1, 2).reshape(b, t, d))
        h = F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")
        return x + self.mlp_proj(h)


class Gpt2(nn.Module):
    def __init__(self, vocab=50257, d=768, layers=12, heads=12, ctx=1024):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.h = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.01)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for block in self.h:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.t()


class RmsNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(x.dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LlamaLayer(nn.Module):
    def __init__(self, d, heads, kv_heads, inter):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, d // heads
        self.input_layernorm = RmsNorm(d)
        self.q_proj = nn.Linear(d, heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(d, kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(d, kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(heads * self.head_dim, d, bias=False)
        self.post_attention_layernorm = RmsNorm(d)
        self.gate_proj = nn.Linear(d, inter, bias=False)
        self.up_proj = nn.Linear(d, inter, bias=False)
        self.down_proj = nn.Linear(inter, d, bias=False)

    def forward(self, x, cos, sin):
        b, t, d = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos.to(q.dtype) + rotate_half(q) * sin.to(q.dtype)
        k = k * cos.to(k.dtype) + rotate_half(k) * sin.to(k.dtype)
        group = self.heads // self.kv_heads
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        if hasattr(F, "scaled_dot_product_attention"):
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)
            att = att.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
            a = att @ v
        x = x + self.o_proj(a.transpose(1, 2).reshape(b, t, d))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self, vocab=32000, d=768, layers=12, heads=12, kv_heads=4, inter=2048):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList(LlamaLayer(d, heads, kv_heads, inter) for _ in range(layers))
        self.norm = RmsNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.head_dim = d // heads
        for prm in self.parameters():
            if prm.dim() > 1:
                nn.init.normal_(prm, std=0.02)

    def forward(self, ids):
        t = ids.shape[1]
        inv = 10000.0 ** (-torch.arange(0, self.head_dim, 2).float() / self.head_dim)
        angles = torch.arange(t).float()[:, None] * inv[None, :]
        angles = torch.cat((angles, angles), dim=-1)
        cos, sin = angles.cos()[None, None], angles.sin()[None, None]
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin)
        return self.lm_head(self.norm(x))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", choices=["gpt2", "llama"], default="gpt2")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--mode", choices=["lora", "full"], default="lora")
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Gpt2(layers=a.layers) if a.arch == "gpt2" else Llama(layers=a.layers)
    vocab = 50257 if a.arch == "gpt2" else 32000
    if a.precision == "bf16":
        if a.mode != "lora":
            raise SystemExit("bf16 is timed for LoRA only (full fine-tuning would need fp32 master weights)")
        model.to(torch.bfloat16)
    if a.mode == "lora":
        for prm in model.parameters():
            prm.requires_grad_(False)
        if a.arch == "gpt2":
            for block in model.h:
                block.c_attn = LoraConv1D(block.c_attn, 16, 32)
        else:
            for layer in model.layers:
                for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
                    setattr(layer, name, LoraConv1D(getattr(layer, name), 16, 32, transposed=False))
    params = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0.0)
    ids = torch.randint(0, vocab, (a.batch, a.seq + 1))
    times = []
    for step in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            logits = model(ids[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), ids[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if step >= a.warmup:
            times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    print(json.dumps({
        "impl": "pytorch-eager", "torch": torch.__version__, "arch": a.arch, "precision": a.precision, "mode": a.mode,
        "trainable_params": sum(q.numel() for q in params),
        "total_params": sum(q.numel() for q in model.parameters()),
        "median_step_s": median, "step_s": times, "tokens_per_s": a.batch * a.seq / median,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "loss": float(loss),
    }))


if __name__ == "__main__":
    main()
