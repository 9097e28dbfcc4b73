using LoraDsl.Dsl;

namespace LoraDsl.Architectures;

/// <summary>
/// Gemma 2: LLaMA's projection names, norms before and after attention and the MLP, a head tied to embed_tokens
/// (lm_head is its alias, as in transformers).
/// </summary>
[LoraArchitecture("gemma2", ModelTypes = new[] { "gemma2" }, DepthField = "num_hidden_layers")]
[LoraModule("q_proj", "model.layers.{layer}.self_attn.q_proj", ModuleKind.Linear, ModuleRole.Query)]
[LoraModule("k_proj", "model.layers.{layer}.self_attn.k_proj", ModuleKind.Linear, ModuleRole.Key)]
[LoraModule("v_proj", "model.layers.{layer}.self_attn.v_proj", ModuleKind.Linear, ModuleRole.Value)]
[LoraModule("o_proj", "model.layers.{layer}.self_attn.o_proj", ModuleKind.Linear, ModuleRole.Output)]
[LoraModule("gate_proj", "model.layers.{layer}.mlp.gate_proj", ModuleKind.Linear, ModuleRole.FfnGate)]
[LoraModule("up_proj", "model.layers.{layer}.mlp.up_proj", ModuleKind.Linear, ModuleRole.FfnUp)]
[LoraModule("down_proj", "model.layers.{layer}.mlp.down_proj", ModuleKind.Linear, ModuleRole.FfnDown)]
[LoraModule("embed_tokens", "model.embed_tokens", ModuleKind.Embedding, ModuleRole.Embedding)]
[LoraModule("lm_head", "lm_head", ModuleKind.Linear, ModuleRole.Head)]
public static partial class Gemma2;
