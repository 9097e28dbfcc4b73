using System.Reflection;
using LoraDsl.Architectures;
using LoraDsl.Data;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Recipes;
using LoraDsl.Recipes.Settings;
using LoraDsl.Training;
using Xunit;

namespace LoraDsl.Tests.Recipes;

/// <summary>The one settings table: catalog and runtime rows agree, every row is reachable from the DSL and --set, docs follow it.</summary>
public class RecipeSettingsTests
{
    static RecipeDefinition Sample() => new RecipeBuilder("sample", Llama.Descriptor)
        .Model(m => m.FromDirectory("models/llama"))
        .Lora(l => l.Rank(8).Target(Llama.QProj))
        .Data(d => d.JsonLines("data/train.jsonl").CausalLanguageModeling().Labels("a", "b"))
        .Training(t => t.MaxSteps(5).WarmupSteps(1).MaxGradNorm(0.5))
        .Build();

    [Fact]
    public void Every_catalog_entry_has_exactly_one_runtime_row_in_the_same_order()
    {
        Assert.Equal(RecipeSettingCatalog.All.Select(s => s.Key), RecipeSettings.All.Select(s => s.Key));
        Assert.Equal(RecipeSettings.All.Count, RecipeSettings.All.Select(s => s.Key).Distinct().Count());
    }

    [Fact]
    public void Every_setting_has_its_builder_method()
    {
        var builders = new Dictionary<string, Type>
        {
            ["Model"] = typeof(ModelBuilder), ["Lora"] = typeof(LoraBuilder), ["Data"] = typeof(DataBuilder), ["Training"] = typeof(TrainingBuilder),
            ["Quantization"] = typeof(QuantizationBuilder), ["Start"] = typeof(StartBuilder),
        };
        foreach (var s in RecipeSettings.All)
        {
            var type = builders[s.Info.Builder];
            Assert.True(type.GetMethods(BindingFlags.Public | BindingFlags.Instance).Any(m => m.Name == s.Info.Method && m.ReturnType == type),
                $"{s.Key}: {type.Name} has no method {s.Info.Method}");
        }
    }

    [Fact]
    public void Every_setting_round_trips_through_set()
    {
        var recipe = Sample();
        foreach (var s in RecipeSettings.All)
        {
            if (s.ReadText(recipe) is not { } text) continue;
            var again = s.Write(recipe, text);
            Assert.Equal(text, s.ReadText(again));
        }
        var changed = recipe.WithOverrides([new("training.beta2", "0.95"), new("training.warmup_fraction", "0.1"), new("training.save_every", "7"),
            new("data.task", "instruction"), new("lora.bias", "lora_only"), new("training.decay", "cosine"), new("training.max_grad_norm", "none")]);
        Assert.Equal((0.95, 0.1, 7), (changed.Training.Beta2, changed.Training.WarmupFraction, changed.Training.SaveEvery));
        Assert.Equal((DataTask.InstructionTuning, LoraBias.LoraOnly, LearningRateDecay.Cosine), (changed.Data.Task, changed.Lora.Bias, changed.Training.Decay));
        Assert.Null(changed.Training.MaxGradNorm);
        Assert.Equal(7, changed.Overrides.Count);
    }

    [Fact]
    public void Choice_settings_list_exactly_the_spellings_set_accepts()
    {
        var recipe = Sample();
        foreach (var s in RecipeSettings.All.Where(s => s.Info.Kind == SettingKind.Choice))
        {
            foreach (var choice in s.Info.Choices) Assert.Equal(choice, s.ReadText(s.Write(recipe, choice)));
            var e = Assert.Throws<RecipeValidationException>(() => s.Write(recipe, "nonsense"));
            Assert.Contains(s.Key, e.Message);
        }
    }

    [Fact]
    public void Validation_runs_once_after_all_overrides_with_the_catalog_rules()
    {
        var ok = Sample().WithOverrides([new("training.lr", "0"), new("training.lr", "1e-4")]);
        Assert.Equal(1e-4, ok.Training.LearningRate);

        var e = Assert.Throws<RecipeValidationException>(() => Sample().WithOverride("training.warmup_fraction", "0.7"));
        Assert.Equal("Setting 'training.warmup_fraction' (Training.WarmupFraction) must be in [0, 0.5], got 0.7.", e.Message);
        var batch = Assert.Throws<RecipeValidationException>(() => Sample().WithOverride("training.batch_size", "0"));
        Assert.Contains("must be positive", batch.Message);
        Assert.Contains(Sample().WithOverride("training.lr", "0.5").Validate(), w => w.Contains("outside the usual LoRA range [1E-06, 0.01]"));
        Assert.Contains(Sample().WithOverride("data.validation_fraction", "0").Validate(), w => w.Contains("no evaluation"));
    }

    [Fact]
    public void A_setting_attribute_reaches_the_same_field_as_the_builder()
    {
        var recipe = new RecipeBuilder("attr", Llama.Descriptor)
            .Set("training.lr", "3e-4").Set("lora.r", "4")
            .Model(m => m.FromDirectory("m")).Lora(l => l.Target(Llama.QProj)).Build();
        Assert.Equal((3e-4, 4), (recipe.Training.LearningRate, recipe.Lora.Rank));
        var unknown = Assert.Throws<RecipeValidationException>(() => new RecipeBuilder("attr", Llama.Descriptor).Set("training.lern_rate", "1"));
        Assert.Contains("did you mean", unknown.Message);
    }

    [Fact]
    public void The_settings_page_is_the_table()
    {
        var root = Training.GeneratedLoopTests.RepositoryRoot();
        var path = Path.Combine(root, "docs", "settings.md");
        var expected = SettingsDocument.Render();
        if (Environment.GetEnvironmentVariable("LORADSL_UPDATE_SNAPSHOTS") == "1") File.WriteAllText(path, expected);
        Assert.True(File.Exists(path), "docs/settings.md is missing; run with LORADSL_UPDATE_SNAPSHOTS=1");
        Assert.Equal(expected, File.ReadAllText(path).Replace("\r\n", "\n"));
    }
}
