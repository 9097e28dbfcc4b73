using System.CommandLine;
using LoraDsl.Lora;
using LoraDsl.Modules;
using TorchSharp.Modules;

namespace LoraDsl.Cli.Commands;

/// <summary>`inspect`: the model's adaptable modules, a recipe's resolved targets, the trainable-parameter table, adapter info.</summary>
static class InspectCommand
{
    public static Command Create(RecipeCatalog catalog)
    {
        var adapter = CommonOptions.Adapter();
        var use = CommonOptions.Use();
        var model = CommonOptions.Model();
        var recipe = new Option<string?>("--recipe", "-r") { Description = "Also show where this recipe places adapters (and use its model when --model is not given)" };
        var set = CommonOptions.Set();
        var all = new Option<bool>("--all-modules") { Description = "List every Linear/Conv1D module, not a per-layer summary" };
        var command = new Command("inspect", "Show modules, targets, trainable parameters and adapter info") { adapter, use, model, recipe, set, all };
        command.SetAction(parsed =>
        {
            var definition = parsed.GetValue(recipe) is { } name ? catalog.Find(name).Build(RecipeCatalog.Overrides(parsed.GetValue(set))) : null;
            var modelSource = parsed.GetValue(model) ?? (parsed.GetValue(adapter) is not { Length: > 0 } ? definition?.Model.Location : null);
            using var session = ModelSession.Open(modelSource, parsed.GetValue(adapter), parsed.GetValue(use), "cpu");
            var config = session.Model.Config;
            Console.WriteLine($"model: {session.CheckpointDirectory}");
            Console.WriteLine($"  model_type {config.ModelType}, layers {config.NumLayers}, hidden {config.HiddenSize}, vocab {config.VocabSize}, task {session.Model.Task}");
            Console.WriteLine("adaptable modules:");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (path, module) in session.Model.named_modules())
            {
                var shape = module switch
                {
                    Linear l => $"Linear {l.in_features}->{l.out_features}",
                    Conv1D c => $"Conv1D {c.InFeatures}->{c.OutFeatures} (weight [in,out])",
                    LoraLinear w => $"LoRA on {w.Base.Module.GetType().Name}",
                    _ => null,
                };
                if (shape is null || path.Length == 0) continue;
                // Collapse layer indices so a 32-layer model prints one line per module kind.
                var key = parsed.GetValue(all) ? path : string.Join('.', path.Split('.').Select(p => p.All(char.IsDigit) ? "{layer}" : p));
                if (seen.Add(key + shape)) Console.WriteLine($"  {key,-55} {shape}");
            }
            if (definition is not null)
            {
                var plan = definition.Targets.Resolve(definition.Architecture, config.NumLayers);
                Console.WriteLine($"recipe {definition.Name}: r={definition.Lora.Rank} alpha={definition.Lora.Alpha} dropout={definition.Lora.Dropout}");
                Console.WriteLine($"  {plan}");
                // PEFT's selection options, when the recipe asks for any (the adapter_config.json keys they become).
                var settings = definition.Settings().Where(kv => kv.Value is { Length: > 0 } && kv.Key is "lora.target_regex" or "lora.exclude_modules"
                    or "lora.layers_to_transform" or "lora.layers_pattern" or "lora.rank_pattern" or "lora.alpha_pattern");
                foreach (var (key, value) in settings) Console.WriteLine($"  {key} = {value}");
            }
            var adapters = session.Adapters.Describe();
            if (adapters.Count > 0)
            {
                Console.WriteLine($"adapters ({adapters.Count}; active: {(session.Adapters.Enabled ? string.Join(", ", session.Adapters.Active) : "none, --use base")}):");
                foreach (var summary in adapters)
                {
                    Console.WriteLine($"  {summary}");
                    Console.WriteLine($"    targets: {string.Join(", ", summary.Targets)}");
                    foreach (var m in session.Adapters.Modules(summary.Name).Take(parsed.GetValue(all) ? int.MaxValue : 0)) Console.WriteLine($"    {m}");
                }
            }
            Console.WriteLine(TrainableParameterReport.Of(session.Model));
            return 0;
        });
        return command;
    }
}
