using LoraDsl.Checkpoints;
using LoraDsl.Models;
using LoraDsl.Models.Gpt2;
using LoraDsl.Models.Llama;
using static TorchSharp.torch;

namespace LoraDsl.Gguf;

/// <summary>
/// One architecture as llama.cpp names it: its <c>general.architecture</c>, the hyperparameter keys, and the map from
/// Hugging Face weight names to llama.cpp tensor names (with the rearrangement each needs).
/// </summary>
internal abstract class GgufModelLayout
{
    public abstract string Architecture { get; }

    /// <summary>The llama.cpp name and rearrangement of the HF weight <paramref name="name"/>; null for names left out (buffers, tied copies).</summary>
    public abstract (string Name, GgufTensorTransform Transform)? Map(string name);

    public abstract void WriteHyperparameters(GgufWriter writer);

    /// <summary>Tensors llama.cpp needs that are not weights of the model (Llama 3's rope_freqs).</summary>
    public virtual IEnumerable<(string Name, long[] Shape, Func<float[]> Data)> ExtraTensors() => [];

    /// <summary>Heads that order the rows of q (and of k) for <see cref="Rearrange"/>.</summary>
    protected virtual (int Query, int Key) Heads => (1, 1);

    /// <summary>The layout of <paramref name="model"/>'s architecture.</summary>
    public static GgufModelLayout For(PretrainedModel model) => model.Config switch
    {
        LlamaConfig llama => new LlamaGgufLayout(llama),
        Gpt2Config gpt2 => new Gpt2GgufLayout(gpt2),
        var c => throw new UnsupportedModelException(
            $"export-gguf: model_type '{c.ModelType}' has no GGUF layout; supported: llama, mistral, qwen2, gpt2 (merge it to a folder and use llama.cpp's convert_hf_to_gguf.py)."),
    };

    /// <summary>
    /// <paramref name="weight"/> rearranged as <paramref name="transform"/> says; rows of q/k follow convert_hf_to_gguf.py's
    /// permute: per head, the halves [0, d/2) and [d/2, d) interleave.
    /// </summary>
    public Tensor Rearrange(Tensor weight, GgufTensorTransform transform)
    {
        switch (transform)
        {
            case GgufTensorTransform.Transpose:
                return weight.t().contiguous();
            case GgufTensorTransform.PermuteQuery or GgufTensorTransform.PermuteKey:
                var heads = transform == GgufTensorTransform.PermuteQuery ? Heads.Query : Heads.Key;
                var rows = weight.shape[0];
                long[] split = [heads, 2, rows / heads / 2, .. weight.shape.Skip(1)];
                return weight.reshape(split).transpose(1, 2).reshape(weight.shape).contiguous();
            default:
                return weight.alias();
        }
    }
}
