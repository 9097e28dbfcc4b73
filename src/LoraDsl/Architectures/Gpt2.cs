using LoraDsl.Dsl;

namespace LoraDsl.Architectures;

/// <summary>GPT-2: Conv1D layers, and Q/K/V fused into one c_attn (three equal output slices).</summary>
[LoraArchitecture("gpt2", ModelTypes = new[] { "gpt2" }, DepthField = "n_layer")]
[LoraFusedModule("c_attn", "transformer.h.{layer}.attn.c_attn", ModuleKind.Conv1D, ModuleRole.Query, ModuleRole.Key, ModuleRole.Value)]
[LoraModule("attn.c_proj", "transformer.h.{layer}.attn.c_proj", ModuleKind.Conv1D, ModuleRole.Output)]
[LoraModule("c_fc", "transformer.h.{layer}.mlp.c_fc", ModuleKind.Conv1D, ModuleRole.FfnUp)]
[LoraModule("mlp.c_proj", "transformer.h.{layer}.mlp.c_proj", ModuleKind.Conv1D, ModuleRole.FfnDown)]
[LoraModule("wte", "transformer.wte", ModuleKind.Embedding, ModuleRole.Embedding)]
[LoraModule("lm_head", "lm_head", ModuleKind.Linear, ModuleRole.Head)]
public static partial class Gpt2;
