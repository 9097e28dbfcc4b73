using LoraDsl.Models;
using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora.TestModels;

/// <summary>A two-layer GPT-2-shaped model: transformer.h.0.attn.c_attn is a fused Q/K/V Conv1D [hidden, 3·hidden].</summary>
sealed class TinyGpt2 : PretrainedModel
{
    public const int Hidden = 16, Layers = 2, Vocab = 32;

    /// <summary>The first layer's fused Q/K/V module, the usual target of range tests.</summary>
    public const string CAttn = "transformer.h.0.attn.c_attn";

    readonly Body transformer;
    readonly Linear lm_head;

    public TinyGpt2(int seed = 2) : base("TinyGpt2", TinyConfig.Create("gpt2", Layers, Hidden, Vocab))
    {
        transformer = new Body();
        lm_head = nn.Linear(Hidden, Vocab, hasBias: false);
        RegisterComponents();
        SeededWeights.Fill(this, seed);
    }

    public override ModelTask Task => ModelTask.CausalLanguageModeling;

    public override Tensor Forward(ModelInputs inputs)
    {
        using var h = transformer.call(inputs.InputIds);
        return lm_head.call(h);
    }

    sealed class Body : nn.Module<Tensor, Tensor>
    {
        readonly Embedding wte = nn.Embedding(Vocab, Hidden);
        readonly ModuleList<Block> h = new([.. Enumerable.Range(0, Layers).Select(_ => new Block())]);
        readonly LayerNorm ln_f = nn.LayerNorm(Hidden);

        public Body() : base("transformer") => RegisterComponents();

        public override Tensor forward(Tensor ids)
        {
            using var scope = NewDisposeScope();
            var x = wte.call(ids);
            foreach (var block in h) x = block.call(x);
            return ln_f.call(x).MoveToOuterDisposeScope();
        }
    }

    sealed class Block : nn.Module<Tensor, Tensor>
    {
        readonly Attention attn = new();
        readonly Mlp mlp = new();

        public Block() : base("block") => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var a = x + attn.call(x);
            return (a + mlp.call(a)).MoveToOuterDisposeScope();
        }
    }

    sealed class Attention : SwappableHost
    {
        public Attention() : base("attn")
        {
            Add("c_attn", new Conv1D(Hidden, 3 * Hidden));
            Add("c_proj", new Conv1D(Hidden, Hidden));
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var qkv = Call("c_attn", x).split(Hidden, 2);
            var attended = nn.functional.scaled_dot_product_attention(qkv[0].unsqueeze(1), qkv[1].unsqueeze(1), qkv[2].unsqueeze(1), is_casual: true).squeeze(1);
            return Call("c_proj", attended).MoveToOuterDisposeScope();
        }
    }

    sealed class Mlp : SwappableHost
    {
        public Mlp() : base("mlp")
        {
            Add("c_fc", new Conv1D(Hidden, 4 * Hidden));
            Add("c_proj", new Conv1D(4 * Hidden, Hidden));
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            return Call("c_proj", nn.functional.gelu(Call("c_fc", x))).MoveToOuterDisposeScope();
        }
    }
}
