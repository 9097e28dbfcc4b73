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

/// <summary>Reports LORA001-014 over the same parsed models the generator uses.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LoraDslAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
    [
        DiagnosticDescriptors.UnknownModule, DiagnosticDescriptors.MissingRole, DiagnosticDescriptors.RankNotPositive,
        DiagnosticDescriptors.AlphaNotPositive, DiagnosticDescriptors.DropoutOutOfRange, DiagnosticDescriptors.LayerOutOfRange,
        DiagnosticDescriptors.DuplicateTarget, DiagnosticDescriptors.OptionDoesNotFitModule, DiagnosticDescriptors.RecipeNotPartial,
        DiagnosticDescriptors.DuplicateRecipeName, DiagnosticDescriptors.MalformedPathTemplate, DiagnosticDescriptors.DuplicateModuleName,
        DiagnosticDescriptors.NotAnArchitecture, DiagnosticDescriptors.MalformedLayers,
    ];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var recipeNames = new ConcurrentBag<(string Name, string Type, SourceLocation? Location)>();
            start.RegisterSyntaxNodeAction(node => AnalyzeClass(node, recipeNames), SyntaxKind.ClassDeclaration);
            start.RegisterCompilationEndAction(end => ReportDuplicateNames(end, recipeNames));
        });
    }

    private static void AnalyzeClass(SyntaxNodeAnalysisContext context, ConcurrentBag<(string, string, SourceLocation?)> recipeNames)
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
        if (RecipeParser.Parse(type, ct) is not { } recipe) return;
        recipeNames.Add((recipe.Name, recipe.FullyQualifiedName.Replace("global::", ""), recipe.NameLocation));

        var architectureType = context.SemanticModel.Compilation.GetTypeByMetadataName(
            recipe.ArchitectureType?.Replace("global::", "") ?? "");
        var architectureModel = architectureType is null ? null : ArchitectureParser.Parse(architectureType, ct);

        var options = new List<OptionValue>(recipe.Options);
        var targets = new List<TargetModel>(recipe.Targets);
        foreach (var method in type.GetMembers(KnownNames.ConfigureMethod).OfType<IMethodSymbol>())
        {
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                // Configure bodies in other files are checked at run time only (a semantic model per tree is the caller's).
                if (reference.SyntaxTree != declaration.SyntaxTree) continue;
                if (reference.GetSyntax(ct) is not MethodDeclarationSyntax syntax) continue;
                var (fluentOptions, fluentTargets) = FluentParser.Parse(syntax, context.SemanticModel, ct);
                options.AddRange(fluentOptions);
                targets.AddRange(fluentTargets);
            }
        }
        Report(context, RecipeValidator.Validate(recipe, architectureModel, options, targets));
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
