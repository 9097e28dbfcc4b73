using LoraDsl.Adapters;
using LoraDsl.Architectures;
using LoraDsl.Checkpoints;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using LoraDsl.Quantization;
using LoraDsl.Tests.Data;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tests.Training;
using LoraDsl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Models.Families;

/// <summary>LoRA, DoRA and QLoRA train on each new family through its typed architecture; adapters round-trip; checkpointing keeps gradients.</summary>
[Collection(TorchRandomCollection.Name)]
public class FamilyTrainingTests
{
    static readonly LoraOptions Lora = new() { Rank = 4, Alpha = 8, Dropout = 0 };

    static Tensor Batch() => tensor(new long[] { 5, 17, 99, 3, 250, 42, 7, 11, 64, 8, 1, 2, 3, 4, 5, 6 }).reshape(2, 8);

    /// <summary>The family's descriptor through TargetPlacement, so the typed declaration (names, roles, fused rows) is what places adapters.</summary>
    static IReadOnlyList<LoraTarget> Place(string family, PretrainedModel model, LoraOptions options, TargetSet targets)
    {
        var descriptor = family switch
        {
            "qwen3" => Qwen3.Descriptor,
            "phi3" => Phi3.Descriptor,
            "gemma2" => Gemma2.Descriptor,
            "gemma3" => Gemma3.Descriptor,
            _ => Llama.Descriptor,
        };
        var placed = TargetPlacement.Resolve(model, descriptor, targets);
        Assert.NotEmpty(placed);
        return placed;
    }

    [Theory]
    [InlineData("qwen3", "lora")]
    [InlineData("qwen3", "dora")]
    [InlineData("qwen3", "qlora")]
    [InlineData("phi3", "lora")]
    [InlineData("phi3", "dora")]
    [InlineData("phi3", "qlora")]
    [InlineData("gemma2", "lora")]
    [InlineData("gemma2", "dora")]
    [InlineData("gemma2", "qlora")]
    [InlineData("gemma3", "lora")]
    [InlineData("gemma3", "dora")]
    [InlineData("gemma3", "qlora")]
    public void Training_a_few_steps_lowers_the_loss(string family, string method)
    {
        var folder = TinyFamily.Named(family).Write();
        var load = method == "qlora" ? new ModelLoadOptions { Quantization = new QuantizationOptions() } : null;
        using var model = ModelLoader.Load(folder, load);
        var options = Lora with { UseDora = method == "dora" };
        // Query and Value are slices of Phi-3's fused qkv_proj; DoRA needs whole modules, so it takes every linear layer.
        var targets = method == "dora" ? TargetSet.Of(Preset.AllLinear) : TargetSet.Of(Preset.QV).Add(TargetSet.Of(ModuleRole.FfnUp));
        manual_seed(5);
        var injection = LoraInjector.Inject(model, options, Place(family, model, options, targets));
        Assert.NotEmpty(injection.Modules);
        if (method == "qlora") Assert.Contains(model.modules(), m => m is Linear4Bit);
        model.train();
        using var optimizer = AdamWOptimizer.Create(model, new TrainingOptions { LearningRate = 2e-2, WeightDecay = 0 });
        using var ids = Batch();
        var losses = new List<float>();
        for (var step = 0; step < 6; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = TrainingLoss.Compute(model, new ModelInputs(ids), ids);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        Assert.All(losses, l => Assert.True(float.IsFinite(l)));
        Assert.True(losses[^1] < losses[0] - 0.05, $"{family}/{method}: losses did not fall: {string.Join(", ", losses.Select(l => l.ToString("F3")))}");
    }

    [Fact]
    public void Phi3_roles_adapt_unequal_rows_of_the_fused_qkv_proj()
    {
        var spec = TinyFamily.Phi3;
        using var model = ModelLoader.Load(spec.Write());
        var targets = Place("phi3", model, Lora, TargetSet.Of(ModuleRole.Key, ModuleRole.FfnUp));
        var qkv = targets.Single(t => t.Path == "model.layers.0.self_attn.qkv_proj");
        // Key rows follow the 4·8 query rows and are 2·8 long (grouped-query attention).
        Assert.Equal([new OutputSlice(32, 16)], qkv.Rows);
        var gateUp = targets.Single(t => t.Path == "model.layers.0.mlp.gate_up_proj");
        Assert.Equal([new OutputSlice(spec.Intermediate, spec.Intermediate)], gateUp.Rows);
        // The name adapts the whole fused module, as PEFT's target_modules does.
        var whole = Place("phi3", model, Lora, TargetSet.Of("qkv_proj"));
        Assert.All(whole, t => Assert.Null(t.Rows));
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("phi3")]
    [InlineData("gemma2")]
    [InlineData("gemma3")]
    [InlineData("llama32")]
    public void A_saved_adapter_reloads_onto_a_fresh_model_with_equal_logits(string family)
    {
        var folder = TinyFamily.Named(family).Write();
        using var adapter = new TempFolder();
        using var trained = ModelLoader.Load(folder);
        var targets = TargetSet.Of(Preset.QV).Add(TargetSet.Of(ModuleRole.FfnDown));
        var injection = LoraInjector.Inject(trained, Lora, Place(family, trained, Lora, targets));
        Adapters.AdapterRoundTripTests.RandomizeTrainable(trained, 21);
        AdapterWriter.Save(adapter.Path, trained, injection);

        using var fresh = ModelLoader.Load(folder);
        var loaded = AdapterReader.Load(adapter.Path, fresh);
        Assert.Equal(injection.Modules.Select(m => m.Path).Order(StringComparer.Ordinal), loaded.Modules.Select(m => m.Path).Order(StringComparer.Ordinal));
        // Phi-3's Query and Value rows of qkv_proj come back as the same row ranges.
        Assert.Equal(injection.Modules.OrderBy(m => m.Path, StringComparer.Ordinal).Select(m => string.Join(";", m.OutputRows?.Slices ?? [])),
            loaded.Modules.OrderBy(m => m.Path, StringComparer.Ordinal).Select(m => string.Join(";", m.OutputRows?.Slices ?? [])));
        trained.eval();
        fresh.eval();
        using var _ = no_grad();
        using var ids = Batch();
        using var want = trained.Forward(new ModelInputs(ids));
        using var got = fresh.Forward(new ModelInputs(ids));
        Assert.True(want.eq(got).all().item<bool>(), $"{family}: reloaded logits differ by {(want - got).abs().max().item<float>()}");
        using var baseModel = ModelLoader.Load(folder);
        using var plain = baseModel.Forward(new ModelInputs(ids));
        Assert.False(plain.allclose(got, rtol: 0, atol: 1e-4), "the adapter must change the logits");
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("phi3")]
    [InlineData("gemma2")]
    [InlineData("gemma3")]
    public void Gradient_checkpointing_gives_the_plain_gradients(string family)
    {
        using var model = ModelLoader.Load(TinyFamily.Named(family).Write());
        LoraInjector.Inject(model, Lora, Place(family, model, Lora, TargetSet.Of(Preset.AllLinear)));
        Adapters.AdapterRoundTripTests.RandomizeTrainable(model, 3);
        using var ids = Batch();
        Dictionary<string, Tensor> Gradients(bool checkpointing)
        {
            model.GradientCheckpointing = checkpointing;
            model.train();
            foreach (var p in model.parameters()) p.grad = null;
            using (var loss = TrainingLoss.Compute(model, new ModelInputs(ids), ids)) loss.backward();
            return model.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        }
        var plain = Gradients(false);
        var checkpointed = Gradients(true);
        Assert.NotEmpty(plain);
        foreach (var (name, g) in plain)
        {
            using var diff = (g - checkpointed[name]).abs().max();
            Assert.True(diff.item<float>() <= 1e-6, $"{family} {name}: gradients differ by {diff.item<float>()}");
        }
    }

    [Fact]
    public void Tied_llama32_trains_lora_on_lm_head_and_embed_tokens_and_reloads_them()
    {
        var folder = TinyFamily.Llama32.Write();
        using var adapter = new TempFolder();
        using var model = ModelLoader.Load(folder);
        var embedding = ((IInputEmbeddings)model).InputEmbeddings.weight!;
        using var tableBefore = embedding.clone();
        var targets = Place("llama32", model, Lora, TargetSet.Of(ModuleRole.Head, ModuleRole.Embedding, ModuleRole.Query));
        Assert.Contains(targets, t => t.Path == "lm_head");
        Assert.Contains(targets, t => t.Path == "model.embed_tokens");
        manual_seed(9);
        var injection = LoraInjector.Inject(model, Lora, targets);
        model.train();
        using var optimizer = AdamWOptimizer.Create(model, new TrainingOptions { LearningRate = 2e-2, WeightDecay = 0 });
        using var ids = Batch();
        var losses = new List<float>();
        for (var step = 0; step < 6; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = TrainingLoss.Compute(model, new ModelInputs(ids), ids);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        Assert.True(losses[^1] < losses[0] - 0.05, $"losses did not fall: {string.Join(", ", losses.Select(l => l.ToString("F3")))}");
        // The shared table is frozen: both adapters learn beside it, and the head still reads the same table.
        Assert.True(embedding.eq(tableBefore).all().item<bool>());
        var head = (LoraLinear)ModuleSurgery.Find(model, "lm_head");
        var headWeight = ((TorchSharp.Modules.Linear)head.Base.Module).weight!;
        using (no_grad())
        {
            // Still one storage: a write to the table shows in the head (TorchSharp has no data pointer to compare).
            using var saved = embedding[0, 0].clone();
            embedding[0, 0].add_(1.0);
            Assert.Equal(embedding[0, 0].item<float>(), headWeight[0, 0].item<float>());
            embedding[0, 0].copy_(saved);
        }

        AdapterWriter.Save(adapter.Path, model, injection);
        using var fresh = ModelLoader.Load(folder);
        var loaded = AdapterReader.Load(adapter.Path, fresh);
        Assert.Contains(loaded.Modules, m => m.Path == "lm_head");
        Assert.Contains(loaded.Modules, m => m.Path == "model.embed_tokens");
        model.eval();
        fresh.eval();
        using var _ = no_grad();
        using var want = model.Forward(new ModelInputs(ids));
        using var got = fresh.Forward(new ModelInputs(ids));
        Assert.True(want.eq(got).all().item<bool>(), $"reloaded logits differ by {(want - got).abs().max().item<float>()}");
    }
}
