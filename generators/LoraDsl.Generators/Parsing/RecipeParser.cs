using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoraDsl.Generators.Parsing;

/// <summary>Reads a [LoraRecipe] class's attributes into a <see cref="RecipeModel"/>.</summary>
public static class RecipeParser
{
    public static RecipeModel? Parse(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var attributes = type.GetAttributes();
        var recipe = attributes.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == KnownNames.RecipeAttribute);
        if (recipe is null || recipe.ConstructorArguments.Length < 2) return null;
        var recipeSyntax = AttributeArguments.Syntax(recipe, cancellationToken);

        var architecture = recipe.ConstructorArguments[1].Value as INamedTypeSymbol;
        int? knownDepth = null;
        string? modelDirectory = null, builtInModel = null;
        foreach (var named in recipe.NamedArguments)
        {
            if (named.Key == "KnownDepth" && named.Value.Value is int depth && depth > 0) knownDepth = depth;
            if (named.Key == "Model") modelDirectory = named.Value.Value as string;
            if (named.Key == "BuiltInModel") builtInModel = named.Value.Value as string;
        }

        var options = new List<OptionValue>();
        var targets = new List<TargetModel>();
        foreach (var attribute in attributes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = attribute.AttributeClass?.ToDisplayString();
            var syntax = name is KnownNames.LoraAttribute or KnownNames.TargetAttribute or KnownNames.TargetPresetAttribute
                ? AttributeArguments.Syntax(attribute, cancellationToken)
                : null;
            switch (name)
            {
                case KnownNames.LoraAttribute:
                    foreach (var named in attribute.NamedArguments)
                    {
                        var value = named.Value.Value switch
                        {
                            int i => i,
                            double d => d,
                            bool b => b ? 1 : 0,
                            _ => double.NaN,
                        };
                        options.Add(new OptionValue(named.Key, value, AttributeArguments.Named(syntax, named.Key)));
                    }
                    break;
                case KnownNames.TargetAttribute when attribute.ConstructorArguments.Length == 1:
                    var argument = attribute.ConstructorArguments[0];
                    var isRole = argument.Kind == TypedConstantKind.Enum;
                    targets.Add(Target(
                        isRole ? TargetKind.Role : TargetKind.Name,
                        isRole ? AttributeArguments.EnumName(argument) : argument.Value as string ?? "",
                        attribute, syntax, isStringLiteral: !isRole));
                    break;
                case KnownNames.TargetPresetAttribute when attribute.ConstructorArguments.Length == 1:
                    targets.Add(Target(TargetKind.Preset, AttributeArguments.EnumName(attribute.ConstructorArguments[0]), attribute, syntax, isStringLiteral: false));
                    break;
            }
        }

        var declaration = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<ClassDeclarationSyntax>().FirstOrDefault();
        var isPartial = type.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(cancellationToken))
            .OfType<TypeDeclarationSyntax>()
            .All(d => d.Modifiers.Any(SyntaxKind.PartialKeyword));
        var hasConfigure = type.GetMembers(KnownNames.ConfigureMethod).OfType<IMethodSymbol>()
            .Any(m => m.IsStatic && m.Parameters.Length == 1 && m.Parameters[0].Type.Name == "RecipeBuilder");
        var ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();

        return new RecipeModel(
            ns,
            type.Name,
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            isPartial,
            type.ContainingType is not null,
            declaration is null ? null : SourceLocation.From(declaration.Identifier),
            recipe.ConstructorArguments[0].Value as string ?? "",
            AttributeArguments.Positional(recipeSyntax, 0),
            architecture?.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            architecture is not null && ArchitectureParser.IsArchitecture(architecture),
            AttributeArguments.Positional(recipeSyntax, 1),
            knownDepth,
            modelDirectory,
            builtInModel,
            new([.. options]),
            new([.. targets]),
            hasConfigure,
            SourceHash(type, cancellationToken));
    }

    /// <summary>SHA-256 (lower-case hex) of the source files declaring the recipe, in path order: what run.json records.</summary>
    private static string SourceHash(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var text = new System.Text.StringBuilder();
        foreach (var tree in type.DeclaringSyntaxReferences.Select(r => r.SyntaxTree).Distinct().OrderBy(t => t.FilePath, System.StringComparer.Ordinal))
            text.Append(tree.GetText(cancellationToken).ToString());
        using var sha = System.Security.Cryptography.SHA256.Create();
        var hash = sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(text.ToString()));
        var hex = new System.Text.StringBuilder(hash.Length * 2);
        foreach (var b in hash) hex.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        return hex.ToString();
    }

    private static TargetModel Target(TargetKind kind, string value, AttributeData attribute, AttributeSyntax? syntax, bool isStringLiteral)
    {
        var layers = attribute.NamedArguments.FirstOrDefault(n => n.Key == "Layers").Value.Value as string;
        return new TargetModel(kind, value, layers, false, AttributeArguments.Positional(syntax, 0),
            AttributeArguments.Named(syntax, "Layers"), isStringLiteral);
    }
}
