using LoraDsl.Models;
using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Neftune;

/// <summary>
/// NEFTune as transformers' <c>neftune_post_forward_hook</c>: while the model trains, the input embeddings
/// [batch, L, d] get noise drawn uniformly from ±alpha/√(L·d) (L the padded length). Installed as a forward
/// hook on the token embedding; disposing removes it. Evaluation (<c>eval()</c>) and any forward without
/// gradients (generation, <c>no_grad</c> evaluation) see the embeddings unchanged.
/// </summary>
public sealed class NeftuneNoise : IDisposable
{
    readonly Embedding.HookRemover hook;
    bool removed;

    NeftuneNoise(Embedding embedding, double alpha)
    {
        Alpha = alpha;
        hook = embedding.register_forward_hook((module, _, output) =>
            module.training && is_grad_enabled() ? Noisy(output, alpha, dispose: true) : output);
    }

    public double Alpha { get; }

    /// <summary>Hooks NEFTune onto <paramref name="model"/>'s input embeddings until the result is disposed.</summary>
    public static NeftuneNoise Attach(PretrainedModel model, NeftuneOptions options)
    {
        options.Validate();
        if (model is not IInputEmbeddings withEmbeddings)
            throw new ModuleNotFoundException($"NEFTune needs input embeddings, but {model.GetType().Name} has none (it does not implement {nameof(IInputEmbeddings)}).");
        return new NeftuneNoise(withEmbeddings.InputEmbeddings, options.Alpha);
    }

    /// <summary>alpha/√(L·d) for embeddings [batch, L, d].</summary>
    public static double Magnitude(Tensor embeddings, double alpha)
    {
        if (embeddings.dim() != 3)
            throw new ArgumentException($"NEFTune expects embeddings [batch, length, hidden], got {embeddings.dim()} dimensions.");
        return alpha / Math.Sqrt(embeddings.shape[1] * embeddings.shape[2]);
    }

    /// <summary>Embeddings plus uniform noise in ±<see cref="Magnitude"/>, drawn from torch's global generator.</summary>
    public static Tensor AddNoise(Tensor embeddings, double alpha) => Noisy(embeddings, alpha, dispose: false);

    static Tensor Noisy(Tensor embeddings, double alpha, bool dispose)
    {
        var magnitude = Magnitude(embeddings, alpha);
        Tensor result;
        using (var noise = zeros_like(embeddings))
        {
            noise.uniform_(-magnitude, magnitude);
            result = embeddings + noise;
        }
        // The hook replaces the module's output: nothing else holds the old handle (autograd keeps its own).
        if (dispose) embeddings.Dispose();
        return result;
    }

    public void Dispose()
    {
        if (removed) return;
        hook.remove();
        removed = true;
    }
}
