#!/usr/bin/env python3
"""Independent check of a LoraDsl GPT-2 adapter, in PyTorch, from the files alone.

Reads a Hugging Face GPT-2 folder (config.json + model.safetensors) and a PEFT LoRA adapter folder
(adapter_config.json + adapter_model.safetensors) the way transformers and PEFT interpret them,
runs GPT-2 with PEFT's unmerged LoRA forward (y = base(x) + scaling * B(A(x)), Conv1D weights
stored [in, out], fan_in_fan_out), and compares its logits with the JSON that
`loradsl logits --adapter ... --ids ...` wrote. Shares no code with LoraDsl: a wrong tensor name,
a transposed B, a wrong scaling or a misread config shows up as a difference.

    python3 peft_parity.py BASE_DIR ADAPTER_DIR LOGITS_JSON [--tolerance 1e-4]

Needs only python3-torch (Debian's 1.13 works); no transformers or peft install.
Exit status 0 when max |difference| <= tolerance, 1 otherwise.
"""
import argparse, json, math, struct, sys
import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}


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
        t = torch.frombuffer(bytearray(data[start:end]), dtype=DTYPES[info["dtype"]]) if end > start else torch.empty(0)
        tensors[name] = t.reshape(info["shape"]).to(torch.float64)
    return tensors, header.get("__metadata__", {})


def pattern_value(patterns, module, default):
    # PEFT: rank_pattern / alpha_pattern keys match a module name exactly or as a dotted suffix.
    for key, value in patterns.items():
        if module == key or module.endswith("." + key):
            return value
    return default


class Lora:
    def __init__(self, adapter_dir):
        with open(f"{adapter_dir}/adapter_config.json") as f:
            self.config = json.load(f)
        c = self.config
        if c.get("peft_type") != "LORA":
            sys.exit(f"{adapter_dir}/adapter_config.json: peft_type {c.get('peft_type')!r} is not LORA")
        if c.get("use_dora"):
            sys.exit("DoRA adapters are not covered by this check")
        self.tensors, self.metadata = read_safetensors(f"{adapter_dir}/adapter_model.safetensors")
        prefix = "base_model.model."
        self.modules = {}
        for name in self.tensors:
            if not name.startswith(prefix):
                sys.exit(f"adapter tensor {name!r} lacks PEFT's {prefix!r} prefix")
            if name.endswith(".lora_A.weight"):
                module = name[len(prefix):-len(".lora_A.weight")]
                a = self.tensors[name]
                b = self.tensors.get(f"{prefix}{module}.lora_B.weight")
                if b is None:
                    sys.exit(f"adapter has {name} but no lora_B for {module}")
                r = pattern_value(c.get("rank_pattern") or {}, module, c["r"])
                alpha = pattern_value(c.get("alpha_pattern") or {}, module, c["lora_alpha"])
                if a.shape[0] != r or b.shape[1] != r:
                    sys.exit(f"{module}: lora_A {list(a.shape)} / lora_B {list(b.shape)} do not have rank {r}")
                scaling = alpha / math.sqrt(r) if c.get("use_rslora") else alpha / r
                self.modules[module] = (a, b, scaling)
        targets = c.get("target_modules") or []
        if isinstance(targets, str):
            sys.exit("a regex target_modules is not covered by this check")
        for module in self.modules:
            if not any(module == t or module.endswith("." + t) for t in targets):
                sys.exit(f"{module} has LoRA weights but matches no target_modules entry")

    def conv1d(self, name, x, weight, bias):
        # transformers' Conv1D: weight [in, out]; PEFT (fan_in_fan_out=True): lora_A [r, in], lora_B [out, r].
        y = x @ weight + bias
        if name in self.modules:
            if not self.config.get("fan_in_fan_out"):
                sys.exit(f"{name} is a GPT-2 Conv1D but fan_in_fan_out is false")
            a, b, scaling = self.modules[name]
            y = y + scaling * ((x @ a.t()) @ b.t())
        return y


def gpt2_logits(base_dir, lora, ids):
    with open(f"{base_dir}/config.json") as f:
        cfg = json.load(f)
    if cfg.get("model_type") != "gpt2":
        sys.exit(f"{base_dir}/config.json: model_type {cfg.get('model_type')!r}; this check covers gpt2")
    w, _ = read_safetensors(f"{base_dir}/model.safetensors")
    w = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in w.items()}
    d, heads, eps = cfg["n_embd"], cfg["n_head"], cfg.get("layer_norm_epsilon", 1e-5)
    t = len(ids)
    x = w["wte.weight"][ids] + w["wpe.weight"][torch.arange(t)]
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        h = F.layer_norm(x, (d,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = lora.conv1d(f"transformer.{p}attn.c_attn", h, w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"])
        q, k, v = (z.reshape(t, heads, d // heads).transpose(0, 1) for z in qkv.split(d, dim=-1))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d // heads)
        attended = scores.masked_fill(~causal, float("-inf")).softmax(-1) @ v
        merged = attended.transpose(0, 1).reshape(t, d)
        x = x + lora.conv1d(f"transformer.{p}attn.c_proj", merged, w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"])
        h = F.layer_norm(x, (d,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = lora.conv1d(f"transformer.{p}mlp.c_fc", h, w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"])
        h = 0.5 * h * (1 + torch.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h ** 3)))  # gelu_new
        x = x + lora.conv1d(f"transformer.{p}mlp.c_proj", h, w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"])
    x = F.layer_norm(x, (d,), w["ln_f.weight"], w["ln_f.bias"], eps)
    head = w.get("lm_head.weight", w["wte.weight"])  # tied unless the file has its own
    return x @ head.t()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("base")
    p.add_argument("adapter")
    p.add_argument("logits_json")
    p.add_argument("--tolerance", type=float, default=1e-4)
    a = p.parse_args()
    with open(a.logits_json) as f:
        theirs = json.load(f)
    lora = Lora(a.adapter)
    ours = gpt2_logits(a.base, lora, theirs["ids"])
    loradsl = torch.tensor(theirs["logits"], dtype=torch.float64)
    if list(loradsl.shape) != list(ours.shape):
        sys.exit(f"shape: LoraDsl {list(loradsl.shape)}, this check {list(ours.shape)}")
    diff = (loradsl - ours).abs().max().item()
    # How far the adapter moves the logits: a check that passes only because B is zero proves nothing.
    modules, lora.modules = lora.modules, {}
    effect = (ours - gpt2_logits(a.base, lora, theirs["ids"])).abs().max().item()
    print(json.dumps({"modules_with_lora": len(modules), "tokens": len(theirs["ids"]), "max_abs_diff": diff,
                      "adapter_effect_max_abs": effect, "tolerance": a.tolerance, "ok": diff <= a.tolerance and effect > 0}))
    if effect == 0:
        print("the adapter does not change the logits (all lora_B zero?): nothing was checked", file=sys.stderr)
        return 1
    return 0 if diff <= a.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
