using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using LoraDsl.Dsl;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoraDsl.Generators.Parsing;

/// <summary>Reads a [LoraRecipe] class's attributes and its Configure body into a <see cref="RecipeModel"/>.</summary>
public static class RecipeParser
{
    /// <summary>The recipe model; <paramref name="semanticModels"/> gives the semantic model of a tree holding a
    /// Configure body, or null to leave that body out (an analyzer sees only its own tree).</summary>
    public static RecipeModel? Parse(INamedTypeSymbol type, Func<SyntaxTree, SemanticModel?> semanticModels, CancellationToken cancellationToken) =>
        ParseWithStatements(type, semanticModels, cancellationToken)?.Model;

    /// <summary>The model, and what the recipe states beyond it (fluent targets, data files) for the analyzer.</summary>
    public static (RecipeModel Model, FluentRecipe Stated)? ParseWithStatements(
        INamedTypeSymbol type, Func<SyntaxTree, SemanticModel?> semanticModels, CancellationToken cancellationToken)
    {
        var stated = new FluentRecipe();
        return Parse(type, semanticModels, stated, cancellationToken) is { } model ? (model, stated) : null;
    }

    private static RecipeModel? Parse(INamedTypeSymbol type, Func<SyntaxTree, SemanticModel?> semanticModels, FluentRecipe stated, CancellationToken cancellationToken)
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
            if (named.Key is "Model" or "BuiltInModel" && named.Value.Value is string source)
                stated.Settings.Add(new SettingValue(named.Key == "Model" ? "model.path" : "model.builtin", source, null, AttributeArguments.Named(recipeSyntax, named.Key)));
        }

        var options = new List<OptionValue>();
        var targets = new List<TargetModel>();
        // [Setting] applies after the other attributes, before Configure, wherever it is written.
        var keyed = new FluentRecipe();
        foreach (var attribute in attributes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = attribute.AttributeClass?.ToDisplayString();
            var syntax = name is KnownNames.LoraAttribute or KnownNames.TargetAttribute or KnownNames.TargetPresetAttribute or KnownNames.SettingAttribute
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
                        var location = AttributeArguments.Named(syntax, named.Key);
                        options.Add(new OptionValue(named.Key, value, location));
                        // UseDora → the builder's Dora, UseRsLora → RsLora.
                        var method = named.Key.StartsWith("Use", StringComparison.Ordinal) ? named.Key.Substring(3) : named.Key;
                        if (RecipeSettingCatalog.ForMethod("Lora", method) is { } setting)
                        {
                            var constant = SettingConstant.Of(named.Value, setting.Kind);
                            stated.Settings.Add(new SettingValue(setting.Key, constant.Text, constant.Number, location));
                        }
                    }
                    break;
                case KnownNames.TargetAttribute when attribute.ConstructorArguments.Length == 1:
                    var argument = attribute.ConstructorArguments[0];
                    var isRole = argument.Kind == TypedConstantKind.Enum;
                    // PEFT's "all-linear" is the AllLinear preset, as LoraBuilder.Target reads it.
                    var isAllLinear = !isRole && string.Equals(argument.Value as string, LoraDsl.Dsl.PeftModuleMatch.AllLinear, System.StringComparison.OrdinalIgnoreCase);
                    targets.Add(Target(
                        isRole ? TargetKind.Role : isAllLinear ? TargetKind.Preset : TargetKind.Name,
                        isRole ? AttributeArguments.EnumName(argument) : isAllLinear ? "AllLinear" : argument.Value as string ?? "",
                        attribute, syntax, isStringLiteral: !isRole && !isAllLinear));
                    break;
                case KnownNames.TargetPresetAttribute when attribute.ConstructorArguments.Length == 1:
                    targets.Add(Target(TargetKind.Preset, AttributeArguments.EnumName(attribute.ConstructorArguments[0]), attribute, syntax, isStringLiteral: false));
                    break;
                case KnownNames.SettingAttribute when attribute.ConstructorArguments.Length == 2 && attribute.ConstructorArguments[0].Value is string key:
                    AddSettingAttribute(keyed, key, attribute.ConstructorArguments[1], syntax);
                    break;
            }
        }

        stated.Add(keyed);

        var declaration = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<ClassDeclarationSyntax>().FirstOrDefault();
        var isPartial = type.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(cancellationToken))
            .OfType<TypeDeclarationSyntax>()
            .All(d => d.Modifiers.Any(SyntaxKind.PartialKeyword));
        var configureMethods = type.GetMembers(KnownNames.ConfigureMethod).OfType<IMethodSymbol>()
            .Where(m => m.IsStatic && m.Parameters.Length == 1 && m.Parameters[0].Type.Name == "RecipeBuilder")
            .ToList();
        foreach (var reference in configureMethods.SelectMany(m => m.DeclaringSyntaxReferences))
        {
            if (reference.GetSyntax(cancellationToken) is not MethodDeclarationSyntax configure) continue;
            if (semanticModels(reference.SyntaxTree) is not { } semanticModel) continue;
            stated.Add(FluentParser.Parse(configure, semanticModel, cancellationToken));
        }
        var hasConfigure = configureMethods.Count > 0;
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
            new([.. stated.Settings]),
            new([.. targets]),
            hasConfigure,
            SourceHash(type, cancellationToken))
        {
            Starts = new([.. stated.Starts]),
            Serving = stated.Serving,
        };
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

    // [Setting("training.lr", "1e-3")]: the key as the catalog spells it (aliases resolved), the value as written.
    private static void AddSettingAttribute(FluentRecipe stated, string key, TypedConstant value, AttributeSyntax? syntax)
    {
        var setting = RecipeSettingCatalog.Find(key);
        var constant = SettingConstant.Of(value, setting?.Kind);
        var location = AttributeArguments.Positional(syntax, 1);
        stated.Settings.Add(new SettingValue(setting?.Key ?? key, constant.Text, constant.Number, location, AttributeArguments.Positional(syntax, 0)));
        if (setting?.Key == FluentParser.DataFilesKey && constant.Text is { } files)
            foreach (var file in files.Split(','))
                if (file.Trim().Length > 0) stated.DataFiles.Add(new DataFileReference(file.Trim(), location));
    }
}
