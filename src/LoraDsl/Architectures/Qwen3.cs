using LoraDsl.Dsl;

namespace LoraDsl.Architectures;

/// <summary>
/// Qwen3: LLaMA's module names plus a per-head RMSNorm on queries and keys (q_norm, k_norm) before RoPE. The norms
/// are declared so paths and handles know them; LoRA refuses them (LORA021).
/// </summary>
[LoraArchitecture("qwen3", ModelTypes = new[] { "qwen3" }, DepthField = "num_hidden_layers")]
[LoraModule("q_proj", "model.layers.{layer}.self_attn.q_proj", ModuleKind.Linear, ModuleRole.Query)]
[LoraModule("k_proj", "model.layers.{layer}.self_attn.k_proj", ModuleKind.Linear, ModuleRole.Key)]
[LoraModule("v_proj", "model.layers.{layer}.self_attn.v_proj", ModuleKind.Linear, ModuleRole.Value)]
[LoraModule("o_proj", "model.layers.{layer}.self_attn.o_proj", ModuleKind.Linear, ModuleRole.Output)]
[LoraModule("q_norm", "model.layers.{layer}.self_attn.q_norm", ModuleKind.Norm, ModuleRole.Norm)]
[LoraModule("k_norm", "model.layers.{layer}.self_attn.k_norm", ModuleKind.Norm, ModuleRole.Norm)]
[LoraModule("gate_proj", "model.layers.{layer}.mlp.gate_proj", ModuleKind.Linear, ModuleRole.FfnGate)]
[LoraModule("up_proj", "model.layers.{layer}.mlp.up_proj", ModuleKind.Linear, ModuleRole.FfnUp)]
[LoraModule("down_proj", "model.layers.{layer}.mlp.down_proj", ModuleKind.Linear, ModuleRole.FfnDown)]
[LoraModule("embed_tokens", "model.embed_tokens", ModuleKind.Embedding, ModuleRole.Embedding)]
[LoraModule("lm_head", "lm_head", ModuleKind.Linear, ModuleRole.Head)]
public static partial class Qwen3;
