using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Parsing;
using LoraDsl.Generators.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LoraDsl.Generators;

/// <summary>Reports LORA001-030 over the same parsed models the generator uses.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LoraDslAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
    [
        DiagnosticDescriptors.UnknownModule, DiagnosticDescriptors.MissingRole, DiagnosticDescriptors.RankNotPositive,
        DiagnosticDescriptors.AlphaNotPositive, DiagnosticDescriptors.DropoutOutOfRange, DiagnosticDescriptors.LayerOutOfRange,
        DiagnosticDescriptors.DuplicateTarget, DiagnosticDescriptors.OptionDoesNotFitModule, DiagnosticDescriptors.RecipeNotPartial,
        DiagnosticDescriptors.DuplicateRecipeName, DiagnosticDescriptors.MalformedPathTemplate, DiagnosticDescriptors.DuplicateModuleName,
        DiagnosticDescriptors.NotAnArchitecture, DiagnosticDescriptors.MalformedLayers, DiagnosticDescriptors.SettingOutOfRange,
        DiagnosticDescriptors.SettingUnusual, DiagnosticDescriptors.UnknownSetting, DiagnosticDescriptors.SettingValueUnreadable,
        DiagnosticDescriptors.DataFileMissing, DiagnosticDescriptors.TaskDoesNotFitArchitecture, DiagnosticDescriptors.ModuleKindNotAdaptable,
        DiagnosticDescriptors.DoraOnFusedSlice, DiagnosticDescriptors.SettingHasNoEffect, DiagnosticDescriptors.AdaLoraWithDora,
        DiagnosticDescriptors.AdaLoraScheduleImpossible, DiagnosticDescriptors.NeftuneWithoutEmbeddings,
        DiagnosticDescriptors.StartDoesNotFit, DiagnosticDescriptors.CombinationImpossible, DiagnosticDescriptors.EmbeddingLoraIsPlain,
        DiagnosticDescriptors.ServerCannotLoadAdapter,
        DiagnosticDescriptors.InvalidModuleRegex, DiagnosticDescriptors.SelectionMatchesNothing, DiagnosticDescriptors.LayerToTransformOutOfRange,
        DiagnosticDescriptors.ExcludeMatchesNothing, DiagnosticDescriptors.SelectionOptionsConflict,
    ];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var recipeNames = new ConcurrentBag<(string Name, string Type, SourceLocation? Location)>();
            var recipeFacts = new ConcurrentBag<RecipeFacts>();
            var projectFolder = FindProjectFolder(start.Options);
            start.RegisterSyntaxNodeAction(node => AnalyzeClass(node, recipeNames, recipeFacts, projectFolder), SyntaxKind.ClassDeclaration);
            start.RegisterCompilationEndAction(end =>
            {
                ReportDuplicateNames(end, recipeNames);
                // Starts name other recipes: checked once every recipe of the compilation is parsed.
                foreach (var diagnostic in StartValidator.Validate([.. recipeFacts])) end.ReportDiagnostic(diagnostic.ToDiagnostic(end.Compilation));
            });
        });
    }

    private static void AnalyzeClass(
        SyntaxNodeAnalysisContext context, ConcurrentBag<(string, string, SourceLocation?)> recipeNames, ConcurrentBag<RecipeFacts> recipeFacts, ProjectFolder? projectFolder)
    {
        var declaration = (ClassDeclarationSyntax)context.Node;
        if (declaration.AttributeLists.Count == 0) return;
        if (context.SemanticModel.GetDeclaredSymbol(declaration, context.CancellationToken) is not { } type) return;
        var ct = context.CancellationToken;

        // Each check runs once: on the declaration that carries the attribute.
        bool DeclaredHere(AttributeData attribute) =>
            attribute.ApplicationSyntaxReference is { } reference && declaration.Span.Contains(reference.Span) && reference.SyntaxTree == declaration.SyntaxTree;
        var attributes = type.GetAttributes();

        if (attributes.Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.ArchitectureAttribute && DeclaredHere(a))
            && ArchitectureParser.Parse(type, ct) is { } architecture)
        {
            Report(context, ArchitectureValidator.Validate(architecture));
        }

        if (!attributes.Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.RecipeAttribute && DeclaredHere(a))) return;
        // Configure bodies in other files are checked at run time only (an analyzer gets the semantic model of its own tree).
        if (RecipeParser.ParseWithStatements(type, tree => tree == declaration.SyntaxTree ? context.SemanticModel : null, ct) is not { } parsed) return;
        var (recipe, stated) = parsed;
        recipeNames.Add((recipe.Name, recipe.FullyQualifiedName.Replace("global::", ""), recipe.NameLocation));

        var architectureType = context.SemanticModel.Compilation.GetTypeByMetadataName(
            recipe.ArchitectureType?.Replace("global::", "") ?? "");
        var architectureModel = architectureType is null ? null : ArchitectureParser.Parse(architectureType, ct);

        Report(context, RecipeValidator.Validate(recipe, architectureModel, stated.Targets));
        Report(context, ServingValidator.Validate(recipe, architectureModel, [.. recipe.Targets, .. stated.Targets]));
        Report(context, SelectionValidator.Validate(recipe, architectureModel, [.. recipe.Targets, .. stated.Targets], stated.Selection));
        recipeFacts.Add(new RecipeFacts(recipe, architectureModel, [.. recipe.Targets, .. stated.Targets]));
        Report(context, DataFileValidator.Validate(stated.DataFiles, projectFolder));
    }

    // The project folder and its files, when the build lists them (build/LoraDsl.Analyzers.targets); else null.
    private static ProjectFolder? FindProjectFolder(AnalyzerOptions options)
    {
        var global = options.AnalyzerConfigOptionsProvider.GlobalOptions;
        if (!global.TryGetValue(ProjectFolder.ListedProperty, out var listed) || !string.Equals(listed, "true", System.StringComparison.OrdinalIgnoreCase)) return null;
        if (!global.TryGetValue(ProjectFolder.DirectoryProperty, out var directory) || string.IsNullOrWhiteSpace(directory)) return null;
        return new ProjectFolder(directory, options.AdditionalFiles.Select(f => f.Path));
    }

    private static void ReportDuplicateNames(CompilationAnalysisContext context, ConcurrentBag<(string Name, string Type, SourceLocation? Location)> recipes)
    {
        foreach (var group in recipes.GroupBy(r => r.Name).Where(g => g.Count() > 1))
        {
            var ordered = group.OrderBy(r => r.Type, System.StringComparer.Ordinal).ToList();
            foreach (var duplicate in ordered.Skip(1))
            {
                var info = new DiagnosticInfo(DiagnosticDescriptors.DuplicateRecipeName, duplicate.Location, [group.Key, ordered[0].Type, duplicate.Type]);
                context.ReportDiagnostic(info.ToDiagnostic(context.Compilation));
            }
        }
    }

    private static void Report(SyntaxNodeAnalysisContext context, IEnumerable<DiagnosticInfo> diagnostics)
    {
        foreach (var diagnostic in diagnostics) context.ReportDiagnostic(diagnostic.ToDiagnostic(context.SemanticModel.Compilation));
    }
}
