using LoraDsl.AdaLora;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Models.Gpt2;
using LoraDsl.Models.Llama;
using LoraDsl.Modules;
using LoraDsl.Neftune;
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
    public void Merging_an_adapter_on_gpt2s_tied_wte_unties_it_and_keeps_the_outputs()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("emb-gpt2-merge"));
        using var model = ModelLoader.Load(checkpoint);
        var wte = (TorchSharp.Modules.Embedding)ModuleSurgery.Find(model, "transformer.wte");
        using var original = wte.weight!.detach().clone();
        var injection = LoraInjector.Inject(model, Options, ["transformer.wte"]);
        Randomize(injection.Modules.Single().Adapter, 5);
        using var unmerged = Logits(model);

        // Merged into the shared table, the head would multiply by the adapted table: the merge unties them instead.
        Assert.Equal(["transformer.wte"], LoraInjector.MergeAndUnload(model));
        var merged = (TorchSharp.Modules.Embedding)ModuleSurgery.Find(model, "transformer.wte");
        var head = (TorchSharp.Modules.Linear)((Gpt2LMHeadModel)model).OutputHead;
        Assert.True(Identical.Tensors(original, head.weight!.detach()));
        Assert.False(Identical.Tensors(original, merged.weight!.detach()));
        Assert.False(model.Config.Raw["tie_word_embeddings"]!.GetValue<bool>());
        using var after = Logits(model);
        Assert.True(unmerged.allclose(after, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void Merging_an_adapter_on_an_untied_llama_embed_tokens_keeps_the_outputs()
    {
        var checkpoint = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("emb-llama-merge"));
        using var model = ModelLoader.Load(checkpoint);
        var injection = LoraInjector.Inject(model, Options, ["model.embed_tokens"]);
        Randomize(injection.Modules.Single().Adapter, 6);
        using var unmerged = Logits(model);
        Assert.Equal(["model.embed_tokens"], LoraInjector.MergeAndUnload(model));
        Assert.IsType<TorchSharp.Modules.Embedding>(ModuleSurgery.Find(model, "model.embed_tokens"));
        using var merged = Logits(model);
        Assert.True(unmerged.allclose(merged, rtol: 0, atol: 1e-5));
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
    public void Dora_pissa_adalora_and_ranges_on_an_embedding_are_errors_with_the_LORA029_texts()
    {
        var checkpoint = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("emb-llama"));
        using var model = ModelLoader.Load(checkpoint);
        string Refused(Action inject) => Assert.Throws<ArgumentException>(inject).Message;
        Assert.Equal(string.Format(DslMessages.DoraOnEmbedding, "model.embed_tokens"),
            Refused(() => LoraInjector.Inject(model, Options with { UseDora = true }, ["model.embed_tokens"])));
        Assert.Equal(string.Format(DslMessages.ResidualInitOnEmbedding, "model.embed_tokens", "olora"),
            Refused(() => LoraInjector.Inject(model, Options with { Init = LoraInit.Olora, AdapterName = "p" }, ["model.embed_tokens"])));
        Assert.Equal(string.Format(DslMessages.AdaLoraOnEmbedding, "model.embed_tokens"),
            Refused(() => AdaLoraInjector.Inject(model, Options, new AdaLoraOptions { TotalStep = 10 }, ["model.embed_tokens"])));
        Assert.Equal(string.Format(DslMessages.SliceOfEmbedding, "model.embed_tokens"),
            Refused(() => LoraInjector.Inject(model, Options, [new LoraTarget("model.embed_tokens", [new OutputSlice(0, 8)])])));
        Assert.IsNotType<LoraLinear>(ModuleSurgery.Find(model, "model.embed_tokens"));   // checked before the model changes
    }

    [Fact]
    public void The_placement_takes_a_whole_embedding_and_refuses_a_slice_of_one_or_an_unknown_kind()
    {
        var checkpoint = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("emb-place"));
        using var model = ModelLoader.Load(checkpoint);
        Assert.Equal([new LoraTarget("model.embed_tokens")], TargetPlacement.Resolve(model, Architectures.Llama.Descriptor, TargetSet.Of(Architectures.Llama.EmbedTokens)));
        // Declarations no built-in architecture makes: an embedding fused of two roles, and a kind LoRA does not know.
        var fused = new ArchitectureModule("t", "embed_tokens", "model.embed_tokens", ModuleKind.Embedding, [ModuleRole.Embedding, ModuleRole.Head]);
        var norm = new ArchitectureModule("t", "norm", "model.norm", (ModuleKind)7, [ModuleRole.Norm]);
        var odd = new ArchitectureDescriptor("t", ["llama"], "num_hidden_layers", null, [fused, norm]);
        Assert.Equal(string.Format(DslMessages.SliceOfEmbedding, "model.embed_tokens"),
            Assert.Throws<TargetResolutionException>(() => TargetPlacement.Resolve(model, odd, TargetSet.Of(ModuleRole.Embedding))).Message);
        Assert.Equal("Module 'model.norm' (7) cannot take LoRA: LoRA adapts Linear, Conv1D and Embedding modules; drop it from the targets",
            Assert.Throws<TargetResolutionException>(() => TargetPlacement.Resolve(model, odd, TargetSet.Of(norm))).Message);
    }

    [Fact]
    public void Neftune_noise_reaches_the_output_of_an_adapted_embedding_exactly_as_on_a_plain_one()
    {
        // The hook sits on the base table inside the LoRA wrapper: E[ids] + noise + s·ΔE[ids] = (E[ids] + s·ΔE[ids]) + noise,
        // as transformers' hook on PEFT's lora.Embedding gives, and the LoRA branch draws no random numbers in between.
        var checkpoint = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("emb-neftune"));
        using var model = ModelLoader.Load(checkpoint);
        var injection = LoraInjector.Inject(model, Options, ["model.embed_tokens"]);
        Randomize(injection.Modules.Single().Adapter, 5);
        var layer = (LoraLinear)ModuleSurgery.Find(model, "model.embed_tokens");
        using var ids = Ids();
        using var plainTable = ((LlamaForCausalLM)model).InputEmbeddings.call(ids);
        using var clean = layer.call(ids);
        Assert.False(clean.allclose(plainTable, rtol: 0, atol: 1e-4), "the adapter must change the lookup");

        using var neftune = NeftuneNoise.Attach(model, new NeftuneOptions { Alpha = 5 });
        model.train();
        manual_seed(11);
        using var noisy = layer.call(ids);
        manual_seed(11);
        using var noise = zeros_like(clean).uniform_(-NeftuneNoise.Magnitude(clean, 5), NeftuneNoise.Magnitude(clean, 5));
        using var added = noisy - clean;
        Assert.True(added.allclose(noise, rtol: 0, atol: 1e-6));
        Assert.True(noise.abs().max().item<float>() > 0);
        model.eval();
    }
}
