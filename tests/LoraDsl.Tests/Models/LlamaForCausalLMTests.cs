using LoraDsl.Checkpoints;
using LoraDsl.Generation;
using LoraDsl.Models;
using LoraDsl.Models.Llama;
using LoraDsl.Modules;
using LoraDsl.Tests.TestCheckpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Models;

public class LlamaForCausalLMTests
{
    static readonly long[] Prompt = [5, 17, 99, 3, 250, 42, 7];

    static PretrainedModel Load(TinyLlamaSpec spec) =>
        ModelLoader.Load(TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("llama"), spec));

    static Tensor Logits(PretrainedModel model, long[] ids, KvCache? cache = null)
    {
        using var _ = no_grad();
        using var input = tensor(ids).unsqueeze(0);
        return model.Forward(new ModelInputs(input) { Cache = cache });
    }

    static Tensor RmsNorm(Tensor x, Tensor w) => x / (x.pow(2).mean([-1L], keepdim: true) + 1e-6).sqrt() * w;

    /// <summary>One-layer LLaMA written as plain float64 math from the stored weights, per head, per position.</summary>
    static Tensor Reference(Dictionary<string, Tensor> raw, TinyLlamaSpec spec, long[] ids)
    {
        var w = raw.ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float64));
        var d = spec.Hidden / spec.Heads;
        var n = ids.Length;
        var x = w["model.embed_tokens.weight"].index_select(0, tensor(ids));
        var h = RmsNorm(x, w["model.layers.0.input_layernorm.weight"]);
        var q = h.matmul(w["model.layers.0.self_attn.q_proj.weight"].T).view(n, spec.Heads, d);
        var k = h.matmul(w["model.layers.0.self_attn.k_proj.weight"].T).view(n, spec.KvHeads, d);
        var v = h.matmul(w["model.layers.0.self_attn.v_proj.weight"].T).view(n, spec.KvHeads, d);
        Tensor Rotate(Tensor t)
        {
            // Position p turns pair (t[i], t[i + d/2]) by p·θ^(-2i/d).
            var rows = new List<Tensor>();
            for (var p = 0; p < n; p++)
            {
                var angles = tensor(Enumerable.Range(0, d / 2).Select(i => p * Math.Pow(spec.RopeTheta, -2.0 * i / d)).ToArray());
                var a = t[p, .., ..(d / 2)];
                var b = t[p, .., (d / 2)..];
                rows.Add(cat(new[] { a * angles.cos() - b * angles.sin(), b * angles.cos() + a * angles.sin() }, -1));
            }
            return stack(rows);
        }
        q = Rotate(q);
        k = Rotate(k);
        var heads = new List<Tensor>();
        for (var head = 0; head < spec.Heads; head++)
        {
            var group = head / (spec.Heads / spec.KvHeads);
            var scores = q[.., head, ..].matmul(k[.., group, ..].T) / Math.Sqrt(d);
            scores = scores.masked_fill(ones(n, n, ScalarType.Bool).triu(1), double.NegativeInfinity);
            heads.Add(scores.softmax(-1).matmul(v[.., group, ..]));
        }
        x = x + cat(heads, -1).matmul(w["model.layers.0.self_attn.o_proj.weight"].T);
        h = RmsNorm(x, w["model.layers.0.post_attention_layernorm.weight"]);
        var gate = h.matmul(w["model.layers.0.mlp.gate_proj.weight"].T);
        var up = h.matmul(w["model.layers.0.mlp.up_proj.weight"].T);
        x = x + (gate * gate.sigmoid() * up).matmul(w["model.layers.0.mlp.down_proj.weight"].T);
        x = RmsNorm(x, w["model.norm.weight"]);
        return x.matmul(w["lm_head.weight"].T);
    }

    [Fact]
    public void One_gqa_layer_matches_plain_tensor_math()
    {
        var spec = new TinyLlamaSpec { Layers = 1, Heads = 4, KvHeads = 2 };
        using var model = Load(spec);
        using var logits = Logits(model, Prompt);
        using var expected = Reference(TinyCheckpoints.LlamaTensors(spec), spec, Prompt);
        Assert.Equal(new long[] { 1, Prompt.Length, spec.Vocab }, logits.shape);
        var error = (logits[0].to(ScalarType.Float64) - expected).abs().max().item<double>();
        Assert.True(error < 1e-5, $"max error {error}");
    }

    [Theory]
    [InlineData("llama", 2, null)]
    [InlineData("qwen2", 4, null)]
    [InlineData("mistral", 1, 3)]
    public void Cached_decoding_gives_the_full_forward_logits(string modelType, int kvHeads, int? window)
    {
        var spec = new TinyLlamaSpec { ModelType = modelType, KvHeads = kvHeads, SlidingWindow = window };
        using var model = Load(spec);
        using var full = Logits(model, Prompt);
        using var cache = new KvCache(spec.Layers);
        var steps = new List<Tensor> { Logits(model, Prompt[..3], cache), Logits(model, Prompt[3..5], cache) };
        for (var i = 5; i < Prompt.Length; i++) steps.Add(Logits(model, [Prompt[i]], cache));
        using var incremental = cat(steps, 1);
        Assert.Equal(Prompt.Length, cache.Length);
        Assert.True(incremental.allclose(full, rtol: 0, atol: 1e-5), $"max error {(incremental - full).abs().max().item<float>()}");
    }

    [Fact]
    public void Sliding_window_hides_older_tokens()
    {
        // With one layer and relative (rotary) positions, the last logits see only the window.
        var spec = new TinyLlamaSpec { ModelType = "mistral", Layers = 1, SlidingWindow = 3 };
        using var model = Load(spec);
        using var full = Logits(model, Prompt);
        using var windowOnly = Logits(model, Prompt[^3..]);
        Assert.True(full[0, -1].allclose(windowOnly[0, -1], rtol: 0, atol: 1e-5));
        using var unwindowed = Load(spec with { ModelType = "llama", SlidingWindow = null });
        using var fullUnwindowed = Logits(unwindowed, Prompt);
        Assert.False(fullUnwindowed[0, -1].allclose(windowOnly[0, -1], rtol: 0, atol: 1e-3));
    }

    [Fact]
    public void Left_padding_leaves_the_real_tokens_logits_unchanged()
    {
        using var model = Load(new TinyLlamaSpec());
        using var alone = Logits(model, Prompt[..4]);
        using var ids = tensor(new long[,] { { 0, 0, Prompt[0], Prompt[1], Prompt[2], Prompt[3] }, { 1, 2, 3, 4, 5, 6 } });
        using var mask = tensor(new long[,] { { 0, 0, 1, 1, 1, 1 }, { 1, 1, 1, 1, 1, 1 } });
        using var batched = model.Forward(new ModelInputs(ids) { AttentionMask = mask });
        Assert.False(batched.isnan().any().item<bool>());
        Assert.True(batched[0, 2..].allclose(alone[0], rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Padded_batch_decoded_with_a_cache_matches_the_full_forward()
    {
        using var model = Load(new TinyLlamaSpec { ModelType = "mistral", SlidingWindow = 4 });
        using var ids = tensor(new long[,] { { 0, 0, 9, 8, 7, 6, 5, 4 }, { 1, 2, 3, 4, 5, 6, 7, 8 } });
        using var mask = tensor(new long[,] { { 0, 0, 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 1, 1, 1, 1, 1 } });
        using var _ = no_grad();
        using var full = model.Forward(new ModelInputs(ids) { AttentionMask = mask });
        using var cache = new KvCache(2);
        var steps = new List<Tensor> { model.Forward(new ModelInputs(ids[.., ..4]) { AttentionMask = mask[.., ..4], Cache = cache }) };
        for (var t = 4; t < 8; t++)
            steps.Add(model.Forward(new ModelInputs(ids[.., t..(t + 1)]) { AttentionMask = mask[.., ..(t + 1)], Cache = cache }));
        using var incremental = cat(steps, 1);
        // Padded positions hold garbage in both; compare the real ones.
        Assert.True(incremental[0, 2..].allclose(full[0, 2..], rtol: 0, atol: 1e-5));
        Assert.True(incremental[1].allclose(full[1], rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Gradients_reach_the_projections_through_a_padded_batch()
    {
        using var model = Load(new TinyLlamaSpec());
        model.train();
        using var ids = tensor(new long[,] { { 5, 6, 7, 0 }, { 1, 2, 3, 4 } });
        using var mask = tensor(new long[,] { { 1, 1, 1, 0 }, { 1, 1, 1, 1 } });
        using var logits = model.Forward(new ModelInputs(ids) { AttentionMask = mask });
        using var loss = nn.functional.cross_entropy(logits[.., ..^1].reshape(-1, logits.shape[^1]), ids[.., 1..].reshape(-1));
        loss.backward();
        var q = model.named_parameters().Single(p => p.name == "model.layers.0.self_attn.q_proj.weight").parameter;
        using var grad = q.grad!;
        Assert.True(grad.abs().sum().item<float>() > 0);
        Assert.False(grad.isnan().any().item<bool>());
    }

    [Fact]
    public void Module_paths_equal_hf_names_and_children_are_replaceable()
    {
        using var model = Load(new TinyLlamaSpec());
        Assert.IsType<TorchSharp.Modules.Linear>(ModuleSurgery.Find(model, "model.layers.1.mlp.down_proj"));
        Assert.True(ModuleSurgery.Exists(model, "model.layers.0.self_attn.k_proj"));
        using var before = Logits(model, Prompt);
        ModuleSurgery.Replace(model, "model.layers.0.self_attn.q_proj", old => new Scaled(old, 3));
        ModuleSurgery.Replace(model, "model.layers.1.mlp.up_proj", old => new Scaled(old, 3));
        ModuleSurgery.Replace(model, "lm_head", old => new Scaled(old, 2));
        using var after = Logits(model, Prompt);
        Assert.False(after.allclose(before * 2, rtol: 0, atol: 1e-4));
        Assert.Contains(model.state_dict().Keys, k => k == "model.layers.0.self_attn.q_proj.inner.weight");
    }

    [Fact]
    public void Bf16_model_runs_in_bf16_close_to_fp32()
    {
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("bf16run"), new TinyLlamaSpec());
        using var fp32 = ModelLoader.Load(dir);
        using var bf16 = ModelLoader.Load(dir, new ModelLoadOptions { ComputeDtype = ScalarType.BFloat16 });
        using var a = Logits(fp32, Prompt);
        using var b = Logits(bf16, Prompt);
        Assert.Equal(ScalarType.BFloat16, b.dtype);
        using var diff = (a - b.to(ScalarType.Float32)).abs().max();
        Assert.True(diff.item<float>() < 0.25f, $"bf16 vs fp32 differ by {diff.item<float>()}");
    }

    sealed class Scaled : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> inner;
        readonly double factor;

        public Scaled(nn.Module<Tensor, Tensor> inner, double factor) : base("scaled")
        {
            this.inner = inner;
            this.factor = factor;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var y = inner.call(x);
            return y * factor;
        }
    }
}
