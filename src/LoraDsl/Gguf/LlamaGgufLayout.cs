using System.Text.RegularExpressions;
using LoraDsl.Checkpoints;
using LoraDsl.Models.Llama;

namespace LoraDsl.Gguf;

/// <summary>
/// LLaMA and Mistral (llama.cpp arch "llama", interleaved RoPE, so q/k rows are permuted) and Qwen2 (arch "qwen2",
/// NeoX RoPE like Hugging Face, so no permutation; q/k/v biases).
/// </summary>
internal sealed partial class LlamaGgufLayout(LlamaConfig config) : GgufModelLayout
{
    static readonly Dictionary<string, string> LayerNames = new(StringComparer.Ordinal)
    {
        ["input_layernorm"] = "attn_norm",
        ["self_attn.q_proj"] = "attn_q",
        ["self_attn.k_proj"] = "attn_k",
        ["self_attn.v_proj"] = "attn_v",
        ["self_attn.o_proj"] = "attn_output",
        ["post_attention_layernorm"] = "ffn_norm",
        ["mlp.gate_proj"] = "ffn_gate",
        ["mlp.up_proj"] = "ffn_up",
        ["mlp.down_proj"] = "ffn_down",
    };

    bool Permutes => config.ModelType != "qwen2";

    public override string Architecture => config.ModelType == "qwen2" ? "qwen2" : "llama";

    protected override (int Query, int Key) Heads => (config.NumAttentionHeads, config.NumKeyValueHeads);

    [GeneratedRegex(@"^model\.layers\.(?<n>\d+)\.(?<module>.+)\.(?<kind>weight|bias)$")]
    private static partial Regex LayerWeight();

    public override (string Name, GgufTensorTransform Transform)? Map(string name)
    {
        switch (name)
        {
            case "model.embed_tokens.weight": return ("token_embd.weight", GgufTensorTransform.None);
            case "model.norm.weight": return ("output_norm.weight", GgufTensorTransform.None);
            // Tied: llama.cpp computes the output with token_embd when "output" is absent.
            case "lm_head.weight": return config.TieWordEmbeddings ? null : ("output.weight", GgufTensorTransform.None);
        }
        var m = LayerWeight().Match(name);
        if (!m.Success || !LayerNames.TryGetValue(m.Groups["module"].Value, out var gguf))
            throw new CheckpointFormatException($"export-gguf: weight '{name}' has no llama.cpp name in the {Architecture} layout.");
        var transform = !Permutes ? GgufTensorTransform.None
            : gguf == "attn_q" ? GgufTensorTransform.PermuteQuery
            : gguf == "attn_k" ? GgufTensorTransform.PermuteKey
            : GgufTensorTransform.None;
        return ($"blk.{m.Groups["n"].Value}.{gguf}.{m.Groups["kind"].Value}", transform);
    }

    public override void WriteHyperparameters(GgufWriter writer)
    {
        var a = Architecture;
        var contextLength = config.Raw["max_position_embeddings"]?.GetValue<int>() ?? 2048;
        writer.Add($"{a}.vocab_size", (uint)config.VocabSize);
        writer.Add($"{a}.context_length", (uint)contextLength);
        writer.Add($"{a}.embedding_length", (uint)config.HiddenSize);
        writer.Add($"{a}.block_count", (uint)config.NumLayers);
        writer.Add($"{a}.feed_forward_length", (uint)config.IntermediateSize);
        writer.Add($"{a}.rope.dimension_count", (uint)config.HeadDim);
        writer.Add($"{a}.rope.freq_base", (float)config.RopeTheta);
        writer.Add($"{a}.attention.head_count", (uint)config.NumAttentionHeads);
        writer.Add($"{a}.attention.head_count_kv", (uint)config.NumKeyValueHeads);
        writer.Add($"{a}.attention.key_length", (uint)config.HeadDim);
        writer.Add($"{a}.attention.value_length", (uint)config.HeadDim);
        writer.Add($"{a}.attention.layer_norm_rms_epsilon", (float)config.RmsNormEps);
        if (config.RopeScaling is { Type: "linear" } linear)
        {
            writer.Add($"{a}.rope.scaling.type", "linear");
            writer.Add($"{a}.rope.scaling.factor", (float)linear.Factor);
        }
    }

    /// <summary>Llama 3.1's frequency bands as llama.cpp reads them: one divisor per rotary frequency (rope_freqs.weight).</summary>
    public override IEnumerable<(string Name, long[] Shape, Func<float[]> Data)> ExtraTensors()
    {
        if (config.RopeScaling is not { Type: "llama3" } scaling) yield break;
        var half = config.HeadDim / 2;
        yield return ("rope_freqs.weight", [half], () => [.. Enumerable.Range(0, half).Select(i =>
        {
            var frequency = 1.0 / Math.Pow(config.RopeTheta, 2.0 * i / config.HeadDim);
            return (float)(frequency / scaling.Scale(frequency));
        })]);
    }
}
