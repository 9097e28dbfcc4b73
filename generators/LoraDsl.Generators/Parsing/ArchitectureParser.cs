using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace LoraDsl.Generators.Parsing;

/// <summary>Reads a [LoraArchitecture] class's attributes into an <see cref="ArchitectureModel"/>.</summary>
public static class ArchitectureParser
{
    public static bool IsArchitecture(INamedTypeSymbol type) =>
        type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.ArchitectureAttribute);

    public static ArchitectureModel? Parse(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var attributes = type.GetAttributes();
        var declaration = attributes.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == KnownNames.ArchitectureAttribute);
        if (declaration is null) return null;

        var name = declaration.ConstructorArguments.FirstOrDefault().Value as string ?? type.Name;
        var modelTypes = EquatableArray<string>.Empty;
        var depthField = "num_hidden_layers";
        int? knownDepth = null;
        foreach (var named in declaration.NamedArguments)
        {
            switch (named.Key)
            {
                case "ModelTypes" when !named.Value.IsNull:
                    modelTypes = new([.. named.Value.Values.Select(v => v.Value as string ?? "")]);
                    break;
                case "DepthField":
                    depthField = named.Value.Value as string ?? depthField;
                    break;
                case "KnownDepth" when named.Value.Value is int depth && depth > 0:
                    knownDepth = depth;
                    break;
            }
        }

        var modules = new List<ModuleModel>();
        foreach (var attribute in attributes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var attributeName = attribute.AttributeClass?.ToDisplayString();
            var fused = attributeName == KnownNames.FusedModuleAttribute;
            if (!fused && attributeName != KnownNames.ModuleAttribute) continue;
            var arguments = attribute.ConstructorArguments;
            if (arguments.Length < 4) continue;
            var syntax = AttributeArguments.Syntax(attribute, cancellationToken);
            var roles = fused
                ? arguments[3].Values.Select(AttributeArguments.EnumName).ToArray()
                : [AttributeArguments.EnumName(arguments[3])];
            modules.Add(new ModuleModel(
                arguments[0].Value as string ?? "",
                arguments[1].Value as string ?? "",
                AttributeArguments.EnumName(arguments[2]),
                new(roles),
                AttributeArguments.Positional(syntax, 0),
                AttributeArguments.Positional(syntax, 1)));
        }

        var ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
        return new ArchitectureModel(ns, type.Name, type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            name, modelTypes, depthField, knownDepth, new([.. modules]));
    }
}
