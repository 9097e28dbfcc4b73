using LoraDsl.AdaLora;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Tests.Lora.TestModels;
using static TorchSharp.torch;

namespace LoraDsl.Tests.AdaLora;

/// <summary>TinyLlama with AdaLoRA on q_proj and v_proj of both layers (4 modules, 16 → 16).</summary>
static class AdaLoraTestModels
{
    public static readonly LoraOptions Lora = new() { Rank = 99, Alpha = 8, Dropout = 0 };

    public static readonly LoraTarget[] Targets =
    [
        "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
        "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj",
    ];

    public static (TinyLlama Model, LoraInjection Injection) Create(AdaLoraOptions options, ModelTask task = ModelTask.CausalLanguageModeling)
    {
        var model = new TinyLlama(task);
        return (model, AdaLoraInjector.Inject(model, Lora, options, Targets));
    }

    /// <summary>Random A, E and B (E nonzero, so that A and B get gradients).</summary>
    public static void Randomize(LoraInjection injection, int seed)
    {
        using var _ = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var module in injection.Modules)
        {
            var adapter = module.Adapter;
            foreach (var p in new[] { adapter.A, AdaLoraVariant.SingularValues(adapter), adapter.B })
            {
                using var value = randn(p.shape, generator: generator);
                p.copy_(value);
            }
        }
    }

    /// <summary>Next-token cross-entropy of the model on <paramref name="ids"/>.</summary>
    public static Tensor CausalLoss(PretrainedModel model, Tensor ids)
    {
        using var scope = NewDisposeScope();
        var logits = model.Forward(new ModelInputs(ids));
        var vocab = logits.shape[^1];
        var predicted = logits[.., ..^1, ..].reshape(-1, vocab);
        var next = ids[.., 1..].reshape(-1);
        return nn.functional.cross_entropy(predicted, next).MoveToOuterDisposeScope();
    }

    public static double[] Values(Tensor t)
    {
        using var flat = t.detach().to(ScalarType.Float64).contiguous().view(-1);
        return flat.data<double>().ToArray();
    }
}
