// Linked into generators/LoraDsl.Generators: the compile-time diagnostics and the run-time checks share these texts.
using System;
using System.Collections.Generic;

namespace LoraDsl.Dsl;

/// <summary>Message formats shared by the LORA0xx diagnostics and the run-time validation.</summary>
internal static class DslMessages
{
    /// <summary>{0} architecture, {1} target, {2} "; did you mean 'x'?" or the list of modules.</summary>
    public const string UnknownModule = "Architecture '{0}' has no module '{1}'{2}";
    public const string MissingRole = "Architecture '{0}' has no module with role {1}; target one of its roles: {2}";
    public const string RankNotPositive = "LoRA rank must be positive, got {0}.";
    public const string AlphaNotPositive = "LoRA alpha must be positive, got {0}.";
    public const string DropoutOutOfRange = "LoRA dropout must be in [0, 1), got {0}.";
    public const string LayerOutOfRange = "Layer selection '{0}' is outside the {1} layers of architecture '{2}'; use layers 0..{1}";
    public const string MalformedLayers = "Layer selection '{0}' is malformed; write an index ('3'), a range ('0..4', end exclusive) or a list ('0,2,4')";
    public const string DuplicateTarget = "Target '{0}' selects module '{1}' that an earlier target already selects; remove one of them";
    public const string LayersOnSharedModule = "Module '{0}' of architecture '{1}' is not per-layer; remove the layer selection";
    /// <summary>{0} module path. Embedding LoRA is plain in PEFT: <see cref="DoraOnEmbedding"/>, <see cref="ResidualInitOnEmbedding"/>, <see cref="AdaLoraOnEmbedding"/>.</summary>
    public const string DoraOnEmbedding = "DoRA supports Linear and Conv1D modules only; module '{0}' is an Embedding: drop it from the targets or disable DoRA (lora.use_dora)";
    /// <summary>{0} module path, {1} the init ("pissa", "olora").</summary>
    public const string ResidualInitOnEmbedding = "lora.init={1} starts LoRA from the weight's SVD on Linear and Conv1D modules only; module '{0}' is an Embedding, where LoRA is plain (as in PEFT): drop it from the targets or use lora.init=default or gaussian";
    /// <summary>{0} module path.</summary>
    public const string AdaLoraOnEmbedding = "AdaLoRA adapts Linear and Conv1D modules only (as PEFT's AdaLoraModel); module '{0}' is an Embedding: drop it from the targets or turn AdaLoRA off (lora.use_adalora)";
    /// <summary>{0} module path.</summary>
    public const string SliceOfEmbedding = "Module '{0}' is an Embedding: LoRA there covers every output column, not a slice; target the whole module";
    public const string RecipeNotPartial = "Recipe class '{0}' must be declared partial so the generator can add its Definition and Run";
    public const string DuplicateRecipeName = "Recipe name '{0}' is used by both '{1}' and '{2}'; give each recipe a unique name";
    public const string MalformedPathTemplate = "Module '{0}' has a malformed path template '{1}': {2}";
    public const string DuplicateModuleName = "Architecture '{0}' declares module '{1}' twice; give each module a unique name";
    /// <summary>{0} key, {1} builder, {2} method, {3} allowed range, {4} value.</summary>
    public const string SettingOutOfRange = "Setting '{0}' ({1}.{2}) must be {3}, got {4}.";
    /// <summary>{0} key, {1} value, {2} consequence.</summary>
    public const string SettingAtMinimum = "Setting '{0}' is {1}: {2}.";
    /// <summary>{0} key, {1} value, {2} usual minimum, {3} usual maximum.</summary>
    public const string SettingUnusual = "Setting '{0}' is {1}, outside the usual LoRA range [{2}, {3}]; check the value.";
    /// <summary>{0} recipe, {1} key, {2} " (did you mean 'x'?)" or nothing (<see cref="SettingSuggestion"/>), {3} the known keys.</summary>
    public const string UnknownSetting = "Recipe '{0}' has no setting '{1}'{2}; known keys: {3}.";
    public const string SettingNeedsInteger = "Setting '{0}' needs an integer, got '{1}'.";
    public const string SettingNeedsNumber = "Setting '{0}' needs a number, got '{1}'.";
    public const string SettingNeedsBoolean = "Setting '{0}' needs true or false, got '{1}'.";
    /// <summary>{0} key, {1} the choices, {2} value.</summary>
    public const string SettingNeedsChoice = "Setting '{0}' is one of {1}, got '{2}'.";
    /// <summary>{0} file as written, {1} the project folder.</summary>
    public const string DataFileMissing = "Data file '{0}' is not in the project folder '{1}'; recipe paths are relative to the project folder: fix the path or add the file";
    /// <summary>{0} task ("classification"), {1} architecture, {2} the head it lacks, {3} role, {4} the tasks it fits.</summary>
    public const string TaskDoesNotFitArchitecture = "Data task '{0}' does not fit architecture '{1}': it has no {2} (a module with role {3}); use {4}";
    /// <summary>The kind as LORA021's {1} names it, with the reason for kinds LoRA never adapts.</summary>
    public static string KindWithReason(string kind) =>
        kind == "Norm" ? "Norm: its weight is one scale per feature, a vector a low-rank update cannot improve on; train it with modules_to_save instead" : kind;
    /// <summary>{0} module path, {1} its kind (<see cref="KindWithReason"/>).</summary>
    public const string ModuleKindNotAdaptable = "Module '{0}' ({1}) cannot take LoRA: LoRA adapts Linear, Conv1D and Embedding modules; drop it from the targets";
    /// <summary>{0} module, {1} the roles targeted, {2} all its roles.</summary>
    public const string DoraOnFusedSlice = "DoRA cannot adapt part of fused module '{0}' (roles {1} of {2}): its magnitude covers whole rows; target the whole module or disable DoRA";
    /// <summary>{0} key, {1} why (one of the NoEffectBecause texts).</summary>
    public const string SettingHasNoEffect = "Setting '{0}' has no effect: {1}; remove it or change the other setting";
    public const string NoEffectBecauseNoValidation = "data.validation_fraction is 0, so there is no validation split to evaluate";
    /// <summary>{0} the data task.</summary>
    public const string NoEffectBecauseNotClassification = "the data task is '{0}', and labels are read for classification only";
    public const string AdaLoraWithDora = "AdaLoRA does not support DoRA (PEFT refuses the combination too): turn one of them off";
    /// <summary>{0} target_r, {1} init_r.</summary>
    public const string AdaLoraTargetAboveInit = "AdaLoRA's target_r ({0}) must not exceed init_r ({1}): the rank budget only shrinks";
    /// <summary>{0} tinit, {1} tfinal, {2} total_step.</summary>
    public const string AdaLoraNoBudgetPhase = "AdaLoRA's schedule leaves no budgeting phase: tinit ({0}) + tfinal ({1}) must be below total_step ({2}); decrease tinit/tfinal or increase total_step";
    /// <summary>{0} the architecture's name.</summary>
    public const string NeftuneWithoutEmbeddings = "NEFTune adds noise to the input embeddings, but architecture '{0}' declares no module of role Embedding; remove training.neftune_alpha or declare the embedding module";

    /// <summary>{0} architecture or model. LORA031 and the run-time check.</summary>
    public const string TrainableTokensWithoutEmbeddings = "Trainable tokens (trainable_token_indices) train rows of the input embedding, but '{0}' has no module of role Embedding; remove lora.trainable_token_indices or name the embedding module (l.TrainableTokensOn(\"embed_tokens\", ...))";
    /// <summary>{0} the token's text, {1} how many ids, {2} the ids.</summary>
    public const string TrainableTokenNotOneToken = "Trainable token '{0}' is {1} tokens [{2}] for this model's tokenizer, not one: name a single vocabulary token (an added special token such as <|im_end|>) or give its id";
    /// <summary>{0} the token's text.</summary>
    public const string TrainableTokenWithoutTokenizer = "Trainable token '{0}' is given by its text, but no tokenizer was found beside the model (tokenizer.json, vocab.json + merges.txt or tokenizer.model) to turn it into an id; give its id instead";
    /// <summary>{0} method, {1} the adapters with their ranks ("'a' r=8, 'b' r=16").</summary>
    public const string CombinationNeedsEqualRanks = "Combination '{0}' needs adapters of equal rank, got {1}; use cat (ranks add up) or an svd form (svd, ties_svd, ...) instead";
    /// <summary>{0} method, {1} the adapters.</summary>
    public const string CombinationNeedsSharedModule = "Combination '{0}': adapters {1} have no module in common (their targets are disjoint); use cat, which stacks them into their union";
    /// <summary>{0} recipe, {1} what the start gives ("rank 16 (cat of 8 + 8)"), {2} the recipe's value, {3} the setting.</summary>
    public const string StartDoesNotFit = "Recipe '{0}' starts from {1}, but its own {3} is {2}; make them equal or start from another adapter";
    /// <summary>{0} recipe, {1} the source, {2} the module.</summary>
    public const string StartAdaptsUntargetedModule = "Recipe '{0}' starts from {1}, which adapts module '{2}' that this recipe does not target; add the target or start from another adapter (its weights would be dropped)";
    /// <summary>{0} recipe, {1} the source, {2} the module.</summary>
    public const string StartMissesTargetedModule = "Recipe '{0}' starts from {1}, which does not adapt module '{2}' that this recipe targets; remove the target or start from an adapter that has it";
    /// <summary>{0} recipe, {1} the chain ("a -> b -> a").</summary>
    public const string StartCycle = "Recipe '{0}' starts from its own adapter through {1}; a recipe cannot start from what it trains";
    /// <summary>{0} recipe, {1} the source recipe, {2} its architecture, {3} this recipe's architecture.</summary>
    public const string StartOtherArchitecture = "Recipe '{0}' starts from recipe '{1}' of architecture '{2}', but it is a '{3}' recipe; start from an adapter of the same architecture";
    /// <summary>{0} why ("AdaLoRA", "init pissa").</summary>
    public const string StartNotPlainLora = "A recipe that starts from an adapter trains plain LoRA adapters: {0} cannot continue from saved A and B; turn it off or start fresh";
    /// <summary>{0} the setting key (lora.target_regex, lora.rank_pattern, ...), {1} the pattern, {2} .NET's reason.</summary>
    public const string InvalidModuleRegex = "{0} '{1}' is not a valid regular expression: {2}";
    /// <summary>{0} lora.rank_pattern or lora.alpha_pattern, {1} the key, {2} architecture, {3} some of its module paths.</summary>
    public const string PatternKeyMatchesNothing = "{0} key '{1}' matches no module of architecture '{2}' (PEFT matches it against the end of a module path, e.g. {3}); fix the key or remove it";
    /// <summary>{0} the layer index, {1} depth, {2} architecture.</summary>
    public const string LayerToTransformOutOfRange = "lora.layers_to_transform names layer {0}, outside the {1} layers of architecture '{2}'; use indices 0..{3}";
    /// <summary>{0} the exclude entry, {1} architecture.</summary>
    public const string ExcludeMatchesNothing = "lora.exclude_modules entry '{0}' matches no module of architecture '{1}'; it excludes nothing";
    /// <summary>{0} the option that cannot go with a regex target (layers_to_transform, layers_pattern, typed targets).</summary>
    public const string RegexTargetWith = "lora.target_regex selects modules by one regular expression (PEFT's target_modules as a string), which cannot be combined with {0}; use a list of targets instead";
    public const string PatternWithAdaLora = "lora.rank_pattern / lora.alpha_pattern set per-module LoRA ranks; AdaLoRA allocates its ranks itself (init_r, target_r): remove the patterns or turn AdaLoRA off";
    public const string LayersPatternWithoutLayers = "lora.layers_pattern names the layer list for lora.layers_to_transform; set lora.layers_to_transform too (PEFT requires it)";
    /// <summary>{0} lora.rank_pattern or lora.alpha_pattern, {1} the key, {2} the value.</summary>
    public const string PatternValueNotPositive = "{0} '{1}' is {2}; it must be positive";
    /// <summary>{0} what the regex was matched against (a model or an architecture), {1} the regex.</summary>
    public const string RegexTargetMatchesNothing = "lora.target_regex '{1}' matches no Linear, Conv1D or Embedding module of {0}";
    public const string NotAnArchitecture = "Type '{0}' is not an architecture; pass a class marked [LoraArchitecture]";

    /// <summary>The tail of <see cref="UnknownModule"/>: a suggestion when one is close, else the known names.</summary>
    public static string UnknownModuleTail(string? suggestion, IEnumerable<string> known) =>
        suggestion is null ? "; target one of: " + string.Join(", ", known) : $"; did you mean '{suggestion}'?";

    /// <summary>The suggestion part of <see cref="UnknownSetting"/>.</summary>
    public static string SettingSuggestion(string? suggestion) => suggestion is null ? "" : $" (did you mean '{suggestion}'?)";

    /// <summary>The closest candidate by edit distance, if within a third of the name's length (at least 2 edits).</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return bestDistance <= Math.Max(2, name.Length / 3) ? best : null;
    }

    /// <summary>Levenshtein distance with two rows.</summary>
    public static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), substitution);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
