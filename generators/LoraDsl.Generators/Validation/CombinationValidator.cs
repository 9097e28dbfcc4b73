using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LoraDsl.Dsl;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Validation;

/// <summary>
/// Settings that are legal alone but do not fit the architecture (LORA020, LORA026, LORA031), that another setting makes pointless
/// (LORA023), or that cannot work together (LORA024, LORA025). Each looks at what the recipe ends up with: the last
/// statement of every key; a conflict is reported on the later of the settings involved.
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

        foreach (var conflict in AdaLoraConflicts(recipe.Settings.AsArray()))
            yield return conflict;

        if (SettingValues.Last(recipe.Settings, "training.neftune_alpha") is { Number: not null } neftune
            && !architecture.ModulesWithRole("Embedding").Any())
            yield return new DiagnosticInfo(DiagnosticDescriptors.NeftuneWithoutEmbeddings, neftune.Location, [architecture.Name]);

        if (TrainableTokensWithoutEmbeddings(recipe, architecture) is { } tokens) yield return tokens;
    }

    // l.TrainableTokens(..) / lora.trainable_token_indices in the list form trains rows of the input embedding; the map form names its modules.
    private static DiagnosticInfo? TrainableTokensWithoutEmbeddings(RecipeModel recipe, ArchitectureModel architecture) =>
        SettingValues.Last(recipe.Settings, "lora.trainable_token_indices") is { Text: { } text } tokens
            && text.Length > 0 && text != "none" && !text.TrimStart().StartsWith("{", System.StringComparison.Ordinal)
            && !architecture.ModulesWithRole("Embedding").Any()
            ? new DiagnosticInfo(DiagnosticDescriptors.TrainableTokensWithoutEmbeddings, tokens.Location, [architecture.Name])
            : null;

    // AdaLoraOptions' defaults for what a recipe leaves unset (PEFT's AdaLoraConfig); total_step has none the
    // compiler knows (the run's planned steps).
    private const double DefaultTargetR = 8, DefaultInitR = 12, DefaultTInit = 0, DefaultTFinal = 0;

    private static IEnumerable<DiagnosticInfo> AdaLoraConflicts(IReadOnlyList<SettingValue> settings)
    {
        if (!SettingValues.IsOn(settings, "lora.use_adalora")) yield break;
        var useAdaLora = Stated(settings, "lora.use_adalora")!;

        if (SettingValues.IsOn(settings, "lora.use_dora"))
        {
            var later = Later(useAdaLora, Stated(settings, "lora.use_dora"));
            yield return new DiagnosticInfo(DiagnosticDescriptors.AdaLoraWithDora, later!.Value.Value.Location, []);
        }

        var targetR = Stated(settings, "lora.adalora.target_r");
        var initR = Stated(settings, "lora.adalora.init_r");
        if ((targetR is not null || initR is not null)
            && Value(targetR, DefaultTargetR) is { } target && Value(initR, DefaultInitR) is { } init && target > init)
            yield return Schedule(Later(targetR, initR)!.Value.Value.Location,
                DslMessages.AdaLoraTargetAboveInit, Format(target), Format(init));

        var totalStep = Stated(settings, "lora.adalora.total_step");
        var tinit = Stated(settings, "lora.adalora.tinit");
        var tfinal = Stated(settings, "lora.adalora.tfinal");
        if (totalStep is { Value.Number: { } total }
            && Value(tinit, DefaultTInit) is { } start && Value(tfinal, DefaultTFinal) is { } end && start + end >= total)
            yield return Schedule(Later(Later(totalStep, tinit), tfinal)!.Value.Value.Location,
                DslMessages.AdaLoraNoBudgetPhase, Format(start), Format(end), Format(total));
    }

    private static DiagnosticInfo Schedule(SourceLocation? location, string format, params object[] arguments) =>
        new(DiagnosticDescriptors.AdaLoraScheduleImpossible, location, [string.Format(CultureInfo.InvariantCulture, format, arguments)]);

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    // The last statement of a key with its position among the settings (later statements win), or null when unset.
    private static (SettingValue Value, int Index)? Stated(IReadOnlyList<SettingValue> settings, string key)
    {
        for (var i = settings.Count - 1; i >= 0; i--)
            if (settings[i].Key == key) return (settings[i], i);
        return null;
    }

    private static (SettingValue Value, int Index)? Later((SettingValue Value, int Index)? a, (SettingValue Value, int Index)? b) =>
        a is null ? b : b is null ? a : b.Value.Index > a.Value.Index ? b : a;

    // A stated constant's number, the default when unset, null when stated but not a compile-time constant.
    private static double? Value((SettingValue Value, int Index)? stated, double fallback) =>
        stated is null ? fallback : stated.Value.Value.Number;

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
