using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using LoraDsl.Native;
using LoraDsl.Quantization;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tests.Training;
using LoraDsl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Models;

/// <summary>Recomputing each layer in backward gives the gradients of the plain backward, dropout included.</summary>
[Collection(TorchRandomCollection.Name)]
public class GradientCheckpointingTests
{
    /// <summary>Loss and gradients of every trainable parameter (by name) from one forward and backward, seeded.</summary>
    static (float Loss, Dictionary<string, Tensor> Gradients, float NextRandom) Step(PretrainedModel model, Tensor ids, Tensor labels, bool checkpointing)
    {
        model.GradientCheckpointing = checkpointing;
        model.train();
        foreach (var p in model.parameters()) p.grad = null;
        manual_seed(123);
        float loss;
        using (var l = TrainingLoss.Compute(model, new ModelInputs(ids), labels))
        {
            loss = l.item<float>();
            l.backward();
        }
        // The random stream after the step must be where the plain step leaves it.
        using var next = rand(1);
        var gradients = model.named_parameters().Where(p => p.parameter.requires_grad)
            .ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        return (loss, gradients, next.item<float>());
    }

    static void AssertSameGradients(PretrainedModel model, Tensor ids, Tensor labels, double atol)
    {
        var plain = Step(model, ids, labels, checkpointing: false);
        var checkpointed = Step(model, ids, labels, checkpointing: true);
        Assert.Equal(plain.Loss, checkpointed.Loss);
        Assert.Equal(plain.NextRandom, checkpointed.NextRandom);
        Assert.NotEmpty(plain.Gradients);
        foreach (var (name, g) in plain.Gradients)
        {
            var other = checkpointed.Gradients[name];
            using var diff = (g - other).abs().max();
            Assert.True(diff.item<float>() <= atol, $"{name}: gradients differ by {diff.item<float>()}");
        }
        // Dropout is on: another seed gives another loss, so equal losses above mean equal masks.
        manual_seed(999);
        model.GradientCheckpointing = false;
        using var third = TrainingLoss.Compute(model, new ModelInputs(ids), labels);
        Assert.NotEqual(plain.Loss, third.item<float>());
        foreach (var g in plain.Gradients.Values.Concat(checkpointed.Gradients.Values)) g.Dispose();
    }

    [Fact]
    public void Llama_lora_with_dropout_gets_the_plain_gradients()
    {
        TorchNative.EnsureLoaded();
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("ckpt-llama"), new TinyLlamaSpec { Layers = 3 });
        using var model = ModelLoader.Load(dir, new ModelLoadOptions { Device = "cpu" });
        LoraInjector.Inject(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.3 },
            Enumerable.Range(0, 3).SelectMany(i => new LoraTarget[] { new($"model.layers.{i}.self_attn.q_proj"), new($"model.layers.{i}.mlp.down_proj") }));
        RandomizeB(model);
        using var ids = tensor(new long[] { 5, 17, 99, 3, 42, 7, 250, 11, 8, 64 }).reshape(2, 5);
        AssertSameGradients(model, ids, ids, atol: 1e-6);
    }

    [Fact]
    public void On_a_device_whose_state_cannot_be_saved_each_layer_seeds_its_recompute_as_its_forward()
    {
        // CUDA stands in: the hook says every device needs seeding and records the seeds instead of seeding a GPU.
        TorchNative.EnsureLoaded();
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("ckpt-seeded"), new TinyLlamaSpec { Layers = 3 });
        using var model = ModelLoader.Load(dir, new ModelLoadOptions { Device = "cpu" });
        LoraInjector.Inject(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.3 },
            Enumerable.Range(0, 3).Select(i => new LoraTarget($"model.layers.{i}.self_attn.q_proj")));
        using var ids = tensor(new long[] { 5, 17, 99, 3, 42, 7, 250, 11, 8, 64 }).reshape(2, 5);
        var seeds = new List<long>();
        var previous = ActivationCheckpoint.DeviceRandomness.Value!;
        ActivationCheckpoint.DeviceRandomness.Value = new ActivationCheckpoint.DeviceGenerators(_ => true, seeds.Add);
        try
        {
            Step(model, ids, ids, checkpointing: true);
        }
        finally
        {
            ActivationCheckpoint.DeviceRandomness.Value = previous;
        }
        // Three forwards, then the three recomputes in reverse order, each with its forward's seed.
        Assert.Equal(6, seeds.Count);
        Assert.Equal(seeds.Take(3).Reverse(), seeds.Skip(3));
        Assert.Equal(3, seeds.Take(3).Distinct().Count());
        // And on the CPU nothing is seeded: the CPU state itself is restored.
        seeds.Clear();
        Step(model, ids, ids, checkpointing: true);
        Assert.Empty(seeds);
    }

    [Fact]
    public void Qlora_on_an_nf4_llama_gets_the_plain_gradients()
    {
        TorchNative.EnsureLoaded();
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("ckpt-qlora"));
        using var model = ModelLoader.Load(dir, new ModelLoadOptions { Device = "cpu", Quantization = new QuantizationOptions { ComputeDtype = ScalarType.Float32 } });
        Assert.Contains(model.named_modules(), m => m.module is Linear4Bit);
        LoraInjector.Inject(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.3 },
            [new LoraTarget("model.layers.0.self_attn.v_proj"), new LoraTarget("model.layers.1.mlp.up_proj")]);
        RandomizeB(model);
        using var ids = tensor(new long[] { 5, 17, 99, 3, 42, 7, 250, 11, 8, 64 }).reshape(2, 5);
        AssertSameGradients(model, ids, ids, atol: 1e-6);
    }

    [Fact]
    public void Gpt2_dora_and_full_fine_tuning_get_the_plain_gradients()
    {
        TorchNative.EnsureLoaded();
        var dir = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("ckpt-gpt2"));
        using var ids = tensor(new long[] { 5, 17, 99, 3, 42, 7, 250, 11, 8, 64, 1, 2 }).reshape(2, 6);
        using (var dora = ModelLoader.Load(dir, new ModelLoadOptions { Device = "cpu" }))
        {
            LoraInjector.Inject(dora, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.2, UseDora = true },
                [new LoraTarget("transformer.h.0.attn.c_attn"), new LoraTarget("transformer.h.1.mlp.c_fc")]);
            RandomizeB(dora);
            AssertSameGradients(dora, ids, ids, atol: 1e-6);
        }
        // Every weight trains: the layers' inputs need gradients too (the embeddings are before them).
        using var full = ModelLoader.Load(dir, new ModelLoadOptions { Device = "cpu" });
        LoraInjector.Inject(full, new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0.2 }, [new LoraTarget("transformer.h.1.attn.c_attn")]);
        foreach (var p in full.parameters()) p.requires_grad = true;
        RandomizeB(full);
        AssertSameGradients(full, ids, ids, atol: 1e-5);
    }

    [Fact]
    public void Bert_with_hidden_dropout_and_a_trained_head_gets_the_plain_gradients()
    {
        TorchNative.EnsureLoaded();
        var dir = TinyCheckpoints.NewFolder("ckpt-bert");
        TinyBert.Write(dir, seed: 7);
        using var model = ModelLoader.Load(dir, new ModelLoadOptions { Device = "cpu" });
        LoraInjector.Inject(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.1, ModulesToSave = ["classifier"] },
            [new LoraTarget("bert.encoder.layer.0.attention.self.query"), new LoraTarget("bert.encoder.layer.1.attention.self.value")]);
        RandomizeB(model);
        using var ids = tensor(new long[] { 2, 5, 7, 9, 11, 3, 4, 8, 1, 6, 10, 12 }).reshape(2, 6);
        using var labels = tensor(new long[] { 0, 2 });
        AssertSameGradients(model, ids, labels, atol: 1e-6);
    }

    [Fact]
    public void A_model_without_layers_to_checkpoint_refuses_the_switch()
    {
        TorchNative.EnsureLoaded();
        using var model = new TinyCausalLm(vocab: 11, hidden: 4);
        Assert.Throws<NotSupportedException>(() => model.GradientCheckpointing = true);
        Assert.False(model.GradientCheckpointing);
    }

    static void RandomizeB(nn.Module model)
    {
        manual_seed(42);
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
            if (name.EndsWith("lora_B", StringComparison.Ordinal)) p.normal_(0, 0.2);
    }
}
