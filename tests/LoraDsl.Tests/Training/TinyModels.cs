using System.Text.Json.Nodes;
using LoraDsl.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Training;

sealed class TinyConfig : ModelConfig;

/// <summary>embedding (frozen) → linear → tanh → dropout → head (frozen) → logits [B, T, V].</summary>
sealed class TinyCausalLm : PretrainedModel
{
    readonly Embedding embed;
    readonly Linear adapter;
    readonly Dropout dropout;
    readonly Linear head;

    public TinyCausalLm(int vocab = 259, int hidden = 16, double dropoutRate = 0.1)
        : base("tiny_lm", new TinyConfig { ModelType = "tiny", NumLayers = 1, HiddenSize = hidden, VocabSize = vocab, Raw = [] })
    {
        embed = nn.Embedding(vocab, hidden);
        adapter = nn.Linear(hidden, hidden);
        dropout = nn.Dropout(dropoutRate);
        head = nn.Linear(hidden, vocab, hasBias: false);
        RegisterComponents();
        // Mimic LoRA: the base is frozen, only "adapter" trains.
        embed.weight!.requires_grad = false;
        head.weight!.requires_grad = false;
    }

    /// <summary>Forward call (1-based) from which logits are NaN; 0 = never.</summary>
    public int PoisonFromCall { get; set; }

    public int Calls { get; private set; }

    public override ModelTask Task => ModelTask.CausalLanguageModeling;

    public override Tensor Forward(ModelInputs inputs)
    {
        Calls++;
        var x = embed.call(inputs.InputIds);
        x = dropout.call(adapter.call(x).tanh() + x);
        var logits = head.call(x);
        return PoisonFromCall > 0 && Calls >= PoisonFromCall ? logits * double.NaN : logits;
    }
}

/// <summary>embedding (frozen) → masked mean → dropout → classifier → [B, labels].</summary>
sealed class TinyClassifier : PretrainedModel
{
    readonly Embedding embed;
    readonly Dropout dropout;
    readonly Linear classifier;

    public TinyClassifier(int labels, int vocab = 259, int hidden = 16, double dropoutRate = 0.0)
        : base("tiny_cls", new TinyConfig { ModelType = "tiny", NumLayers = 1, HiddenSize = hidden, VocabSize = vocab, Raw = [] })
    {
        embed = nn.Embedding(vocab, hidden);
        dropout = nn.Dropout(dropoutRate);
        classifier = nn.Linear(hidden, labels);
        RegisterComponents();
        embed.weight!.requires_grad = false;
    }

    public override ModelTask Task => ModelTask.SequenceClassification;

    public override Tensor Forward(ModelInputs inputs)
    {
        var x = embed.call(inputs.InputIds);
        var mask = (inputs.AttentionMask ?? ones_like(inputs.InputIds)).unsqueeze(-1).to(x.dtype);
        var pooled = (x * mask).sum(1) / mask.sum(1).clamp_min(1);
        return classifier.call(dropout.call(pooled));
    }
}
