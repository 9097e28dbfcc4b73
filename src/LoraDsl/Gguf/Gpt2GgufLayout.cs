using System.Text.RegularExpressions;
using LoraDsl.Checkpoints;
using LoraDsl.Models.Gpt2;

namespace LoraDsl.Gguf;

/// <summary>GPT-2 (llama.cpp arch "gpt2"): fused attn_qkv, learned position_embd, Conv1D weights transposed to [out, in].</summary>
internal sealed partial class Gpt2GgufLayout(Gpt2Config config) : GgufModelLayout
{
    static readonly Dictionary<string, (string Name, bool Conv1D)> LayerNames = new(StringComparer.Ordinal)
    {
        ["ln_1"] = ("attn_norm", false),
        ["attn.c_attn"] = ("attn_qkv", true),
        ["attn.c_proj"] = ("attn_output", true),
        ["ln_2"] = ("ffn_norm", false),
        ["mlp.c_fc"] = ("ffn_up", true),
        ["mlp.c_proj"] = ("ffn_down", true),
    };

    public override string Architecture => "gpt2";

    [GeneratedRegex(@"^transformer\.h\.(?<n>\d+)\.(?<module>.+)\.(?<kind>weight|bias)$")]
    private static partial Regex LayerWeight();

    public override (string Name, GgufTensorTransform Transform)? Map(string name)
    {
        switch (name)
        {
            case "transformer.wte.weight": return ("token_embd.weight", GgufTensorTransform.None);
            case "transformer.wpe.weight": return ("position_embd.weight", GgufTensorTransform.None);
            case "transformer.ln_f.weight": return ("output_norm.weight", GgufTensorTransform.None);
            case "transformer.ln_f.bias": return ("output_norm.bias", GgufTensorTransform.None);
            // Written even when tied: llama.cpp then needs no fallback to token_embd.
            case "lm_head.weight": return ("output.weight", GgufTensorTransform.None);
        }
        if (name.EndsWith(".attn.bias", StringComparison.Ordinal) || name.EndsWith(".attn.masked_bias", StringComparison.Ordinal)) return null;
        var m = LayerWeight().Match(name);
        if (!m.Success || !LayerNames.TryGetValue(m.Groups["module"].Value, out var gguf))
            throw new CheckpointFormatException($"export-gguf: weight '{name}' has no llama.cpp name in the gpt2 layout.");
        var kind = m.Groups["kind"].Value;
        return ($"blk.{m.Groups["n"].Value}.{gguf.Name}.{kind}", gguf.Conv1D && kind == "weight" ? GgufTensorTransform.Transpose : GgufTensorTransform.None);
    }

    public override void WriteHyperparameters(GgufWriter writer)
    {
        var contextLength = config.Raw["n_ctx"]?.GetValue<int>() ?? config.MaxPositions;
        writer.Add("gpt2.vocab_size", (uint)config.VocabSize);
        writer.Add("gpt2.context_length", (uint)Math.Min(contextLength, config.MaxPositions));
        writer.Add("gpt2.embedding_length", (uint)config.HiddenSize);
        writer.Add("gpt2.feed_forward_length", (uint)config.InnerSize);
        writer.Add("gpt2.block_count", (uint)config.NumLayers);
        writer.Add("gpt2.attention.head_count", (uint)config.NumHeads);
        writer.Add("gpt2.attention.layer_norm_epsilon", (float)config.LayerNormEpsilon);
    }
}
