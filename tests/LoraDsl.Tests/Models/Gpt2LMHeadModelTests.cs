using LoraDsl.Checkpoints;
using LoraDsl.Generation;
using LoraDsl.Models;
using LoraDsl.Modules;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Models;

public class Gpt2LMHeadModelTests
{
    static readonly long[] Prompt = [11, 200, 3, 47, 8, 150];

    static Tensor Logits(PretrainedModel model, long[] ids, KvCache? cache = null)
    {
        using var _ = no_grad();
        using var input = tensor(ids).unsqueeze(0);
        return model.Forward(new ModelInputs(input) { Cache = cache });
    }

    static Tensor LayerNorm(Tensor x, Tensor w, Tensor b)
    {
        var mean = x.mean([-1L], keepdim: true);
        var variance = (x - mean).pow(2).mean([-1L], keepdim: true);
        return (x - mean) / (variance + 1e-5).sqrt() * w + b;
    }

    /// <summary>One GPT-2 block plus embeddings and tied head, as plain float64 math.</summary>
    static Tensor Reference(Dictionary<string, Tensor> raw, TinyGpt2Spec spec, long[] ids)
    {
        var w = raw.ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float64));
        var n = ids.Length;
        var dh = spec.Hidden / spec.Heads;
        var x = w["transformer.wte.weight"].index_select(0, tensor(ids)) + w["transformer.wpe.weight"][..n];
        var h = LayerNorm(x, w["transformer.h.0.ln_1.weight"], w["transformer.h.0.ln_1.bias"]);
        var qkv = h.matmul(w["transformer.h.0.attn.c_attn.weight"]) + w["transformer.h.0.attn.c_attn.bias"];
        var heads = new List<Tensor>();
        for (var head = 0; head < spec.Heads; head++)
        {
            var q = qkv[.., (head * dh)..((head + 1) * dh)];
            var k = qkv[.., (spec.Hidden + head * dh)..(spec.Hidden + (head + 1) * dh)];
            var v = qkv[.., (2 * spec.Hidden + head * dh)..(2 * spec.Hidden + (head + 1) * dh)];
            var scores = q.matmul(k.T) / Math.Sqrt(dh);
            scores = scores.masked_fill(ones(n, n, ScalarType.Bool).triu(1), double.NegativeInfinity);
            heads.Add(scores.softmax(-1).matmul(v));
        }
        x = x + cat(heads, -1).matmul(w["transformer.h.0.attn.c_proj.weight"]) + w["transformer.h.0.attn.c_proj.bias"];
        h = LayerNorm(x, w["transformer.h.0.ln_2.weight"], w["transformer.h.0.ln_2.bias"]);
        var up = h.matmul(w["transformer.h.0.mlp.c_fc.weight"]) + w["transformer.h.0.mlp.c_fc.bias"];
        var gelu = 0.5 * up * (1 + (Math.Sqrt(2 / Math.PI) * (up + 0.044715 * up.pow(3))).tanh());
        x = x + gelu.matmul(w["transformer.h.0.mlp.c_proj.weight"]) + w["transformer.h.0.mlp.c_proj.bias"];
        x = LayerNorm(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"]);
        return x.matmul(w["transformer.wte.weight"].T);
    }

    [Fact]
    public void One_block_matches_plain_tensor_math()
    {
        var spec = new TinyGpt2Spec { Layers = 1 };
        using var model = ModelLoader.Load(TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("gpt2ref"), spec));
        using var logits = Logits(model, Prompt);
        using var expected = Reference(TinyCheckpoints.Gpt2Tensors(spec), spec, Prompt);
        var error = (logits[0].to(ScalarType.Float64) - expected).abs().max().item<double>();
        Assert.True(error < 1e-5, $"max error {error}");
    }

    [Fact]
    public void Cached_decoding_gives_the_full_forward_logits()
    {
        using var model = ModelLoader.Load(TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("gpt2kv")));
        using var full = Logits(model, Prompt);
        using var cache = new KvCache(2);
        var steps = new List<Tensor> { Logits(model, Prompt[..2], cache) };
        for (var i = 2; i < Prompt.Length; i++) steps.Add(Logits(model, [Prompt[i]], cache));
        using var incremental = cat(steps, 1);
        Assert.True(incremental.allclose(full, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Hf_paths_exist_and_conv1d_children_are_replaceable()
    {
        using var model = ModelLoader.Load(TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("gpt2paths")));
        Assert.IsType<Conv1D>(ModuleSurgery.Find(model, "transformer.h.1.attn.c_attn"));
        Assert.IsType<Conv1D>(ModuleSurgery.Find(model, "transformer.h.0.mlp.c_fc"));
        using var before = Logits(model, Prompt);
        // The tiny model is 32 wide; only Conv1D's constructor is relied on (its owner may add members).
        ModuleSurgery.Replace(model, "transformer.h.0.attn.c_proj", m => new Conv1D(32, 32));
        using var after = Logits(model, Prompt);
        Assert.False(after.allclose(before, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void Too_long_input_names_n_positions()
    {
        using var model = ModelLoader.Load(TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("gpt2long"), new TinyGpt2Spec { Positions = 4 }));
        var e = Assert.Throws<ArgumentException>(() => Logits(model, Prompt));
        Assert.Contains("n_positions 4", e.Message);
    }
}
