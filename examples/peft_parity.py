#!/usr/bin/env python3
"""Independent check of a LoraDsl adapter, in PyTorch, from the files alone.

Reads a Hugging Face folder (config.json + model.safetensors; GPT-2, BERT for sequence
classification, or LLaMA/Mistral/Qwen2) and a PEFT LoRA adapter folder (adapter_config.json +
adapter_model.safetensors) the way transformers and PEFT interpret them, runs the model in float64
with PEFT's unmerged LoRA forward (y = base(x) + scaling * B(A(x)); GPT-2's Conv1D weights stored
[in, out] with fan_in_fan_out; modules_to_save replacing their modules), and compares its logits
with the JSON that `loradsl logits --adapter ... --ids ...` wrote. It shares no code with
LoraDsl: a wrong tensor name, a transposed B, a wrong scaling, a misread config or a lost
modules_to_save tensor shows up as a difference.

    python3 peft_parity.py BASE_DIR ADAPTER_DIR LOGITS_JSON [--tolerance 1e-4]

Needs only python3-torch (Debian's 1.13 works); no transformers or peft install.
Prints one JSON line; exit status 0 when max |difference| <= tolerance and the adapter changes
the logits at all, 1 otherwise.
"""
import argparse, json, math, struct, sys
import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}
PREFIX = "base_model.model."


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = bytearray(data[start:end])
        t = torch.frombuffer(raw, dtype=DTYPES[info["dtype"]]) if raw else torch.empty(0)
        tensors[name] = t.reshape(info["shape"]).to(torch.float64)
    return tensors


def matches(module, key):
    # PEFT matches target_modules, modules_to_save, rank_pattern and alpha_pattern keys against a
    # module's full name exactly or as a dotted suffix.
    return module == key or module.endswith("." + key)


class Adapter:
    def __init__(self, folder):
        with open(f"{folder}/adapter_config.json") as f:
            self.config = c = json.load(f)
        if c.get("peft_type") != "LORA":
            sys.exit(f"{folder}/adapter_config.json: peft_type {c.get('peft_type')!r} is not LORA")
        if c.get("use_dora"):
            sys.exit("DoRA adapters are not covered by this check")
        targets = c.get("target_modules") or []
        if isinstance(targets, str):
            sys.exit("a regex target_modules is not covered by this check")
        saved_names = c.get("modules_to_save") or []
        tensors = read_safetensors(f"{folder}/adapter_model.safetensors")
        self.lora, self.saved = {}, {}
        for name, t in tensors.items():
            if not name.startswith(PREFIX):
                sys.exit(f"adapter tensor {name!r} lacks PEFT's {PREFIX!r} prefix")
            key = name[len(PREFIX):]
            if key.endswith(".lora_A.weight"):
                module = key[:-len(".lora_A.weight")]
                b = tensors.get(f"{PREFIX}{module}.lora_B.weight")
                if b is None:
                    sys.exit(f"adapter has {name} but no lora_B for {module}")
                if not any(matches(module, t_) for t_ in targets):
                    sys.exit(f"{module} has LoRA weights but matches no target_modules entry {targets}")
                r = next((v for k, v in (c.get("rank_pattern") or {}).items() if matches(module, k)), c["r"])
                alpha = next((v for k, v in (c.get("alpha_pattern") or {}).items() if matches(module, k)), c["lora_alpha"])
                if t.shape[0] != r or b.shape[1] != r:
                    sys.exit(f"{module}: lora_A {list(t.shape)} / lora_B {list(b.shape)} do not have rank {r}")
                scaling = alpha / math.sqrt(r) if c.get("use_rslora") else alpha / r
                self.lora[module] = (t, b, scaling)
            elif key.endswith(".lora_B.weight"):
                continue
            else:
                module, _, param = key.rpartition(".")
                if not any(matches(module, s) for s in saved_names):
                    sys.exit(f"adapter tensor {name!r} is neither LoRA nor in modules_to_save {saved_names}")
                self.saved[key] = t

    def without_lora(self):
        bare = Adapter.__new__(Adapter)
        bare.config, bare.lora, bare.saved = self.config, {}, self.saved
        return bare


class Model:
    """Base weights by their full module names, with modules_to_save applied, and LoRA-aware layers."""

    def __init__(self, folder, adapter, prefix, head_names):
        with open(f"{folder}/config.json") as f:
            self.cfg = json.load(f)
        raw = read_safetensors(f"{folder}/model.safetensors")
        # Checkpoints store names with or without the base prefix ("transformer.", "bert.", "model.").
        self.w = {}
        for k, v in raw.items():
            full = k if k.startswith(prefix) or any(k.startswith(h) for h in head_names) else prefix + k
            self.w[full] = v
        for k, v in adapter.saved.items():
            self.w[k] = v
        self.adapter = adapter

    def linear(self, name, x, stored_in_out=False):
        weight, bias = self.w[name + ".weight"], self.w.get(name + ".bias")
        y = x @ weight if stored_in_out else x @ weight.t()
        if bias is not None:
            y = y + bias
        if name in self.adapter.lora:
            if stored_in_out != bool(self.adapter.config.get("fan_in_fan_out")):
                sys.exit(f"{name}: fan_in_fan_out is {self.adapter.config.get('fan_in_fan_out')} for a layer stored {'[in, out]' if stored_in_out else '[out, in]'}")
            a, b, scaling = self.adapter.lora[name]
            y = y + scaling * ((x @ a.t()) @ b.t())
        return y

    def norm(self, name, x, eps):
        return F.layer_norm(x, (x.shape[-1],), self.w[name + ".weight"], self.w[name + ".bias"], eps)


def attention(q, k, v, heads, kv_heads, causal):
    t, d = q.shape[0], q.shape[1] // heads
    q = q.reshape(t, heads, d).transpose(0, 1)
    k = k.reshape(t, kv_heads, d).transpose(0, 1).repeat_interleave(heads // kv_heads, 0)
    v = v.reshape(t, kv_heads, d).transpose(0, 1).repeat_interleave(heads // kv_heads, 0)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
    if causal:
        scores = scores.masked_fill(~torch.ones(t, t, dtype=torch.bool).tril(), float("-inf"))
    return (scores.softmax(-1) @ v).transpose(0, 1).reshape(t, heads * d)


def gpt2(m, ids):
    c, t = m.cfg, len(ids)
    eps, heads, d = c.get("layer_norm_epsilon", 1e-5), c["n_head"], c["n_embd"]
    x = m.w["transformer.wte.weight"][ids] + m.w["transformer.wpe.weight"][torch.arange(t)]
    for i in range(c["n_layer"]):
        p = f"transformer.h.{i}."
        q, k, v = m.linear(p + "attn.c_attn", m.norm(p + "ln_1", x, eps), True).split(d, dim=-1)
        x = x + m.linear(p + "attn.c_proj", attention(q, k, v, heads, heads, True), True)
        h = m.linear(p + "mlp.c_fc", m.norm(p + "ln_2", x, eps), True)
        h = 0.5 * h * (1 + torch.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h ** 3)))  # gelu_new
        x = x + m.linear(p + "mlp.c_proj", h, True)
    x = m.norm("transformer.ln_f", x, eps)
    return x @ m.w.get("lm_head.weight", m.w["transformer.wte.weight"]).t()


def bert(m, ids):
    c, t = m.cfg, len(ids)
    eps, heads = c.get("layer_norm_eps", 1e-12), c["num_attention_heads"]
    if c.get("hidden_act", "gelu") != "gelu":
        sys.exit(f"hidden_act {c.get('hidden_act')!r}: this check covers gelu")
    e = "bert.embeddings."
    x = m.w[e + "word_embeddings.weight"][ids] + m.w[e + "position_embeddings.weight"][torch.arange(t)] + m.w[e + "token_type_embeddings.weight"][0]
    x = m.norm(e + "LayerNorm", x, eps)
    for i in range(c["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}."
        s = p + "attention.self."
        a = attention(m.linear(s + "query", x), m.linear(s + "key", x), m.linear(s + "value", x), heads, heads, False)
        x = m.norm(p + "attention.output.LayerNorm", m.linear(p + "attention.output.dense", a) + x, eps)
        h = F.gelu(m.linear(p + "intermediate.dense", x))
        x = m.norm(p + "output.LayerNorm", m.linear(p + "output.dense", h) + x, eps)
    pooled = torch.tanh(m.linear("bert.pooler.dense", x[0]))
    return m.linear("classifier", pooled)


def llama(m, ids):
    c, t = m.cfg, len(ids)
    if c.get("rope_scaling"):
        sys.exit("rope_scaling is not covered by this check")
    heads, kv_heads = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"])
    eps, dim = c.get("rms_norm_eps", 1e-6), c["hidden_size"] // c["num_attention_heads"]
    inv_freq = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    angles = torch.outer(torch.arange(t, dtype=torch.float64), inv_freq)
    cos, sin = torch.cat([angles, angles], -1).cos(), torch.cat([angles, angles], -1).sin()

    def rope(z, n):
        z = z.reshape(t, n, dim)
        half = torch.cat([-z[..., dim // 2:], z[..., :dim // 2]], -1)
        return (z * cos[:, None] + half * sin[:, None]).reshape(t, n * dim)

    def rms(name, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * m.w[name + ".weight"]

    x = m.w["model.embed_tokens.weight"][ids]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms(p + "input_layernorm", x)
        q = rope(m.linear(p + "self_attn.q_proj", h), heads)
        k = rope(m.linear(p + "self_attn.k_proj", h), kv_heads)
        x = x + m.linear(p + "self_attn.o_proj", attention(q, k, m.linear(p + "self_attn.v_proj", h), heads, kv_heads, True))
        h = rms(p + "post_attention_layernorm", x)
        x = x + m.linear(p + "mlp.down_proj", F.silu(m.linear(p + "mlp.gate_proj", h)) * m.linear(p + "mlp.up_proj", h))
    x = rms("model.norm", x)
    return x @ m.w.get("lm_head.weight", m.w["model.embed_tokens.weight"]).t()


ARCHITECTURES = {
    "gpt2": ("transformer.", ["lm_head."], gpt2),
    "bert": ("bert.", ["classifier."], bert),
    "llama": ("model.", ["lm_head."], llama),
    "mistral": ("model.", ["lm_head."], llama),
    "qwen2": ("model.", ["lm_head."], llama),
}


def logits(base, adapter, ids):
    with open(f"{base}/config.json") as f:
        model_type = json.load(f).get("model_type")
    if model_type not in ARCHITECTURES:
        sys.exit(f"{base}/config.json: model_type {model_type!r}; this check covers {sorted(ARCHITECTURES)}")
    prefix, heads, forward = ARCHITECTURES[model_type]
    return forward(Model(base, adapter, prefix, heads), ids)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("base")
    p.add_argument("adapter")
    p.add_argument("logits_json")
    p.add_argument("--tolerance", type=float, default=1e-4)
    a = p.parse_args()
    with open(a.logits_json) as f:
        theirs = json.load(f)
    adapter = Adapter(a.adapter)
    ours = logits(a.base, adapter, theirs["ids"])
    loradsl = torch.tensor(theirs["logits"], dtype=torch.float64)
    if list(loradsl.shape) != list(ours.shape):
        sys.exit(f"shape: LoraDsl {list(loradsl.shape)}, this check {list(ours.shape)}")
    diff = (loradsl - ours).abs().max().item()
    # How far the LoRA weights move the logits: a check that passes only because every B is zero proves little.
    effect = (ours - logits(a.base, adapter.without_lora(), theirs["ids"])).abs().max().item()
    ok = diff <= a.tolerance and effect > 0
    print(json.dumps({"lora_modules": len(adapter.lora), "modules_to_save_tensors": len(adapter.saved),
                      "tokens": len(theirs["ids"]), "max_abs_diff": diff, "lora_effect_max_abs": effect,
                      "tolerance": a.tolerance, "ok": ok}))
    if effect == 0:
        print("the LoRA weights do not change the logits (all lora_B zero?): they were not checked", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
