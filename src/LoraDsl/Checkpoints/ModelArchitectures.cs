using LoraDsl.Models.Bert;
using LoraDsl.Models.Gpt2;
using LoraDsl.Models.Llama;

namespace LoraDsl.Checkpoints;

/// <summary>The architectures <see cref="ModelLoader"/> knows, by model_type (taken from the DSL architectures, compared by one rule). Adding one is one entry.</summary>
internal static class ModelArchitectures
{
    static readonly List<ModelArchitecture> Registered =
    [
        Decoder(Architectures.Llama.Descriptor.ModelTypes),
        Decoder(Architectures.Qwen3.Descriptor.ModelTypes),
        Decoder(Architectures.Phi3.Descriptor.ModelTypes),
        Decoder(Architectures.Gemma2.Descriptor.ModelTypes),
        Decoder(Architectures.Gemma3.Descriptor.ModelTypes) with
        {
            // A multimodal gemma3 folder keeps the text weights under language_model.; its vision parts are not loaded.
            CheckpointAliases = key => ["language_model." + key, "model.language_model." + (key.StartsWith("model.", StringComparison.Ordinal) ? key["model.".Length..] : key)],
            IsIgnoredCheckpointKey = key => IsRotaryBuffer(key) || key.StartsWith("vision_tower.", StringComparison.Ordinal) || key.StartsWith("multi_modal_projector.", StringComparison.Ordinal)
                || key.StartsWith("model.vision_tower.", StringComparison.Ordinal) || key.StartsWith("model.multi_modal_projector.", StringComparison.Ordinal),
        },
        new(Architectures.Gpt2.Descriptor.ModelTypes, "transformer",
            (raw, path, dtype, device) => new Gpt2LMHeadModel(Gpt2Config.FromJson(raw, path), dtype, device))
        {
            IsIgnoredCheckpointKey = key => key.EndsWith(".attn.bias", StringComparison.Ordinal) || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal),
        },
        new(Architectures.Bert.Descriptor.ModelTypes, "bert",
            (raw, path, dtype, device) => new BertForSequenceClassification(BertConfig.FromJson(raw, path)))
        {
            // position_ids is a constant buffer; cls.* are pre-training heads a classifier does not use.
            IsIgnoredCheckpointKey = key => key.EndsWith("embeddings.position_ids", StringComparison.Ordinal) || key.StartsWith("cls.", StringComparison.Ordinal),
            // HF initialises a classification head (and a pooler the checkpoint lacks) fresh.
            IsNewlyInitialized = key => key.StartsWith("classifier.", StringComparison.Ordinal) || key.StartsWith("bert.pooler.", StringComparison.Ordinal),
        },
    ];

    // The LLaMA-like decoders share one model; config.json's model_type picks the family's options.
    static ModelArchitecture Decoder(IReadOnlyList<string> modelTypes) =>
        new(modelTypes, "model", (raw, path, dtype, device) => new LlamaForCausalLM(LlamaConfig.FromJson(raw, path), dtype, device))
        {
            // Older LLaMA checkpoints store the rotary frequencies, which are recomputed here.
            IsIgnoredCheckpointKey = IsRotaryBuffer,
        };

    static bool IsRotaryBuffer(string key) => key.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);

    static readonly Lock Gate = new();

    public static IReadOnlyList<ModelArchitecture> All
    {
        get { lock (Gate) return Registered.ToList(); }
    }

    /// <summary>Adds or overrides (by model_type) an architecture.</summary>
    public static void Register(ModelArchitecture architecture)
    {
        lock (Gate) Registered.Insert(0, architecture);
    }

    /// <summary>The architecture for <paramref name="modelType"/>; unknown → <see cref="UnsupportedModelException"/> naming <paramref name="configPath"/>.</summary>
    public static ModelArchitecture Find(string modelType, string? configPath = null)
    {
        lock (Gate)
        {
            foreach (var a in Registered)
                if (a.ModelTypes.Any(t => Dsl.ArchitectureDescriptor.ModelTypeMatches(t, modelType))) return a;
            var supported = string.Join(", ", Registered.SelectMany(a => a.ModelTypes).Distinct().Order(StringComparer.Ordinal));
            throw new UnsupportedModelException(
                $"model_type '{modelType}'{(configPath is null ? "" : $" in '{configPath}'")} is not supported; supported: {supported}.");
        }
    }
}
