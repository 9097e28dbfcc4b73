using LlamaInstruct;
using LoraDsl.Adapters;
using LoraDsl.Adapters.Start;
using LoraDsl.Data;
using LoraDsl.Recipes;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tokenization;
using LoraDsl.Training;
using TinyLlama = LlamaInstruct.TinyLlama;
using TorchSharp;
using Xunit;
using static LoraDsl.Tests.Examples.RecipeRuns;

namespace LoraDsl.Tests.Adapters.Start;

/// <summary>
/// A recipe whose adapters start from saved ones (<c>r.StartFrom</c>): continuing one adapter starts exactly where it
/// ended; a cat combination starts exactly at the sum of its inputs' outputs; a start that does not fit is one error
/// naming the file and the setting.
/// </summary>
[Collection(LoraDsl.Tests.Training.TorchRandomCollection.Name)]
public class StartingPointTests
{
    static readonly Lazy<string> Checkpoint = new(() => TinyLlama.Write(TinyCheckpoints.NewFolder("start-llama")));

    static readonly Lazy<(string First, string Second, double FirstFinalLoss)> Trained = new(() =>
    {
        var root = TinyCheckpoints.NewFolder("start-sources");
        var first = FirstAdapterRecipe.Run(Quiet(Set("model.path", Checkpoint.Value), Set("training.output_dir", Path.Combine(root, "first"))));
        var second = SecondAdapterRecipe.Run(Quiet(Set("model.path", Checkpoint.Value), Set("training.output_dir", Path.Combine(root, "second"))));
        return (first.AdapterDirectory!, second.AdapterDirectory!, first.Training.Evaluations[^1].Loss);
    });

    [Fact]
    public void A_recipe_type_names_the_adapter_that_recipe_writes()
    {
        var start = ContinueRecipe.Definition.Start!;
        var adapter = Assert.Single(start.Adapters);
        Assert.Equal(new StartingAdapter("start-first", Path.Combine("runs", "start-first", RunFolder.AdapterName), 1.0, "start-first"), adapter);
        Assert.False(start.Combines);

        var cat = CatStartRecipe.Definition.Start!;
        Assert.True(cat.Combines);
        Assert.Equal([1.0, 0.5], cat.Adapters.Select(a => a.Weight));
        Assert.Equal(["start-first", "start-second"], cat.Adapters.Select(a => a.Name));
        // --set reaches the same fields, and run.json's settings read them back.
        var set = ContinueRecipe.Build([Set("start.adapters", "a=/x/adapter,/y/adapter"), Set("start.weights", "1,0.25"), Set("start.method", "linear")]);
        Assert.Equal([new StartingAdapter("a", "/x/adapter"), new StartingAdapter("y", "/y/adapter", 0.25)], set.Start!.Adapters);
        // New folders for a declared combination keep its weights.
        Assert.Equal([1.0, 0.5], CatStartRecipe.Build([Set("start.adapters", "a=/a,b=/b")]).Start!.Adapters.Select(a => a.Weight));
        Assert.Contains(new KeyValuePair<string, string?>("start.method", "linear"), set.Settings());
        Assert.Contains("3 values", Assert.Throws<RecipeValidationException>(() => ContinueRecipe.Build([Set("start.weights", "1,2,3")])).Message);
    }

    [Fact]
    public void Continuing_an_adapter_starts_from_its_final_validation_loss_and_trains_on()
    {
        var root = TinyCheckpoints.NewFolder("start-continue");
        var first = FirstAdapterRecipe.Run(Quiet(Set("model.path", Checkpoint.Value), Set("training.output_dir", Path.Combine(root, "first"))));
        var next = ContinueRecipe.Run(Quiet(Set("model.path", Checkpoint.Value), Set("training.output_dir", Path.Combine(root, "next")),
            Set("start.adapters", first.AdapterDirectory!)));

        // The same weights on the same validation split: the loss the first run ended with, to the bit.
        Assert.Equal(first.Training.Evaluations[^1].Loss, next.Before!.Loss);
        Assert.NotEqual(first.Before!.Loss, next.Before.Loss);
        Assert.Equal(TrainingStatus.Completed, next.Training.Status);
        Assert.NotEqual(next.Before.Loss, next.Training.Evaluations[^1].Loss);

        // run.json records the start's weights like a data file, and reproduce sees when they change.
        var record = RunRecord.Read(Path.Combine(root, "next", RunManifest.FileName));
        var weights = Path.GetFullPath(Path.Combine(first.AdapterDirectory!, AdapterFiles.WeightsFile));
        Assert.Equal([(weights, RunManifest.FileSha256(weights))], record.StartAdapterFiles);
        Assert.Empty(record.ChangedStartAdapters());
        File.AppendAllText(weights, " ");
        Assert.Equal([weights], record.ChangedStartAdapters());
    }

    [Fact]
    public void A_recipe_without_StartFrom_continues_an_adapter_named_with_set()
    {
        var (first, _, finalLoss) = Trained.Value;
        var output = TinyCheckpoints.NewFolder("start-by-set");
        var more = FirstAdapterRecipe.Run(Quiet(Set("model.path", Checkpoint.Value), Set("training.output_dir", output), Set("start.adapters", first)));
        // Started where the first run's adapter ended (its last validation loss, to the bit), not from fresh adapters.
        Assert.Equal(finalLoss, more.Before!.Loss);
        Assert.Equal(TrainingStatus.Completed, more.Training.Status);
    }

    [Fact]
    public void A_cat_start_begins_exactly_at_the_weighted_sum_of_its_adapters()
    {
        var (first, second, _) = Trained.Value;
        var output = TinyCheckpoints.NewFolder("start-cat");
        var overrides = new[] { Set("model.path", Checkpoint.Value), Set("training.output_dir", output), Set("start.adapters", $"start-first={first},start-second={second}") };
        var report = CatStartRecipe.Run(Quiet(overrides));

        // Independently: the base with both adapters loaded as they are, active together, the second's B halved (its weight).
        var recipe = CatStartRecipe.Build(overrides);
        var data = DatasetBuilder.Build(recipe.Data, TokenizerLoader.Load(Checkpoint.Value));
        using var model = RecipeModelLoader.Load(recipe, Checkpoint.Value, data, "cpu");
        var adapters = ModelAdapters.Of(model);
        adapters.Load("a", first);
        adapters.Load("b", second);
        using (torch.no_grad())
            foreach (var module in adapters.Modules("b")) module.Adapter.B.mul_(0.5);
        adapters.SetActive("a", "b");
        model.eval();
        var expected = Evaluator.Evaluate(model, data, recipe.Training.BatchSize, 0, torch.CPU)!.Loss;
        Assert.Equal(expected, report.Before!.Loss, 5);
        Assert.True(File.Exists(Path.Combine(output, StartingPoint.CombinedFolderName, AdapterFiles.WeightsFile)));
        Assert.Equal(TrainingStatus.Completed, report.Training.Status);
    }

    [Fact]
    public void A_start_that_does_not_fit_is_one_error_naming_the_file_and_the_setting()
    {
        var (first, second, _) = Trained.Value;
        var root = TinyCheckpoints.NewFolder("start-misfit");
        var rank = Assert.Throws<AdapterMismatchException>(() => ContinueRecipe.Run(Quiet(Set("model.path", Checkpoint.Value),
            Set("training.output_dir", Path.Combine(root, "rank")), Set("start.adapters", first), Set("lora.r", "8"))));
        Assert.Contains("r=4", rank.Message);
        Assert.Contains("lora.r is 8", rank.Message);
        Assert.Contains(Path.Combine(first, AdapterFiles.ConfigFile), rank.Message);

        var alpha = Assert.Throws<AdapterMismatchException>(() => ContinueRecipe.Run(Quiet(Set("model.path", Checkpoint.Value),
            Set("training.output_dir", Path.Combine(root, "alpha")), Set("start.adapters", second))));
        Assert.Contains("lora_alpha=4", alpha.Message);
        Assert.Contains("lora.alpha is 8", alpha.Message);

        // A cat of 4 + 4 into a recipe of rank 4.
        var combined = Assert.Throws<AdapterMismatchException>(() => CatStartRecipe.Run(Quiet(Set("model.path", Checkpoint.Value),
            Set("training.output_dir", Path.Combine(root, "cat")), Set("start.adapters", $"a={first},b={second}"), Set("lora.r", "4"))));
        Assert.Contains("lora.r is 4", combined.Message);
        Assert.Contains("r=8", combined.Message);

        var missing = Assert.Throws<AdapterMismatchException>(() => ContinueRecipe.Run(Quiet(Set("model.path", Checkpoint.Value),
            Set("training.output_dir", Path.Combine(root, "missing")), Set("start.adapters", Path.Combine(root, "nowhere")))));
        Assert.Contains("has no adapter_config.json", missing.Message);

        var plain = Assert.Throws<RecipeValidationException>(() => ContinueRecipe.Build([Set("lora.init", "pissa")]));
        Assert.Contains("init pissa", plain.Message);
    }

    [Fact]
    public void An_adapter_with_modules_the_recipe_does_not_target_is_refused_not_dropped()
    {
        var checkpoint = Checkpoint.Value;
        var root = TinyCheckpoints.NewFolder("start-untargeted");
        // An adapter on q, k, v and o: the continuing recipe targets q and v only.
        var wide = InstructRecipe.Run(Quiet(Set("model.path", checkpoint), Set("training.output_dir", Path.Combine(root, "wide")), Set("training.max_steps", "1"),
            Set("data.max_records", "16"), Set("lora.r", "4"), Set("lora.alpha", "8"), Set("training.grad_accum", "2")));
        var error = Assert.Throws<AdapterMismatchException>(() => ContinueRecipe.Run(Quiet(Set("model.path", checkpoint),
            Set("training.output_dir", Path.Combine(root, "next")), Set("start.adapters", wide.AdapterDirectory!))));
        Assert.Contains("adapts module 'model.layers.0.self_attn.k_proj' that this recipe does not target", error.Message);
        Assert.StartsWith(Path.Combine(wide.AdapterDirectory!, AdapterFiles.WeightsFile), error.Message);
    }
}
