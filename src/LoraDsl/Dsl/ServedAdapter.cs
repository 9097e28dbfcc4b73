// Linked into generators/LoraDsl.Generators: the facts about an adapter that decide whether a server loads it.
using System;
using System.Collections.Generic;

namespace LoraDsl.Dsl;

/// <summary>
/// What <see cref="ServingRules"/> look at: read from a saved adapter folder by <c>lint</c>, from a recipe's settings and
/// targets by the ServeWith analyzer and by <c>RecipeDefinition.Validate</c>.
/// </summary>
internal sealed class ServedAdapter
{
    /// <summary>PEFT's peft_type: LORA or ADALORA.</summary>
    public string PeftType { get; set; } = "LORA";

    /// <summary>The largest rank of any module (r, or a rank_pattern entry); null when not known at compile time.</summary>
    public int? Rank { get; set; }

    public bool UseDora { get; set; }

    public bool UseRsLora { get; set; }

    /// <summary>PEFT's bias: none, all or lora_only.</summary>
    public string Bias { get; set; } = "none";

    /// <summary>Modules trained in full and saved with the adapter (PEFT's modules_to_save).</summary>
    public IReadOnlyList<string> ModulesToSave { get; set; } = Array.Empty<string>();

    /// <summary>Adapted token embeddings (lora_embedding_A/B), by module name.</summary>
    public IReadOnlyList<string> EmbeddingModules { get; set; } = Array.Empty<string>();

    /// <summary>The names (last path segment) of every adapted module: q_proj, c_attn, qkv_proj, ...</summary>
    public IReadOnlyList<string> ModuleNames { get; set; } = Array.Empty<string>();

    /// <summary>Tokens added to the base vocabulary travel with the adapter (added_tokens.json, new_embeddings.safetensors).</summary>
    public bool AddsTokens { get; set; }

    /// <summary>The base's model_type (gpt2, llama, ...) when known: the checkpoint's config.json, or the recipe's architecture.</summary>
    public string? ModelType { get; set; }

    /// <summary>The adapter adapts lm_head while the base ties the head to the embedding table (no lm_head tensor of its own).</summary>
    public bool AdaptsTiedHead { get; set; }

    /// <summary>PEFT's rank_pattern or alpha_pattern give some modules their own rank or alpha.</summary>
    public bool HasPatterns { get; set; }
}
