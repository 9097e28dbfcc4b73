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

    public static readonly DiagnosticDescriptor DuplicateTarget = new(
        "LORA007", "Duplicate or overlapping targets", DslMessages.DuplicateTarget, Category, DiagnosticSeverity.Warning, true, helpLinkUri: HelpLink("LORA007"));

    /// <summary>The message is one of <see cref="DslMessages.LayersOnSharedModule"/> or <see cref="DslMessages.DoraOnEmbedding"/>, formatted.</summary>
    public static readonly DiagnosticDescriptor OptionDoesNotFitModule = Error("LORA008", "Option does not fit the module kind", "{0}");
    public static readonly DiagnosticDescriptor RecipeNotPartial = Error("LORA009", "Recipe class must be partial", DslMessages.RecipeNotPartial);

    public static readonly DiagnosticDescriptor DuplicateRecipeName = new(
        "LORA010", "Two recipes share one name", DslMessages.DuplicateRecipeName, Category, DiagnosticSeverity.Error, true,
        helpLinkUri: HelpLink("LORA010"), customTags: WellKnownDiagnosticTags.CompilationEnd);

    public static readonly DiagnosticDescriptor MalformedPathTemplate = Error("LORA011", "Malformed module path template", DslMessages.MalformedPathTemplate);
    public static readonly DiagnosticDescriptor DuplicateModuleName = Error("LORA012", "Duplicate module name in an architecture", DslMessages.DuplicateModuleName);
    public static readonly DiagnosticDescriptor NotAnArchitecture = Error("LORA013", "Recipe architecture is not a [LoraArchitecture] class", DslMessages.NotAnArchitecture);
    public static readonly DiagnosticDescriptor MalformedLayers = Error("LORA014", "Malformed layer selection", DslMessages.MalformedLayers);

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id));

    private static string HelpLink(string id) => HelpLinkBase + id.ToLowerInvariant();
}
