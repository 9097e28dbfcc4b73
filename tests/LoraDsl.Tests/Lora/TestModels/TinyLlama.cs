using LoraDsl.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora.TestModels;

/// <summary>
/// A two-layer LLaMA-shaped model with Hugging Face paths (model.layers.0.self_attn.q_proj, ...);
/// a causal-LM head (lm_head) or a classification head (classifier). Same seed, same weights (from a private generator).
/// </summary>
sealed class TinyLlama : PretrainedModel
{
    public const int Hidden = 16, Layers = 2, Vocab = 32, Labels = 3;

    readonly Body model;
    readonly Linear? lm_head;
    readonly Linear? classifier;
    readonly ModelTask task;

    public TinyLlama(ModelTask task = ModelTask.CausalLanguageModeling, int seed = 1)
        : base("TinyLlama", TinyConfig.Create("llama", Layers, Hidden, Vocab))
    {
        this.task = task;
        model = new Body();
        if (task == ModelTask.CausalLanguageModeling) lm_head = nn.Linear(Hidden, Vocab, hasBias: false);
        else classifier = nn.Linear(Hidden, Labels);
        RegisterComponents();
        SeededWeights.Fill(this, seed);
    }

    public override ModelTask Task => task;

    public override Tensor Forward(ModelInputs inputs)
    {
        using var h = model.call(inputs.InputIds);
        if (lm_head is not null) return lm_head.call(h);
        using var pooled = h.mean([1]);
        return classifier!.call(pooled);
    }

    public static Tensor SampleIds(int seed = 7)
    {
        var generator = new Generator((ulong)seed);
        return randint(0, Vocab, [2, 5], generator: generator);
    }

    sealed class Body : nn.Module<Tensor, Tensor>
    {
        readonly Embedding embed_tokens = nn.Embedding(Vocab, Hidden);
        readonly ModuleList<DecoderLayer> layers = new([.. Enumerable.Range(0, Layers).Select(_ => new DecoderLayer())]);
        readonly LayerNorm norm = nn.LayerNorm(Hidden);

        public Body() : base("model") => RegisterComponents();

        public override Tensor forward(Tensor ids)
        {
            using var scope = NewDisposeScope();
            var h = embed_tokens.call(ids);
            foreach (var layer in layers) h = layer.call(h);
            return norm.call(h).MoveToOuterDisposeScope();
        }
    }

    sealed class DecoderLayer : nn.Module<Tensor, Tensor>
    {
        readonly Attention self_attn = new();
        readonly Mlp mlp = new();

        public DecoderLayer() : base("layer") => RegisterComponents();

        public override Tensor forward(Tensor h)
        {
            using var scope = NewDisposeScope();
            var a = h + self_attn.call(h);
            return (a + mlp.call(a)).MoveToOuterDisposeScope();
        }
    }

    sealed class Attention : SwappableHost
    {
        public Attention() : base("self_attn")
        {
            // Biased q/k/v (as in Qwen2) so the bias options have something to train.
            Add("q_proj", nn.Linear(Hidden, Hidden));
            Add("k_proj", nn.Linear(Hidden, Hidden));
            Add("v_proj", nn.Linear(Hidden, Hidden));
            Add("o_proj", nn.Linear(Hidden, Hidden, hasBias: false));
        }

        public override Tensor forward(Tensor h)
        {
            using var scope = NewDisposeScope();
            var q = Call("q_proj", h).unsqueeze(1);
            var k = Call("k_proj", h).unsqueeze(1);
            var v = Call("v_proj", h).unsqueeze(1);
            var attended = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true).squeeze(1);
            return Call("o_proj", attended).MoveToOuterDisposeScope();
        }
    }

    sealed class Mlp : SwappableHost
    {
        public Mlp() : base("mlp")
        {
            Add("gate_proj", nn.Linear(Hidden, 2 * Hidden, hasBias: false));
            Add("up_proj", nn.Linear(Hidden, 2 * Hidden, hasBias: false));
            Add("down_proj", nn.Linear(2 * Hidden, Hidden, hasBias: false));
        }

        public override Tensor forward(Tensor h)
        {
            using var scope = NewDisposeScope();
            var gated = nn.functional.silu(Call("gate_proj", h)) * Call("up_proj", h);
            return Call("down_proj", gated).MoveToOuterDisposeScope();
        }
    }
}
