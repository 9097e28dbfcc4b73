using LoraDsl.Dsl;

namespace LoraDsl.Architectures;

/// <summary>
/// Gemma 3's text model ("gemma3_text"; "gemma3" reads its text_config): Gemma 2's names plus per-head q_norm and
/// k_norm, which LoRA refuses (LORA021).
/// </summary>
[LoraArchitecture("gemma3", ModelTypes = new[] { "gemma3_text", "gemma3" }, DepthField = "num_hidden_layers")]
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
public static partial class Gemma3;
