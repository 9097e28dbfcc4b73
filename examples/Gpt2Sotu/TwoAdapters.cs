using System.Diagnostics;
using LoraDsl.Adapters;
using LoraDsl.Adapters.Combination;
using LoraDsl.Checkpoints;
using LoraDsl.Cli;
using LoraDsl.Data;
using LoraDsl.Tokenization;
using LoraDsl.Training;

namespace Gpt2Sotu;

/// <summary>
/// `two-adapters`: a State of the Union adapter and a Moby Dick adapter over the one base, switched on one
/// loaded model, combined with linear and cat (saved as PEFT adapters), and every variant's perplexity on
/// both held-out sets; then the recipe that declares the combination (<see cref="BlendRecipe"/>) starts from it and
/// trains on, and its start and end are measured the same way.
/// </summary>
static class TwoAdapters
{
    const string Sotu = "runs/sotu-gpt2/adapter", Moby = "runs/moby-gpt2/adapter";

    public static int Run()
    {
        var clock = Stopwatch.StartNew();
        if (!BaseModel.Exists) BaseModel.Prepare();
        foreach (var (recipe, folder) in new[] { ("sotu-gpt2", Sotu), ("moby-gpt2", Moby) })
        {
            if (File.Exists(Path.Combine(folder, AdapterFiles.WeightsFile))) continue;
            var trained = LoraDslCli.Run(["train", recipe], LoraDslRecipes.All, "gpt2-sotu");
            if (trained != 0) return trained;
        }

        using var model = ModelLoader.Load(BaseModel.Directory, new ModelLoadOptions { Device = "cpu" });
        model.eval();
        var tokenizer = TokenizerLoader.Load(BaseModel.Directory);
        var heldOut = new[] { ("State of the Union", "sotu-gpt2"), ("Moby Dick", "moby-gpt2") }
            .Select(p => (p.Item1, Data: DatasetBuilder.Build(LoraDslRecipes.All[p.Item2].Build(null).Data, tokenizer))).ToList();

        var adapters = ModelAdapters.Of(model);
        adapters.Load("sotu", Sotu);
        adapters.Load("moby", Moby);
        var linear = AdapterCombiner.Combine(model, [new("sotu", 0.5), new("moby", 0.5)], "linear", new CombinationOptions { Method = CombinationMethod.Linear });
        var cat = AdapterCombiner.Combine(model, [new("sotu", 0.5), new("moby", 0.5)], "cat", new CombinationOptions { Method = CombinationMethod.Cat });
        AdapterWriter.Save("runs/combined-linear", model, linear, Path.GetFullPath(BaseModel.Directory));
        AdapterWriter.Save("runs/combined-cat", model, cat, Path.GetFullPath(BaseModel.Directory));

        Console.WriteLine($"\n| adapters active | {string.Join(" | ", heldOut.Select(h => $"{h.Item1} perplexity"))} |");
        Console.WriteLine($"|---|{string.Concat(heldOut.Select(_ => "---|"))}");
        foreach (var (label, active) in new (string, string[]?)[]
        {
            ("none (base)", null), ("sotu", ["sotu"]), ("moby", ["moby"]), ("sotu + moby (both active)", ["sotu", "moby"]),
            ("linear 0.5/0.5 (r=16)", ["linear"]), ("cat 0.5/0.5 (r=32)", ["cat"]),
        })
        {
            IDisposable? disabled = null;
            if (active is null) disabled = adapters.Disable();
            else adapters.SetActive(active);
            var figures = heldOut.Select(h => Evaluator.Evaluate(model, h.Data, 4, 0, model.parameters().First().device)!.Perplexity!.Value);
            Console.WriteLine($"| {label} | {string.Join(" | ", figures.Select(p => p.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))} |");
            disabled?.Dispose();
        }

        // The recipe that declares the combination (BlendRecipe: cat of both at 0.5/0.5, r=32), trained 20 steps on SOTU.
        var blend = LoraDslCli.Run(["train", "sotu-moby-blend", "--overwrite"], LoraDslRecipes.All, "gpt2-sotu");
        if (blend != 0) return blend;
        foreach (var (label, name, folder) in new[]
        {
            ("sotu-moby-blend at its start (cat 0.5/0.5)", "blend-start", "runs/sotu-moby-blend/start-adapter"),
            ("sotu-moby-blend after 20 steps on SOTU", "blend", "runs/sotu-moby-blend/adapter"),
        })
        {
            adapters.Load(name, folder);
            adapters.SetActive(name);
            var figures = heldOut.Select(h => Evaluator.Evaluate(model, h.Data, 4, 0, model.parameters().First().device)!.Perplexity!.Value);
            Console.WriteLine($"| {label} | {string.Join(" | ", figures.Select(p => p.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))} |");
        }
        Console.WriteLine($"\ntwo-adapter run: {clock.Elapsed.TotalSeconds:F0} s (adapters in {Path.GetFullPath("runs")})");
        return 0;
    }
}
