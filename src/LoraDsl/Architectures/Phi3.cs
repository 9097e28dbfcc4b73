using LoraDsl.Dsl;

namespace LoraDsl.Architectures;

/// <summary>
/// Phi-3 / 3.5 / 4 (model_type "phi3"): Q, K and V fused into qkv_proj (query rows first; fewer key/value rows under
/// grouped-query attention) and gate and up fused into gate_up_proj. A role adapts its rows; the name adapts the whole module, as PEFT does.
/// </summary>
[LoraArchitecture("phi3", ModelTypes = new[] { "phi3" }, DepthField = "num_hidden_layers")]
[LoraFusedModule("qkv_proj", "model.layers.{layer}.self_attn.qkv_proj", ModuleKind.Linear, ModuleRole.Query, ModuleRole.Key, ModuleRole.Value)]
[LoraModule("o_proj", "model.layers.{layer}.self_attn.o_proj", ModuleKind.Linear, ModuleRole.Output)]
[LoraFusedModule("gate_up_proj", "model.layers.{layer}.mlp.gate_up_proj", ModuleKind.Linear, ModuleRole.FfnGate, ModuleRole.FfnUp)]
[LoraModule("down_proj", "model.layers.{layer}.mlp.down_proj", ModuleKind.Linear, ModuleRole.FfnDown)]
[LoraModule("embed_tokens", "model.embed_tokens", ModuleKind.Embedding, ModuleRole.Embedding)]
[LoraModule("lm_head", "lm_head", ModuleKind.Linear, ModuleRole.Head)]
public static partial class Phi3;
