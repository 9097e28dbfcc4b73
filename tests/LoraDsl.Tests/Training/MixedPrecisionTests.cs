using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Native;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Training;

/// <summary>bf16 base, fp32 master weights: what trains is fp32 and keeps updates bf16 would round away; logits and loss stay close to fp32.</summary>
[Collection(TorchRandomCollection.Name)]
public class MixedPrecisionTests
{
    static PretrainedModel LoadBert(string dir, ScalarType dtype) =>
        ModelLoader.Load(dir, new ModelLoadOptions { Device = "cpu", ComputeDtype = dtype });

    static Parameter Param(nn.Module model, string name) => model.named_parameters().Single(p => p.name == name).parameter;

    [Fact]
    public void An_fp32_master_weight_keeps_an_AdamW_update_smaller_than_bf16_spacing()
    {
        TorchNative.EnsureLoaded();
        var dir = TinyCheckpoints.NewFolder("mp-bert");
        TinyBert.Write(dir, seed: 3);
        using var model = LoadBert(dir, ScalarType.BFloat16);
        LoraInjector.Inject(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0, ModulesToSave = ["classifier"] },
            [new LoraTarget("bert.encoder.layer.0.attention.self.query"), new LoraTarget("bert.encoder.layer.1.attention.self.value")]);

        var head = Param(model, "classifier.weight");
        var loraB = Param(model, "bert.encoder.layer.0.attention.self.query.lora.default.lora_B");
        Assert.Equal(ScalarType.Float32, head.dtype);
        Assert.Equal(ScalarType.Float32, loraB.dtype);
        Assert.Equal(ScalarType.BFloat16, Param(model, "bert.encoder.layer.0.attention.self.query.base_layer.weight").dtype);
        Assert.Equal(ScalarType.BFloat16, Param(model, "bert.pooler.dense.weight").dtype);

        model.train();
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        Assert.All(trainable, p => Assert.Equal(ScalarType.Float32, p.dtype));
        const double Lr = 1e-4, Eps = 1e-8;
        using var optimizer = optim.AdamW(trainable, lr: Lr, eps: Eps, weight_decay: 0.0);
        using var ids = tensor(new long[] { 2, 5, 7, 9, 11, 3, 4, 8, 1, 6, 10, 12 }).reshape(2, 6);
        using var labels = tensor(new long[] { 0, 2 });
        using (var loss = TrainingLoss.Compute(model, new ModelInputs(ids), labels))
        {
            Assert.Equal(ScalarType.Float32, loss.dtype);
            loss.backward();
        }
        using var w0 = head.detach().clone();
        using var g = head.grad!.clone();
        using var gB = loraB.grad!.clone();
        optimizer.step();

        // AdamW's first step with bias correction: w − lr·g/(|g| + eps).
        using var expected = w0 - Lr * g / (g.abs() + Eps);
        using var got = head.detach();
        Assert.True(got.allclose(expected, rtol: 0, atol: 1e-7), "the head's fp32 master weight did not get AdamW's fp32 update");
        // The update is below bf16's spacing: stored in bf16, most of these weights would not have moved at all.
        using var roundedBack = expected.to(ScalarType.BFloat16).to(ScalarType.Float32);
        using var lost = roundedBack.eq(w0.to(ScalarType.BFloat16).to(ScalarType.Float32)).to(ScalarType.Float32).mean();
        Assert.True(lost.item<float>() > 0.5f, $"expected most updates to vanish in bf16, {lost.item<float>():P0} did");
        using var moved = got.ne(w0).to(ScalarType.Float32).mean();
        Assert.True(moved.item<float>() > 0.99f);
        // B starts at zero: after one step it is −lr·sign(g) exactly where g ≠ 0.
        using var expectedB = -Lr * gB / (gB.abs() + Eps);
        Assert.True(loraB.detach().allclose(expectedB, rtol: 0, atol: 1e-10));
    }

    [Fact]
    public void Bf16_logits_and_loss_are_close_to_fp32_with_the_same_adapter()
    {
        TorchNative.EnsureLoaded();
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("mp-llama"));
        using var fp32 = ModelLoader.Load(dir, new ModelLoadOptions { Device = "cpu" });
        using var bf16 = ModelLoader.Load(dir, new ModelLoadOptions { Device = "cpu", ComputeDtype = ScalarType.BFloat16 });
        var options = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 };
        LoraTarget[] targets = [new("model.layers.0.self_attn.q_proj"), new("model.layers.1.mlp.down_proj")];
        LoraInjector.Inject(fp32, options, targets);
        LoraInjector.Inject(bf16, options, targets);
        manual_seed(5);
        using (no_grad())
            foreach (var (name, p) in fp32.named_parameters().Where(p => p.name.Contains("lora_")))
            {
                p.normal_(0, 0.3);
                Param(bf16, name).copy_(p);
            }
        using var ids = tensor(new long[] { 5, 17, 99, 3, 42, 7, 250, 11 }).reshape(1, 8);
        using var labels = ids.clone();
        using var _ = no_grad();
        using var a = fp32.Forward(new ModelInputs(ids));
        using var b = bf16.Forward(new ModelInputs(ids));
        Assert.Equal(ScalarType.BFloat16, b.dtype);
        // bf16 keeps 8 significant bits (relative spacing 2⁻⁸ ≈ 0.004); through 2 layers the logits may drift a few of those.
        using var scale = a.abs().max();
        using var diff = (a - b.to(ScalarType.Float32)).abs().max();
        var tolerance = 0.03 * scale.item<float>() + 0.02;
        Assert.True(diff.item<float>() < tolerance, $"bf16 logits differ from fp32 by {diff.item<float>()} (tolerance {tolerance})");
        using var lossA = TrainingLoss.Compute(fp32, new ModelInputs(ids), labels);
        using var lossB = TrainingLoss.Compute(bf16, new ModelInputs(ids), labels);
        Assert.Equal(ScalarType.Float32, lossB.dtype);
        Assert.True(Math.Abs(lossA.item<float>() - lossB.item<float>()) < 0.01 * lossA.item<float>(),
            $"loss fp32 {lossA.item<float>()} vs bf16 {lossB.item<float>()}");
    }

    [Fact]
    public void A_trained_bias_turns_its_layer_fp32_and_the_lora_wrapper_sees_the_new_parameter()
    {
        TorchNative.EnsureLoaded();
        var dir = TinyCheckpoints.NewFolder("mp-bias");
        TinyBert.Write(dir, seed: 4);
        using var model = LoadBert(dir, ScalarType.BFloat16);
        var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0, Bias = LoraBias.LoraOnly },
            [new LoraTarget("bert.encoder.layer.1.attention.self.query")]);
        var bias = Param(model, "bert.encoder.layer.1.attention.self.query.base_layer.bias");
        Assert.Equal(ScalarType.Float32, bias.dtype);
        Assert.True(bias.requires_grad);
        Assert.False(Param(model, "bert.encoder.layer.1.attention.self.query.base_layer.weight").requires_grad);
        var layer = injection.Modules.Single().Layer;
        Assert.Same(bias, layer.Base.Bias);
        Assert.Equal(ScalarType.BFloat16, Param(model, "bert.encoder.layer.1.attention.self.key.weight").dtype);

        model.train();
        using var ids = tensor(new long[] { 2, 5, 7, 9, 11, 3 }).reshape(1, 6);
        using var logits = model.Forward(new ModelInputs(ids));
        Assert.Equal(ScalarType.BFloat16, logits.dtype);
        using var loss = logits.to(ScalarType.Float32).pow(2).sum();
        loss.backward();
        using var grad = bias.grad!;
        Assert.Equal(ScalarType.Float32, grad.dtype);
        Assert.True(grad.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void A_trainable_tied_weight_on_a_bf16_base_is_refused_naming_both_modules()
    {
        TorchNative.EnsureLoaded();
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("mp-tied"), new TinyLlamaSpec { TieWordEmbeddings = true });
        using var model = ModelLoader.Load(dir, new ModelLoadOptions { Device = "cpu", ComputeDtype = ScalarType.BFloat16 });
        var error = Assert.Throws<NotSupportedException>(() => LoraInjector.Inject(model,
            new LoraOptions { Rank = 2, ModulesToSave = ["model.embed_tokens"] }, [new LoraTarget("model.layers.0.self_attn.q_proj")]));
        Assert.Contains("tied", error.Message);
        Assert.Contains("lm_head", error.Message);
    }

    [Fact]
    public void A_sliced_adapter_on_a_bf16_conv1d_runs_in_bf16_and_matches_the_fp32_formula()
    {
        TorchNative.EnsureLoaded();
        manual_seed(3);
        var conv = new LoraDsl.Modules.Conv1D(8, 12);
        conv.to(ScalarType.BFloat16);
        var layer = new LoraLinear(conv, "attn.c_attn");
        var adapter = layer.AddAdapter("default", new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0 }, [new OutputSlice(4, 4)]);
        using (no_grad()) adapter.B.normal_(0, 0.5);
        using var x = randn(3, 8).to(ScalarType.BFloat16);
        using var y = layer.call(x);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        // Independent fp32 formula: x·W + b, plus 2·(x·Aᵀ)·Bᵀ on rows 4..8 only.
        using var xf = x.to(ScalarType.Float32);
        using var w = conv.Weight.detach().to(ScalarType.Float32);
        using var b = conv.Bias!.detach().to(ScalarType.Float32);
        using var expected = xf.matmul(w) + b;
        using var delta = 2.0 * xf.matmul(adapter.A.detach().t()).matmul(adapter.B.detach().t());
        expected[.., 4..8].add_(delta);
        using var diff = (y.to(ScalarType.Float32) - expected).abs().max();
        using var scale = expected.abs().max();
        Assert.True(diff.item<float>() < 0.02 * scale.item<float>() + 0.02, $"differs by {diff.item<float>()}");
        // Gradients reach the fp32 adapter weights through the per-call cast.
        using var loss = y.to(ScalarType.Float32).sum();
        loss.backward();
        using var gradA = adapter.A.grad!;
        Assert.Equal(ScalarType.Float32, gradA.dtype);
        Assert.True(gradA.abs().sum().item<float>() > 0);
    }

    [Theory]
    [InlineData("fp32", Precision.Float32, ScalarType.Float32)]
    [InlineData("BF16", Precision.BFloat16, ScalarType.BFloat16)]
    [InlineData("bfloat16", Precision.BFloat16, ScalarType.BFloat16)]
    [InlineData("float16", Precision.Float16, ScalarType.Float16)]
    public void Precision_names_parse_to_their_dtype(string text, Precision precision, ScalarType dtype)
    {
        Assert.Equal(precision, MixedPrecision.Parse(text));
        Assert.Equal(dtype, precision.ComputeDtype());
        Assert.Equal(precision, MixedPrecision.Parse(precision.Name()));
        Assert.Throws<ArgumentException>(() => MixedPrecision.Parse("int8"));
    }
}
