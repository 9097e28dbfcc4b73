using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Models.Gpt2;
using LoraDsl.Modules;
using LoraDsl.Tests.Adapters;
using LoraDsl.Tests.Lora.TestModels;
using LoraDsl.Tests.TestCheckpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora;

/// <summary>LoRA on token embeddings (PEFT's lora.Embedding): GPT-2's tied wte and LLaMA's embed_tokens.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class EmbeddingLoraTests
{
    static readonly LoraOptions Options = new() { Rank = 2, Alpha = 4, Dropout = 0.1 };

    static Tensor Ids() => tensor(new long[] { 5, 17, 42, 3, 17 }).reshape(1, 5);

    static Tensor Logits(PretrainedModel model)
    {
        model.eval();
        using var _ = no_grad();
        using var ids = Ids();
        return model.Forward(new ModelInputs(ids));
    }

    static void Randomize(LoraAdapter adapter, int seed)
    {
        using var _ = no_grad();
        var generator = new Generator((ulong)seed);
        using var a = randn(adapter.A.shape, generator: generator);
        adapter.A.copy_(a);
    }

    [Fact]
    public void Gpt2_wte_adapter_changes_the_lookup_and_leaves_the_tied_head_weight_alone()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("emb-gpt2"));
        using var model = ModelLoader.Load(checkpoint);
        var wte = (TorchSharp.Modules.Embedding)ModuleSurgery.Find(model, "transformer.wte");
        using var original = wte.weight!.detach().clone();
        using var before = Logits(model);

        var injection = LoraInjector.Inject(model, Options, ["transformer.wte"]);
        var adapter = injection.Modules.Single().Adapter;
        Assert.Equal([2L, wte.weight!.shape[0]], adapter.A.shape);   // lora_embedding_A [r, vocab]
        Assert.Equal([2L, wte.weight!.shape[1]], [adapter.B.shape[1], adapter.B.shape[0]]);   // lora_embedding_B [dim, r]
        // PEFT's init: A zeros, B normal, so the model starts unchanged.
        Assert.Equal(0, adapter.A.count_nonzero().item<long>());
        Assert.NotEqual(0, adapter.B.count_nonzero().item<long>());
        using (var atInit = Logits(model)) Assert.True(Identical.Tensors(before, atInit));

        Randomize(adapter, 3);
        var layer = (LoraLinear)ModuleSurgery.Find(model, "transformer.wte");
        layer.train();   // dropout is not applied to embeddings, even in training
        using var ids = Ids();
        using var looked = layer.call(ids);
        // E[ids] + s·Aᵀ[ids]·Bᵀ, written out per token.
        using var expected = stack([.. ids[0].data<long>().Select(id => original[id] + matmul(adapter.B.detach(), adapter.A.detach()[.., id]) * 2.0)], 0).unsqueeze(0);
        Assert.True(expected.allclose(looked, rtol: 0, atol: 1e-5));
        layer.eval();

        // The head keeps the original (tied) weight: only the lookup is adapted, as in PEFT.
        using var after = Logits(model);
        Assert.False(before.allclose(after, rtol: 0, atol: 1e-4));
        Assert.True(Identical.Tensors(original, wte.weight!.detach()));
        var head = (TorchSharp.Modules.Linear)((Gpt2LMHeadModel)model).OutputHead;
        Assert.True(Identical.Tensors(original, head.weight!.detach()));
    }

    [Fact]
    public void Embedding_adapters_save_with_peft_names_and_reload()
    {
        var checkpoint = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("emb-llama"));
        using var trained = ModelLoader.Load(checkpoint);
        var injection = LoraInjector.Inject(trained, Options, ["model.embed_tokens", "model.layers.0.self_attn.q_proj"]);
        AdapterRoundTripTests.RandomizeTrainable(trained, 4);
        using var want = Logits(trained);
        using var folder = new AdapterFolder();
        AdapterWriter.Save(folder.Path, trained, injection);

        var stored = SafetensorsFile.Open(folder.File(AdapterFiles.WeightsFile));
        long vocab = TinyCheckpoints.ByteLevelVocabSize;
        using (var a = stored.Read("base_model.model.model.embed_tokens.lora_embedding_A")) Assert.Equal([2L, vocab], a.shape);
        using (var b = stored.Read("base_model.model.model.embed_tokens.lora_embedding_B")) Assert.Equal([32L, 2L], b.shape);
        Assert.False(stored.Contains("base_model.model.model.embed_tokens.lora_A.weight"));

        using var fresh = ModelLoader.Load(checkpoint);
        AdapterReader.Load(folder.Path, fresh);
        using var got = Logits(fresh);
        Assert.True(Identical.Tensors(want, got));

        // Untied embedding: merging gives the same logits.
        LoraInjector.MergeAndUnload(fresh);
        using var merged = Logits(fresh);
        Assert.True(want.allclose(merged, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void Dora_pissa_and_ranges_on_an_embedding_are_errors()
    {
        var checkpoint = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("emb-llama"));
        using var model = ModelLoader.Load(checkpoint);
        Assert.Contains("is an embedding", Assert.Throws<ArgumentException>(() => LoraInjector.Inject(model, Options with { UseDora = true }, ["model.embed_tokens"])).Message);
        Assert.Contains("is an embedding", Assert.Throws<ArgumentException>(() => LoraInjector.Inject(model, Options with { Init = LoraInit.Pissa, AdapterName = "p" }, ["model.embed_tokens"])).Message);
    }
}
