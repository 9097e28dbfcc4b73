using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Tests.TestCheckpoints;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora;

/// <summary>PEFT's ensure_weight_tying on a tied LLaMA: modules_to_save keeps one table for both, LoRA on either is refused with the alternatives.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class WeightTyingTests
{
    static readonly LoraTarget[] QProj = [new LoraTarget("model.layers.0.self_attn.q_proj")];

    static string Checkpoint(bool tied) =>
        TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("weight-tying"), new TinyLlamaSpec { TieWordEmbeddings = tied });

    [Fact]
    public void Modules_to_save_naming_the_tied_head_trains_and_saves_the_embedding_once_and_the_head_keeps_reading_it()
    {
        var checkpoint = Checkpoint(tied: true);
        var adapter = Path.Combine(Path.GetDirectoryName(checkpoint)!, "adapter");
        using var model = ModelLoader.Load(checkpoint);
        var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 2, ModulesToSave = ["lm_head"], EnsureWeightTying = true }, QProj);
        Assert.Equal(["model.embed_tokens"], injection.Options.ModulesToSave);
        Assert.Equal(["model.embed_tokens"], injection.ModulesToSave);
        var table = ((IInputEmbeddings)model).InputEmbeddings.weight!;
        var head = ((Linear)((ICausalLanguageModel)model).OutputHead).weight!;
        Assert.True(table.requires_grad);
        Assert.True(TiedWeightMerge.SharesStorage(table, head));

        AdapterWriter.Save(adapter, model, injection, checkpoint);
        var names = SafetensorsFile.Open(Path.Combine(adapter, AdapterFiles.WeightsFile)).Names;
        Assert.Contains("base_model.model.model.embed_tokens.weight", names);
        Assert.DoesNotContain("base_model.model.lm_head.weight", names);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, AdapterFiles.ConfigFile)))!;
        Assert.Equal("""["model.embed_tokens"]""", config["modules_to_save"]!.ToJsonString());
        Assert.True(config["ensure_weight_tying"]!.GetValue<bool>());
    }

    [Fact]
    public void Without_ensure_weight_tying_modules_to_save_is_kept_as_written()
    {
        using var model = ModelLoader.Load(Checkpoint(tied: true));
        var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 2, ModulesToSave = ["lm_head"] }, QProj);
        Assert.Equal(["lm_head"], injection.ModulesToSave);
    }

    [Fact]
    public void Lora_on_a_tied_head_or_embedding_with_ensure_weight_tying_is_refused_before_the_model_is_touched_and_untied_it_is_fine()
    {
        using (var model = ModelLoader.Load(Checkpoint(tied: true)))
        {
            foreach (var path in new[] { "lm_head", "model.embed_tokens" })
            {
                var error = Assert.Throws<ArgumentException>(() =>
                    LoraInjector.Inject(model, new LoraOptions { Rank = 2, EnsureWeightTying = true }, [.. QProj, new LoraTarget(path)]));
                Assert.Contains($"ensure_weight_tying with LoRA on '{path}'", error.Message);
                Assert.Contains("trainable tokens", error.Message);
                Assert.DoesNotContain(model.named_modules(), m => m.module is LoraLinear);
            }
        }
        using (var model = ModelLoader.Load(Checkpoint(tied: false)))
        {
            var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 2, EnsureWeightTying = true }, [.. QProj, new LoraTarget("lm_head")]);
            Assert.Equal(2, injection.Modules.Count);
        }
    }
}
