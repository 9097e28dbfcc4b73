using LoraDsl.Dsl;
using Microsoft.CodeAnalysis;

namespace LoraDsl.Generators.Diagnostics;

/// <summary>Every LORA0xx diagnostic, in id order. Messages come from the runtime's <see cref="DslMessages"/>.</summary>
public static class DiagnosticDescriptors
{
    private const string Category = "LoraDsl";

    /// <summary>The repository the help links point into; the same address as RepositoryUrl in Directory.Build.props (a test keeps them equal).</summary>
    public const string RepositoryUrl = "https://github.com/loradsl/LoraDsl";

    /// <summary>Each diagnostic's help link: its row's anchor in docs/diagnostics.md, absolute so that it works for a package user.</summary>
    public const string HelpLinkBase = RepositoryUrl + "/blob/main/docs/diagnostics.md#";

    public static readonly DiagnosticDescriptor UnknownModule = Error("LORA001", "Unknown module for the architecture", DslMessages.UnknownModule);
    public static readonly DiagnosticDescriptor MissingRole = Error("LORA002", "The architecture has no module with this role", DslMessages.MissingRole);
    public static readonly DiagnosticDescriptor RankNotPositive = Error("LORA003", "LoRA rank must be positive", DslMessages.RankNotPositive);
    public static readonly DiagnosticDescriptor AlphaNotPositive = Error("LORA004", "LoRA alpha must be positive", DslMessages.AlphaNotPositive);
    public static readonly DiagnosticDescriptor DropoutOutOfRange = Error("LORA005", "LoRA dropout must be in [0, 1)", DslMessages.DropoutOutOfRange);
    public static readonly DiagnosticDescriptor LayerOutOfRange = Error("LORA006", "Layer selection outside the model's depth", DslMessages.LayerOutOfRange);

    public static readonly DiagnosticDescriptor DuplicateTarget = Warning("LORA007", "Duplicate or overlapping targets", DslMessages.DuplicateTarget);

    /// <summary>The message is <see cref="DslMessages.LayersOnSharedModule"/>, formatted.</summary>
    public static readonly DiagnosticDescriptor OptionDoesNotFitModule = Error("LORA008", "Option does not fit the module kind", "{0}");
    public static readonly DiagnosticDescriptor RecipeNotPartial = Error("LORA009", "Recipe class must be partial", DslMessages.RecipeNotPartial);

    public static readonly DiagnosticDescriptor DuplicateRecipeName = new(
        "LORA010", "Two recipes share one name", DslMessages.DuplicateRecipeName, Category, DiagnosticSeverity.Error, true,
        helpLinkUri: HelpLink("LORA010"), customTags: WellKnownDiagnosticTags.CompilationEnd);

    public static readonly DiagnosticDescriptor MalformedPathTemplate = Error("LORA011", "Malformed module path template", DslMessages.MalformedPathTemplate);
    public static readonly DiagnosticDescriptor DuplicateModuleName = Error("LORA012", "Duplicate module name in an architecture", DslMessages.DuplicateModuleName);
    public static readonly DiagnosticDescriptor NotAnArchitecture = Error("LORA013", "Recipe architecture is not a [LoraArchitecture] class", DslMessages.NotAnArchitecture);
    public static readonly DiagnosticDescriptor MalformedLayers = Error("LORA014", "Malformed layer selection", DslMessages.MalformedLayers);

    /// <summary>The message is the setting's own range error (<c>SettingInfo.Error</c>), which run time throws too.</summary>
    public static readonly DiagnosticDescriptor SettingOutOfRange = Error("LORA015", "Setting outside its allowed range", "{0}");

    /// <summary>The message is <c>SettingInfo.Warning</c>: outside the usual range, or a minimum that turns something off.</summary>
    public static readonly DiagnosticDescriptor SettingUnusual = Warning("LORA016", "Setting outside its usual range", "{0}");

    public static readonly DiagnosticDescriptor UnknownSetting = Error("LORA017", "Unknown setting key", DslMessages.UnknownSetting);

    /// <summary>The message is one of DslMessages.SettingNeedsInteger/Number/Boolean/Choice, formatted.</summary>
    public static readonly DiagnosticDescriptor SettingValueUnreadable = Error("LORA018", "Setting value does not fit its kind", "{0}");

    public static readonly DiagnosticDescriptor DataFileMissing = Warning("LORA019", "Data file not found in the project folder", DslMessages.DataFileMissing);
    public static readonly DiagnosticDescriptor TaskDoesNotFitArchitecture = Error("LORA020", "Data task does not fit the architecture", DslMessages.TaskDoesNotFitArchitecture);
    public static readonly DiagnosticDescriptor ModuleKindNotAdaptable = Error("LORA021", "LoRA on a module kind it cannot adapt", DslMessages.ModuleKindNotAdaptable);
    public static readonly DiagnosticDescriptor DoraOnFusedSlice = Error("LORA022", "DoRA on a slice of a fused module", DslMessages.DoraOnFusedSlice);

    public static readonly DiagnosticDescriptor SettingHasNoEffect = Warning("LORA023", "Setting has no effect", DslMessages.SettingHasNoEffect);

    public static readonly DiagnosticDescriptor AdaLoraWithDora = Error("LORA024", "AdaLoRA with DoRA", DslMessages.AdaLoraWithDora);

    public static readonly DiagnosticDescriptor AdaLoraScheduleImpossible = Error("LORA025", "AdaLoRA ranks or schedule cannot work", "{0}");

    public static readonly DiagnosticDescriptor NeftuneWithoutEmbeddings = Error("LORA026", "NEFTune on an architecture without input embeddings", DslMessages.NeftuneWithoutEmbeddings);

    /// <summary>The message is one of DslMessages.StartDoesNotFit/StartAdaptsUntargetedModule/StartMissesTargetedModule/StartCycle/StartOtherArchitecture/StartNotPlainLora.</summary>
    public static readonly DiagnosticDescriptor StartDoesNotFit = new(
        "LORA027", "Starting adapter does not fit the recipe", "{0}", Category, DiagnosticSeverity.Error, true,
        helpLinkUri: HelpLink("LORA027"), customTags: WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>The message is DslMessages.CombinationNeedsEqualRanks or CombinationNeedsSharedModule.</summary>
    public static readonly DiagnosticDescriptor CombinationImpossible = new(
        "LORA028", "Adapters cannot be combined with this method", "{0}", Category, DiagnosticSeverity.Error, true,
        helpLinkUri: HelpLink("LORA028"), customTags: WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>The message is one of DslMessages.DoraOnEmbedding/ResidualInitOnEmbedding/AdaLoraOnEmbedding/SliceOfEmbedding, formatted.</summary>
    public static readonly DiagnosticDescriptor EmbeddingLoraIsPlain = Error("LORA029", "Embedding LoRA is plain LoRA", "{0}");

    /// <summary>The message is one ServingRules finding: "vLLM [dora]: ... (server source file, function)".</summary>
    public static readonly DiagnosticDescriptor ServerCannotLoadAdapter = Error("LORA030", "The server named by ServeWith cannot load this adapter", "{0}");

    /// <summary>The message is DslMessages.InvalidModuleRegex: lora.target_regex or a rank/alpha pattern key is not a regex.</summary>
    public static readonly DiagnosticDescriptor InvalidModuleRegex = Error("LORA032", "Invalid regular expression in a module selection", "{0}");

    /// <summary>The message is DslMessages.PatternKeyMatchesNothing or RegexTargetMatchesNothing.</summary>
    public static readonly DiagnosticDescriptor SelectionMatchesNothing = Error("LORA033", "A rank_pattern, alpha_pattern or regex target matches no module", "{0}");

    /// <summary>The message is DslMessages.LayerToTransformOutOfRange.</summary>
    public static readonly DiagnosticDescriptor LayerToTransformOutOfRange = Error("LORA034", "layers_to_transform outside the model's depth", "{0}");

    /// <summary>The message is DslMessages.ExcludeMatchesNothing.</summary>
    public static readonly DiagnosticDescriptor ExcludeMatchesNothing = Warning("LORA035", "exclude_modules entry matches no module", "{0}");

    /// <summary>The message is DslMessages.RegexTargetWith, LayersPatternWithoutLayers or PatternValueNotPositive.</summary>
    public static readonly DiagnosticDescriptor SelectionOptionsConflict = Error("LORA036", "Module selection options that PEFT refuses", "{0}");

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink(id));

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id));

    private static string HelpLink(string id) => HelpLinkBase + id.ToLowerInvariant();
}
