using System.Collections.Generic;
using System.Linq;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Validation;

/// <summary>Settings that are legal alone but do not fit together or with the architecture (LORA020).</summary>
public static class CombinationValidator
{
    public static IEnumerable<DiagnosticInfo> Validate(RecipeModel recipe, ArchitectureModel architecture)
    {
        if (SettingValues.Last(recipe.Settings, "data.task") is { Text: { } task } stated && TaskMisfit(task, architecture) is { } misfit)
            yield return new DiagnosticInfo(DiagnosticDescriptors.TaskDoesNotFitArchitecture, stated.Location,
                [task, architecture.Name, misfit.Head, misfit.Role, Fitting(architecture)]);
    }

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
