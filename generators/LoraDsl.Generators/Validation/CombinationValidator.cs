using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LoraDsl.Dsl;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Validation;

/// <summary>
/// Settings that are legal alone but do not fit the architecture (LORA020) or that another setting makes pointless
/// (LORA023). Each looks at what the recipe ends up with: the last statement of every key.
/// </summary>
public static class CombinationValidator
{
    public static IEnumerable<DiagnosticInfo> Validate(RecipeModel recipe, ArchitectureModel architecture)
    {
        var task = SettingValues.Last(recipe.Settings, "data.task");
        if (task is { Text: { } name } && TaskMisfit(name, architecture) is { } misfit)
            yield return new DiagnosticInfo(DiagnosticDescriptors.TaskDoesNotFitArchitecture, task.Location,
                [name, architecture.Name, misfit.Head, misfit.Role, Fitting(architecture)]);

        if (SettingValues.Last(recipe.Settings, "data.validation_fraction") is { Number: 0 }
            && SettingValues.Last(recipe.Settings, "training.eval_every") is { Number: > 0 } evalEvery)
            yield return NoEffect(evalEvery, DslMessages.NoEffectBecauseNoValidation);

        if (task is { Text: { } notClassification and not "classification" })
            foreach (var key in new[] { "data.label_field", "data.labels" })
                if (SettingValues.Last(recipe.Settings, key) is { } labels)
                    yield return NoEffect(labels, string.Format(CultureInfo.InvariantCulture, DslMessages.NoEffectBecauseNotClassification, notClassification));
    }

    private static DiagnosticInfo NoEffect(SettingValue value, string because) =>
        new(DiagnosticDescriptors.SettingHasNoEffect, value.Location, [value.Key, because]);

    // A task needs the head that computes its loss: the LM head (role Head) or a classifier (role Classifier).
    // An architecture that declares neither is not checked.
    private static (string Head, string Role)? TaskMisfit(string task, ArchitectureModel architecture)
    {
        var hasHead = architecture.ModulesWithRole("Head").Any();
        var hasClassifier = architecture.ModulesWithRole("Classifier").Any();
        if (!hasHead && !hasClassifier) return null;
        return task switch
        {
            "classification" when !hasClassifier => ("sequence-classification head", "Classifier"),
            "causal_lm" or "instruction" when !hasHead => ("language-model head", "Head"),
            _ => null,
        };
    }

    private static string Fitting(ArchitectureModel architecture)
    {
        var tasks = new List<string>();
        if (architecture.ModulesWithRole("Head").Any()) tasks.AddRange(["'causal_lm'", "'instruction'"]);
        if (architecture.ModulesWithRole("Classifier").Any()) tasks.Add("'classification'");
        return string.Join(" or ", tasks) + " with this architecture";
    }
}
