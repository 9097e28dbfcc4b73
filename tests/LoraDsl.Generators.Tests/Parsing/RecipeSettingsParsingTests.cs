using LoraDsl.Generators.Parsing;
using LoraDsl.Generators.Tests.Infrastructure;

namespace LoraDsl.Generators.Tests.Parsing;

/// <summary>Every builder call and recipe attribute becomes catalog settings with --set texts and exact spans.</summary>
public sealed class RecipeSettingsParsingTests
{
    private static (RecipeModel Model, FluentRecipe Stated, string Source) Parse(string source)
    {
        var compilation = TestCompilation.Create(("R.cs", source));
        var type = compilation.GetTypeByMetadataName("R") ?? throw new InvalidOperationException("no class R");
        var parsed = RecipeParser.ParseWithStatements(type, tree => compilation.GetSemanticModel(tree), CancellationToken.None)
            ?? throw new InvalidOperationException("R is not a recipe");
        return (parsed.Model, parsed.Stated, source);
    }

    private static string SpanText(string source, SettingValue value) =>
        source.Substring(value.Location!.Span.Start, value.Location.Span.Length);

    private static (string Key, string? Text, double? Number)[] Rows(RecipeModel model) =>
        [.. model.Settings.Select(s => (s.Key, s.Text, s.Number))];

    [Fact]
    public void FluentChain_GivesEverySettingInOrder_WithSetTexts()
    {
        var (model, _, source) = Parse("""
            using LoraDsl.Architectures;
            using LoraDsl.Lora;
            using LoraDsl.Recipes;
            using LoraDsl.Training;

            [LoraRecipe("r", typeof(Llama))]
            public partial class R
            {
                const int Rank = 16;
                static void Configure(RecipeBuilder r) => r
                    .Model(m => m.FromDirectory("models/llama"))
                    .Lora(l => l.Rank(Rank).Alpha(32).Dropout(0.05f).Dora().Bias(LoraBias.LoraOnly).ModulesToSave("lm_head", "norm").Target("q_proj"))
                    .Data(d => d.JsonLines("data/a.jsonl", "data/b.jsonl").CausalLanguageModeling().MaxTokens(256).ValidationFraction(0.1))
                    .Training(t => t.LearningRate(2e-4).Decay(LearningRateDecay.Cosine).MaxGradNorm(null).Epochs(1).Seed(System.Environment.ProcessorCount));
            }
            """);

        Assert.Equal(
            [
                ("model.path", "models/llama", null),
                ("lora.r", "16", 16), ("lora.alpha", "32", 32), ("lora.dropout", "0.05", 0.05), ("lora.use_dora", "true", null),
                ("lora.bias", "lora_only", null), ("lora.modules_to_save", "lm_head,norm", null),
                ("data.files", "data/a.jsonl,data/b.jsonl", null), ("data.format", "jsonl", null),
                ("data.task", "causal_lm", null), ("data.text_field", "text", null),
                ("data.max_tokens", "256", 256), ("data.validation_fraction", "0.1", 0.1),
                ("training.lr", "0.0002", 2e-4), ("training.decay", "cosine", null), ("training.max_grad_norm", "none", null),
                ("training.epochs", "1", 1), ("training.seed", null, null),
            ],
            Rows(model));

        var settings = model.Settings.ToDictionary(s => s.Key);
        Assert.Equal("Rank", SpanText(source, settings["lora.r"]));
        Assert.Equal("\"data/a.jsonl\", \"data/b.jsonl\"", SpanText(source, settings["data.files"]));
        Assert.Equal("JsonLines", SpanText(source, settings["data.format"]));
        // The omitted textField parameter is stated by the call itself.
        Assert.Equal("CausalLanguageModeling", SpanText(source, settings["data.text_field"]));
        Assert.Equal("System.Environment.ProcessorCount", SpanText(source, settings["training.seed"]));
        Assert.False(settings["training.seed"].IsConstant);
    }

    [Fact]
    public void ClassificationAndNamedArguments_MapToTheirKeys()
    {
        var (model, stated, source) = Parse("""
            using LoraDsl.Architectures;
            using LoraDsl.Recipes;

            [LoraRecipe("r", typeof(Bert))]
            public partial class R
            {
                static void Configure(RecipeBuilder r) => r
                    .Data(d => d.Csv(new[] { "x.csv" }).Classification(labelField: "y", textField: "body").Classification("t", "l", "ham", "spam"));
            }
            """);

        Assert.Equal(
            [
                ("data.files", "x.csv", null), ("data.format", "csv", null),
                ("data.task", "classification", null), ("data.text_field", "body", null), ("data.label_field", "y", null),
                ("data.task", "classification", null), ("data.text_field", "t", null), ("data.label_field", "l", null), ("data.labels", "ham,spam", null),
            ],
            Rows(model));
        var file = Assert.Single(stated.DataFiles);
        Assert.Equal("x.csv", file.Path);
        Assert.Equal("\"x.csv\"", source.Substring(file.Location!.Span.Start, file.Location.Span.Length));
    }

    [Fact]
    public void Attributes_GiveSettingsBeforeConfigure_SettingAttributesLast()
    {
        var (model, _, source) = Parse("""
            using LoraDsl.Architectures;
            using LoraDsl.Recipes;

            [LoraRecipe("r", typeof(Llama), Model = "models/llama")]
            [Setting("training.learning_rate", "3e-4")]
            [Setting("nope", "1")]
            [Lora(Rank = 8, UseRsLora = true, Dropout = 0.1)]
            public partial class R
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(4));
            }
            """);

        Assert.Equal(
            [
                ("model.path", "models/llama", null), ("lora.r", "8", 8), ("lora.use_rslora", "true", null), ("lora.dropout", "0.1", 0.1),
                ("training.lr", "3e-4", 3e-4), ("nope", "1", null), ("lora.r", "4", 4),
            ],
            Rows(model));
        Assert.Equal("true", SpanText(source, model.Settings[2]));
        // [Setting] after the other attributes: the alias resolved, the key's span kept for LORA017.
        Assert.Equal("\"3e-4\"", SpanText(source, model.Settings[4]));
        Assert.Equal("\"nope\"", source.Substring(model.Settings[5].KeyLocation!.Span.Start, model.Settings[5].KeyLocation!.Span.Length));
        // The attribute options the emitter writes are still there.
        Assert.Equal(["Rank", "UseRsLora", "Dropout"], model.Options.Select(o => o.Option));
    }

    [Fact]
    public void OneSettingMethods_AndBetas_MapThroughTheCatalog()
    {
        var (model, stated, _) = Parse("""
            using LoraDsl.Architectures;
            using LoraDsl.Data;
            using LoraDsl.Recipes;

            [LoraRecipe("r", typeof(Llama))]
            public partial class R
            {
                static void Configure(RecipeBuilder r) => r
                    .Data(d => d.Files("a.txt", "b.txt").Format(DataFormat.PlainText).Task(DataTask.InstructionTuning).LabelField("y"))
                    .Training(t => t.Betas(0.9, 0.999).WarmupFraction(0.1).SaveEvery(0));
            }
            """);

        Assert.Equal(
            [
                ("data.files", "a.txt,b.txt", null), ("data.format", "text", null), ("data.task", "instruction", null), ("data.label_field", "y", null),
                ("training.beta1", "0.9", 0.9), ("training.beta2", "0.999", 0.999), ("training.warmup_fraction", "0.1", 0.1), ("training.save_every", "0", 0),
            ],
            Rows(model));
        Assert.Equal(["a.txt", "b.txt"], stated.DataFiles.Select(f => f.Path));
    }

    [Fact]
    public void QuantizationBuilder_Nf4AndFp4_StateTheDataType()
    {
        var (model, _, source) = Parse("""
            using LoraDsl.Architectures;
            using LoraDsl.Quantization;
            using LoraDsl.Recipes;

            [LoraRecipe("r", typeof(Llama))]
            public partial class R
            {
                static void Configure(RecipeBuilder r) => r
                    .Quantization(q => q.Nf4().DoubleQuant().BlockSize(64).Fp4().DataType(FourBitDataType.Nf4));
            }
            """);

        Assert.Equal(
            [
                ("quantization.type", "nf4", null), ("quantization.double_quant", "true", null), ("quantization.blocksize", "64", 64),
                ("quantization.type", "fp4", null), ("quantization.type", "nf4", null),
            ],
            Rows(model));
        Assert.Equal("Fp4", SpanText(source, model.Settings[3]));
    }

    [Fact]
    public void BrokenCode_ParsesWithoutThrowing()
    {
        var (model, _, _) = Parse("""
            using LoraDsl.Architectures;
            using LoraDsl.Recipes;

            [LoraRecipe("r", typeof(Llama))]
            public partial class R
            {
                static void Configure(RecipeBuilder r) => r.Training(t => t.LearningRate().Epochs("x").Nope(3)).Data(d => d.JsonLines(
            }
            """);

        // What binds is read; the rest (no argument, a string for an int, an unknown method) is left out or unknown.
        Assert.Contains(model.Settings, s => s.Key == "data.format" && s.Text == "jsonl");
        Assert.DoesNotContain(model.Settings, s => s.Key == "training.lr");
    }
}
