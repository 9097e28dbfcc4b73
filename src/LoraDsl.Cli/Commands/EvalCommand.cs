using System.CommandLine;
using LoraDsl.Data;
using LoraDsl.Training;

namespace LoraDsl.Cli.Commands;

/// <summary>`eval &lt;recipe&gt; [--adapter dir]`: validation metrics of the base or of base + adapter on the recipe's data split.</summary>
static class EvalCommand
{
    public static Command Create(RecipeCatalog catalog)
    {
        var recipe = CommonOptions.Recipe();
        var adapter = CommonOptions.Adapter();
        var use = CommonOptions.Use();
        var model = CommonOptions.Model();
        var set = CommonOptions.Set();
        var device = CommonOptions.Device();
        var command = new Command("eval", "Evaluate on the recipe's validation split (same seed and split as training)") { recipe, adapter, use, model, set, device };
        command.SetAction(parsed =>
        {
            var definition = catalog.Find(parsed.GetValue(recipe)!).Build(RecipeCatalog.Overrides(parsed.GetValue(set)));
            var modelSource = parsed.GetValue(model) ?? (parsed.GetValue(adapter) is not { Length: > 0 } ? definition.Model.Location : null);
            using var session = ModelSession.Open(modelSource, parsed.GetValue(adapter), parsed.GetValue(use), parsed.GetValue(device)!);
            var data = DatasetBuilder.Build(definition.Data, session.RequireTokenizer());
            var device_ = session.Model.parameters().First().device;
            var metrics = Evaluator.Evaluate(session.Model, data, definition.Training.BatchSize, 0, device_)
                ?? throw new ArgumentException($"Recipe '{definition.Name}' has no validation split (data.validation_fraction is 0).");
            TrainCommand.PrintComparison(null, metrics);
            return 0;
        });
        return command;
    }
}
