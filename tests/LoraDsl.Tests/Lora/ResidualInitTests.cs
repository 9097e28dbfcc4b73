using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using LoraDsl.Tests.Adapters;
using LoraDsl.Tests.Lora.TestModels;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora;

/// <summary>PiSSA and OLoRA: the base keeps the residual, and saved adapters are plain LoRA against the original base.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class ResidualInitTests
{
    const string Q0 = "model.layers.0.self_attn.q_proj";

    static LoraTarget[] QvTargets =>
        [.. Enumerable.Range(0, TinyLlama.Layers).SelectMany(i => new LoraTarget[] { $"model.layers.{i}.self_attn.q_proj", $"model.layers.{i}.self_attn.v_proj" })];

    static Tensor Weight(nn.Module model, string path) => ((Linear)ModuleSurgery.Find(model, path)).weight.detach().clone();

    static Tensor Output(PretrainedModel model)
    {
        model.eval();
        using var _ = no_grad();
        using var ids = TinyLlama.SampleIds();
        return model.Forward(new ModelInputs(ids));
    }

    static void AssertClose(Tensor expected, Tensor actual, double atol = 1e-5) =>
        Assert.True(expected.allclose(actual, rtol: 0, atol: atol), $"max error {(expected - actual).abs().max().item<float>()}");

    static (LoraLinear Layer, LoraAdapter Adapter) Adapted(nn.Module model, string path)
    {
        var layer = (LoraLinear)ModuleSurgery.Find(model, path);
        return (layer, layer.Adapters["default"]);
    }

    [Fact]
    public void Pissa_moves_the_top_singular_part_into_A_and_B_and_leaves_the_output_unchanged()
    {
        var model = new TinyLlama();
        using var original = Weight(model, Q0);
        using var before = Output(model);
        LoraInjector.Inject(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0, Init = LoraInit.Pissa }, QvTargets);
        var (layer, adapter) = Adapted(model, Q0);

        using var residual = layer.Base.WeightOutIn();
        using var ba = matmul(adapter.B.detach(), adapter.A.detach());
        AssertClose(original, residual + ba * 2.0);
        // Eckart–Young: what is left is exactly the singular values after the fourth.
        using var singular = linalg.svdvals(original);
        Assert.Equal(Math.Sqrt(singular[4..].pow(2).sum().item<float>()), residual.norm().item<float>(), 3);
        // PiSSA splits √(S/s) evenly: A·Aᵀ = Bᵀ·B = diag(S[:r]/s).
        using var aat = matmul(adapter.A.detach(), adapter.A.detach().t());
        using var btb = matmul(adapter.B.detach().t(), adapter.B.detach());
        using var expected = diag(singular[..4] / 2.0);
        AssertClose(expected, aat, 1e-4);
        AssertClose(expected, btb, 1e-4);
        using var after = Output(model);
        AssertClose(before, after);
    }

    [Fact]
    public void Pissa_with_iterations_uses_a_randomized_svd_and_still_keeps_W()
    {
        manual_seed(3);
        var model = new TinyLlama();
        using var original = Weight(model, Q0);
        LoraInjector.Inject(model, new LoraOptions { Rank = 4, Alpha = 4, Dropout = 0, Init = LoraInit.Pissa, PissaIterations = 4 }, QvTargets);
        var (layer, adapter) = Adapted(model, Q0);
        using var residual = layer.Base.WeightOutIn();
        using var ba = matmul(adapter.B.detach(), adapter.A.detach());
        AssertClose(original, residual + ba);
        using var singular = linalg.svdvals(original);
        var best = Math.Sqrt(singular[4..].pow(2).sum().item<float>());
        // A randomized rank-4 basis is never better than the SVD and, after 4 power iterations, close to it.
        Assert.InRange(residual.norm().item<float>(), best - 1e-3, best * 1.1);
    }

    [Fact]
    public void Olora_takes_the_first_r_columns_of_the_qr_factorisation()
    {
        var model = new TinyLlama();
        using var original = Weight(model, Q0);
        LoraInjector.Inject(model, new LoraOptions { Rank = 3, Alpha = 6, Dropout = 0, Init = LoraInit.Olora }, QvTargets);
        var (layer, adapter) = Adapted(model, Q0);
        using var btb = matmul(adapter.B.detach().t(), adapter.B.detach());
        AssertClose(eye(3), btb, 1e-5);
        // R is upper triangular, so A's row i is zero left of column i.
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < i; j++) Assert.Equal(0f, adapter.A[i, j].item<float>(), 5);
        using var residual = layer.Base.WeightOutIn();
        using var ba = matmul(adapter.B.detach(), adapter.A.detach());
        AssertClose(original, residual + ba * 2.0);
    }

    [Fact]
    public void Pissa_on_gpt2_fused_conv1d_rows_keeps_the_other_rows()
    {
        var model = new TinyGpt2();
        var conv = (Conv1D)ModuleSurgery.Find(model, TinyGpt2.CAttn);
        using var original = conv.Weight.detach().t().contiguous();
        var value = new OutputSlice(2 * TinyGpt2.Hidden, TinyGpt2.Hidden);
        LoraInjector.Inject(model, new LoraOptions { Rank = 2, Alpha = 2, Dropout = 0, Init = LoraInit.Pissa }, [new LoraTarget(TinyGpt2.CAttn, [value])]);
        var layer = (LoraLinear)ModuleSurgery.Find(model, TinyGpt2.CAttn);
        using var residual = layer.Base.WeightOutIn();
        using var delta = layer.Adapters["default"].DeltaWeight();
        AssertClose(original, residual + delta);
        AssertClose(original[..(2 * TinyGpt2.Hidden)], residual[..(2 * TinyGpt2.Hidden)], 0);
    }

    [Theory]
    [InlineData(LoraInit.Pissa, false)]
    [InlineData(LoraInit.Olora, false)]
    [InlineData(LoraInit.Pissa, true)]
    public void Saving_converts_to_a_plain_lora_adapter_for_the_original_base(LoraInit init, bool rslora)
    {
        using var folder = new AdapterFolder();
        var trained = new TinyLlama();
        var options = new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0, Init = init, UseRsLora = rslora };
        var injection = LoraInjector.Inject(trained, options, QvTargets);
        AdapterRoundTripTests.RandomizeTrainable(trained, 21);
        using var want = Output(trained);
        AdapterWriter.Save(folder.Path, trained, injection);

        var json = JsonNode.Parse(File.ReadAllText(folder.File(AdapterFiles.ConfigFile)))!;
        Assert.Equal(4, json["r"]!.GetValue<int>());
        Assert.Equal(rslora ? 4 * Math.Sqrt(2) : 8, json["lora_alpha"]!.GetValue<double>(), 6);
        Assert.True(json["init_lora_weights"]!.GetValue<bool>());

        // The original base plus the converted adapter is the trained model.
        var fresh = new TinyLlama();
        var loaded = AdapterReader.Load(folder.Path, fresh);
        Assert.All(loaded.Modules, m => Assert.Equal(4, m.Rank));
        using var got = Output(fresh);
        AssertClose(want, got);

        // Resume: the same init on a fresh model, then the checkpoint restores A and B.
        var resumed = new TinyLlama();
        var again = LoraInjector.Inject(resumed, options, QvTargets);
        new PeftAdapterStore(resumed, again).Load(folder.Path);
        using var resumedOutput = Output(resumed);
        AssertClose(want, resumedOutput);
    }

    [Theory]
    [InlineData("\"pissa\"")]
    [InlineData("\"pissa_niter_4\"")]
    [InlineData("\"olora\"")]
    public void An_unconverted_pissa_or_olora_adapter_is_a_clear_error(string init)
    {
        using var folder = new AdapterFolder();
        var model = new TinyLlama();
        var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 2, Alpha = 4 }, QvTargets);
        AdapterWriter.Save(folder.Path, model, injection);
        var config = JsonNode.Parse(File.ReadAllText(folder.File(AdapterFiles.ConfigFile)))!.AsObject();
        config["init_lora_weights"] = JsonNode.Parse(init);
        File.WriteAllText(folder.File(AdapterFiles.ConfigFile), config.ToJsonString());

        var error = Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(folder.Path, new TinyLlama()));
        Assert.Contains(folder.File(AdapterFiles.ConfigFile), error.Message);
        Assert.Contains("path_initial_model_for_weight_conversion", error.Message);
    }

    [Fact]
    public void Pissa_rank_above_the_matrix_size_and_stray_iterations_are_errors()
    {
        Assert.Contains("rank <= min(out, in)", Assert.Throws<ArgumentException>(() =>
            LoraInjector.Inject(new TinyLlama(), new LoraOptions { Rank = 32, Init = LoraInit.Pissa }, QvTargets)).Message);
        Assert.Throws<ArgumentException>(() => new LoraOptions { Init = LoraInit.Olora, PissaIterations = 2 }.Validate());
    }
}
