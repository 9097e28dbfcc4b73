using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoraDsl.Generators.Parsing;

/// <summary>
/// Reads the constant parts of a recipe's <c>Configure</c> body: calls on <c>LoraBuilder</c>
/// (Rank, Alpha, Dropout, Dora, Target, TargetLayers, Preset, PresetLayers). Non-constant
/// arguments are skipped; the runtime checks them.
/// </summary>
public static class FluentParser
{
    public static (List<OptionValue> Options, List<TargetModel> Targets) Parse(
        MethodDeclarationSyntax configure, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        var options = new List<OptionValue>();
        var targets = new List<TargetModel>();
        SyntaxNode? body = (SyntaxNode?)configure.Body ?? configure.ExpressionBody;
        if (body is null) return (options, targets);

        // Document order: a chain a.B().C() nests B inside C, so sort calls by where their name is.
        var invocations = body.DescendantNodes().OfType<InvocationExpressionSyntax>()
            .OrderBy(i => i.Expression is MemberAccessExpressionSyntax m ? m.Name.SpanStart : i.SpanStart);
        foreach (var invocation in invocations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = semanticModel.GetSymbolInfo(invocation, cancellationToken);
            var method = info.Symbol as IMethodSymbol ?? info.CandidateSymbols.OfType<IMethodSymbol>().FirstOrDefault();
            if (method?.ContainingType?.ToDisplayString() != KnownNames.LoraBuilder) continue;
            var arguments = invocation.ArgumentList.Arguments;
            switch (method.Name)
            {
                case "Rank" or "Alpha" or "Dropout" when arguments.Count == 1:
                    if (Constant(semanticModel, arguments[0].Expression, cancellationToken) is { } number)
                        options.Add(new OptionValue(method.Name, number, SourceLocation.From(arguments[0].Expression)));
                    break;
                case "Dora" or "RsLora":
                    var enabled = arguments.Count == 0 || semanticModel.GetConstantValue(arguments[0].Expression, cancellationToken) is { HasValue: true, Value: true };
                    if (enabled) options.Add(new OptionValue(method.Name == "Dora" ? "UseDora" : "UseRsLora", 1, SourceLocation.From(invocation)));
                    break;
                case "Target" or "Preset":
                    AddTargets(targets, arguments, 0, null, false, null, semanticModel, cancellationToken);
                    break;
                case "TargetLayers" or "PresetLayers" when arguments.Count >= 1:
                    var layers = semanticModel.GetConstantValue(arguments[0].Expression, cancellationToken);
                    var text = layers.HasValue ? layers.Value as string : null;
                    AddTargets(targets, arguments, 1, text, !layers.HasValue, SourceLocation.From(arguments[0].Expression), semanticModel, cancellationToken);
                    break;
            }
        }
        return (options, targets);
    }

    private static void AddTargets(
        List<TargetModel> targets, SeparatedSyntaxList<ArgumentSyntax> arguments, int first, string? layers, bool layersUnknown,
        SourceLocation? layersLocation, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        for (var i = first; i < arguments.Count; i++)
        {
            var expression = arguments[i].Expression;
            var location = SourceLocation.From(expression);
            var constant = semanticModel.GetConstantValue(expression, cancellationToken);
            var type = semanticModel.GetTypeInfo(expression, cancellationToken).Type;
            var symbol = semanticModel.GetSymbolInfo(expression, cancellationToken).Symbol;
            var typeName = type?.ToDisplayString();
            if (constant.HasValue && constant.Value is string name)
            {
                targets.Add(new TargetModel(TargetKind.Name, name, layers, layersUnknown, location, layersLocation, expression.IsKind(SyntaxKind.StringLiteralExpression)));
            }
            else if (constant.HasValue && symbol is IFieldSymbol field && typeName is KnownNames.ModuleRole or KnownNames.Preset)
            {
                var kind = typeName == KnownNames.ModuleRole ? TargetKind.Role : TargetKind.Preset;
                targets.Add(new TargetModel(kind, field.Name, layers, layersUnknown, location, layersLocation, false));
            }
            else if (typeName == KnownNames.ArchitectureModule && symbol is { ContainingType: { } owner } && HandleModule(owner, symbol.Name, cancellationToken) is { } module)
            {
                targets.Add(new TargetModel(TargetKind.Module, module, layers, layersUnknown, location, layersLocation, false));
            }
            else if (typeName == KnownNames.TargetSet && symbol is { ContainingType.Name: "Presets" })
            {
                targets.Add(new TargetModel(TargetKind.Preset, symbol.Name, layers, layersUnknown, location, layersLocation, false));
            }
        }
    }

    // A handle's module name, read from its architecture's own declaration ("QProj" → "q_proj").
    private static string? HandleModule(INamedTypeSymbol owner, string member, CancellationToken cancellationToken) =>
        ArchitectureParser.Parse(owner, cancellationToken)?.Modules.FirstOrDefault(m => m.HandleName == member)?.Name;

    private static double? Constant(SemanticModel semanticModel, ExpressionSyntax expression, CancellationToken cancellationToken)
    {
        var constant = semanticModel.GetConstantValue(expression, cancellationToken);
        if (!constant.HasValue) return null;
        return constant.Value switch
        {
            int i => i,
            long l => l,
            float f => f,
            double d => d,
            decimal m => (double)m,
            _ => null,
        };
    }
}
