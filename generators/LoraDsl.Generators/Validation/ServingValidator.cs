using System.Collections.Generic;
using System.Linq;
using LoraDsl.Dsl;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Validation;

/// <summary>
/// LORA030: a recipe served with <c>r.ServeWith(Server.X(..))</c> whose adapter that server could not load, by the rules of
/// <see cref="ServingRules"/> (the table <c>lint --for</c> and <c>RecipeDefinition.Validate</c> use). Each finding is reported
/// where it is caused: the setting's last statement, the target, or the ServeWith call for a default.
/// </summary>
public static class ServingValidator
{
    // The runtime's defaults (LoraOptions.Rank, AdaLoraOptions.InitR) for a recipe that states none.
    private const int DefaultRank = 16, DefaultAdaLoraInitR = 12;

    public static IEnumerable<DiagnosticInfo> Validate(RecipeModel recipe, ArchitectureModel? architecture, IReadOnlyList<TargetModel> targets)
    {
        if (recipe.Serving is not { } serving) yield break;
        var settings = recipe.Settings.AsArray();
        var adalora = SettingValues.IsOn(settings, "lora.use_adalora");
        var rank = adalora ? SettingValues.Last(settings, "lora.adalora.init_r") : SettingValues.Last(settings, "lora.r");
        var modulesToSave = SettingValues.Last(settings, "lora.modules_to_save");
        var task = SettingValues.Last(settings, "data.task");
        // PEFT (and RecipeBuilder.Build) train a classification head in full unless told otherwise.
        var impliedClassifier = modulesToSave is null && task is { Text: "classification" };
        var adapter = new ServedAdapter
        {
            PeftType = adalora ? "ADALORA" : "LORA",
            Rank = rank is null ? (adalora ? DefaultAdaLoraInitR : DefaultRank) : rank.Number is { } n ? (int)n : null,
            UseDora = SettingValues.IsOn(settings, "lora.use_dora"),
            UseRsLora = SettingValues.IsOn(settings, "lora.use_rslora"),
            Bias = SettingValues.Last(settings, "lora.bias")?.Text ?? "none",
            ModulesToSave = impliedClassifier ? new[] { "classifier" } : Split(modulesToSave?.Text),
            ModelType = architecture?.Name,
        };

        foreach (var (rule, message) in ServingRules.Check(serving.Server, adapter, serving.MaxLoraRank))
        {
            if (rule.SettingKey == "targets") continue;
            var stated = rule.Id == "rank" ? rank
                : rule.SettingKey == "lora.modules_to_save" && impliedClassifier ? task
                : rule.Id == "adalora" ? SettingValues.Last(settings, "lora.use_adalora")
                : SettingValues.Last(settings, rule.SettingKey);
            yield return Report(stated?.Location ?? serving.Location, message);
        }

        if (architecture is null) yield break;
        foreach (var target in targets)
        {
            var modules = RecipeValidator.Select(architecture, target).Select(s => s.Module).ToList();
            if (modules.Count == 0) continue;
            var targeted = new ServedAdapter
            {
                EmbeddingModules = modules.Where(m => m.Kind == "Embedding").Select(m => m.Name).ToArray(),
                ModuleNames = modules.Select(m => m.Name).ToArray(),
            };
            foreach (var (rule, message) in ServingRules.Check(serving.Server, targeted, serving.MaxLoraRank))
                if (rule.SettingKey == "targets") yield return Report(target.Location, message);
        }
    }

    private static DiagnosticInfo Report(SourceLocation? location, string message) =>
        new(DiagnosticDescriptors.ServerCannotLoadAdapter, location, [message]);

    private static string[] Split(string? list) =>
        list is null ? new string[0] : list.Split(',').Select(s => s.Trim()).Where(s => s.Length > 0).ToArray();
}
