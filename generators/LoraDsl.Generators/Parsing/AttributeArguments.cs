using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoraDsl.Generators.Parsing;

/// <summary>Finds the syntax of an attribute's arguments, for exact diagnostic spans.</summary>
public static class AttributeArguments
{
    public static AttributeSyntax? Syntax(AttributeData attribute, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;

    /// <summary>The expression of the positional argument at <paramref name="index"/>.</summary>
    public static SourceLocation? Positional(AttributeSyntax? syntax, int index)
    {
        if (syntax?.ArgumentList is not { } list) return null;
        var position = 0;
        foreach (var argument in list.Arguments)
        {
            if (argument.NameEquals is not null || argument.NameColon is not null) continue;
            if (position++ == index) return SourceLocation.From(argument.Expression);
        }
        return null;
    }

    /// <summary>The expression of the named argument <paramref name="name"/> (Name = value).</summary>
    public static SourceLocation? Named(AttributeSyntax? syntax, string name)
    {
        if (syntax?.ArgumentList is not { } list) return null;
        foreach (var argument in list.Arguments)
            if (argument.NameEquals?.Name.Identifier.ValueText == name) return SourceLocation.From(argument.Expression);
        return null;
    }

    /// <summary>The member name of an enum constant (ModuleRole.Query → "Query").</summary>
    public static string EnumName(TypedConstant constant) =>
        (constant.Type is INamedTypeSymbol type ? MemberName(type, constant.Value) : null) ?? constant.Value?.ToString() ?? "";

    /// <summary>The enum member of <paramref name="type"/> whose value is <paramref name="value"/>, or null.</summary>
    public static string? MemberName(INamedTypeSymbol type, object? value)
    {
        foreach (var member in type.GetMembers())
            if (member is IFieldSymbol { HasConstantValue: true } field && Equals(field.ConstantValue, value))
                return field.Name;
        return null;
    }
}
