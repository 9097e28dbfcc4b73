using System.Collections.Generic;
using System.Linq;
using System.Threading;
using LoraDsl.Dsl;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoraDsl.Generators.Parsing;

/// <summary>
/// Reads a recipe's <c>Configure</c> body: every builder call (<c>r.Model(m => ..)</c>, <c>r.Lora(l => ..)</c>,
/// <c>r.Data(d => ..)</c>, <c>r.Training(t => ..)</c>) as catalog settings, and the LoRA targets. A non-constant
/// argument gives a setting without text (the runtime checks it); code that does not bind is skipped.
/// </summary>
public static class FluentParser
{
    private const string BuilderSuffix = "Builder";
    private const string RecipesNamespace = "LoraDsl.Recipes";

    /// <summary>The setting whose constants are data files (checked to exist by LORA019).</summary>
    public const string DataFilesKey = "data.files";

    public static FluentRecipe Parse(MethodDeclarationSyntax configure, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        var result = new FluentRecipe();
        SyntaxNode? body = (SyntaxNode?)configure.Body ?? configure.ExpressionBody;
        if (body is null) return result;

        // Document order: a chain a.B().C() nests B inside C, so sort calls by where their name is.
        var invocations = body.DescendantNodes().OfType<InvocationExpressionSyntax>()
            .OrderBy(i => i.Expression is MemberAccessExpressionSyntax m ? m.Name.SpanStart : i.SpanStart);
        foreach (var invocation in invocations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = semanticModel.GetSymbolInfo(invocation, cancellationToken);
            var method = info.Symbol as IMethodSymbol ?? info.CandidateSymbols.OfType<IMethodSymbol>().FirstOrDefault();
            if (method is { IsStatic: true, ContainingType: { } server } && server.ToDisplayString() == KnownNames.Server)
            {
                result.Serving = Serving(method, invocation, semanticModel, cancellationToken);
                continue;
            }
            if (method?.ContainingType is not { } type || type.ContainingNamespace?.ToDisplayString() != RecipesNamespace
                || !type.Name.EndsWith(BuilderSuffix, System.StringComparison.Ordinal)) continue;
            var builder = type.Name.Substring(0, type.Name.Length - BuilderSuffix.Length);
            var arguments = invocation.ArgumentList.Arguments;
            switch (method.Name)
            {
                case "Target" or "Preset" when builder == "Lora":
                    AddTargets(result.Targets, arguments, 0, null, false, null, semanticModel, cancellationToken);
                    break;
                case "TargetLayers" or "PresetLayers" when builder == "Lora" && arguments.Count >= 1:
                    var layers = semanticModel.GetConstantValue(arguments[0].Expression, cancellationToken);
                    var text = layers.HasValue ? layers.Value as string : null;
                    AddTargets(result.Targets, arguments, 1, text, !layers.HasValue, SourceLocation.From(arguments[0].Expression), semanticModel, cancellationToken);
                    break;
                case "Exclude" or "RankPattern" or "AlphaPattern" when builder == "Lora":
                    AddSelection(result.Selection, method.Name, arguments, semanticModel, cancellationToken);
                    break;
                case "Adapter" when builder == "Start":
                    AddStart(result, method, invocation, semanticModel, cancellationToken);
                    break;
                default:
                    AddSettings(result, builder, method, invocation, semanticModel, cancellationToken);
                    break;
            }
        }
        return result;
    }

    private static void AddSettings(
        FluentRecipe result, string builder, IMethodSymbol method, InvocationExpressionSyntax invocation, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        var compound = SettingMethod.Compound.Where(c => c.Builder == builder && c.Method == method.Name).ToList();
        if (compound.Count == 0 && RecipeSettingCatalog.ForMethod(builder, method.Name) is { } single)
            compound.Add(new SettingMethod(builder, method.Name, single.Key, Parameter: 0));
        if (compound.Count == 0) return;

        var bound = Bind(method, invocation.ArgumentList);
        var nameLocation = SourceLocation.From(invocation.Expression is MemberAccessExpressionSyntax access ? access.Name : invocation.Expression);
        foreach (var entry in compound)
        {
            var kind = RecipeSettingCatalog.Find(entry.Key)?.Kind;
            if (entry.FixedText is not null)
            {
                result.Settings.Add(new SettingValue(entry.Key, entry.FixedText, null, nameLocation));
                continue;
            }
            if (entry.Parameter >= method.Parameters.Length)
            {
                // A switch with no parameter (a future Dora()) turns its setting on.
                if (kind == SettingKind.Boolean) result.Settings.Add(new SettingValue(entry.Key, "true", null, nameLocation));
                continue;
            }
            var parameter = method.Parameters[entry.Parameter];
            var expressions = bound[entry.Parameter];
            if (expressions is null)
            {
                // Omitted: the parameter's default is what the call sets (d.Classification() sets text_field "text").
                if (parameter.IsParams || !parameter.HasExplicitDefaultValue) continue;
                var implied = SettingConstant.Of(parameter.ExplicitDefaultValue, parameter.Type, kind);
                result.Settings.Add(new SettingValue(entry.Key, implied.Text, implied.Number, nameLocation));
                continue;
            }

            var elements = parameter.IsParams ? Elements(expressions, semanticModel, cancellationToken) : null;
            var value = elements is not null
                ? SettingConstant.Join([.. elements.Select(e => Constant(e, semanticModel, kind, cancellationToken))])
                : expressions.Count == 1 ? Constant(expressions[0], semanticModel, kind, cancellationToken) : SettingConstant.Unknown;
            result.Settings.Add(new SettingValue(entry.Key, value.Text, value.Number, SourceLocation.Spanning(expressions[0], expressions[expressions.Count - 1])));

            if (entry.Key == DataFilesKey)
                foreach (var element in elements ?? expressions)
                    if (semanticModel.GetConstantValue(element, cancellationToken) is { HasValue: true, Value: string path })
                        result.DataFiles.Add(new DataFileReference(path, SourceLocation.From(element)));
        }
    }

    // s.Adapter<TRecipe>(weight), s.Adapter(directory, weight) or s.Adapter(name, directory, weight): a start reference, and
    // start.adapters as stated (its value is the runtime's to read).
    private static void AddStart(FluentRecipe result, IMethodSymbol method, InvocationExpressionSyntax invocation, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        var bound = Bind(method, invocation.ArgumentList);
        string? Text(string parameter)
        {
            for (var i = 0; i < method.Parameters.Length; i++)
                if (method.Parameters[i].Name == parameter)
                    return bound[i] is [var expression] && semanticModel.GetConstantValue(expression, cancellationToken) is { HasValue: true, Value: string text } ? text : null;
            return null;
        }
        double? weight = 1.0;
        for (var i = 0; i < method.Parameters.Length; i++)
            if (method.Parameters[i].Name == "weight" && bound[i] is { } given)
            {
                var constant = given.Count == 1 ? semanticModel.GetConstantValue(given[0], cancellationToken) : default;
                weight = constant is { HasValue: true, Value: double or int or float }
                    ? System.Convert.ToDouble(constant.Value, System.Globalization.CultureInfo.InvariantCulture)
                    : null;
            }
        var recipeType = method.TypeArguments.Length == 1 ? method.TypeArguments[0].ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) : null;
        var location = SourceLocation.From(invocation.Expression is MemberAccessExpressionSyntax access ? access.Name : invocation.Expression);
        result.Starts.Add(new StartReference(recipeType, recipeType is null ? Text("directory") : null, weight, location));
        result.Settings.Add(new SettingValue("start.adapters", null, null, location));
    }

    // Server.Vllm(maxLoraRank: 16), Server.LlamaCpp(), ...: the server's lint name and its rank limit (the parameter's default when omitted).
    private static ServeTarget? Serving(IMethodSymbol method, InvocationExpressionSyntax invocation, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        if (ServingRules.Find(method.Name) is not { } server) return null;
        var bound = Bind(method, invocation.ArgumentList);
        int? maxLoraRank = null;
        for (var i = 0; i < method.Parameters.Length; i++)
        {
            if (method.Parameters[i].Name != "maxLoraRank") continue;
            object? value = bound[i] is [var expression]
                ? semanticModel.GetConstantValue(expression, cancellationToken) is { HasValue: true } constant ? constant.Value : null
                : method.Parameters[i].HasExplicitDefaultValue ? method.Parameters[i].ExplicitDefaultValue : null;
            if (value is int rank) maxLoraRank = rank;
        }
        return new ServeTarget(server, maxLoraRank, SourceLocation.From(invocation));
    }

    // The expressions each parameter receives (positional, named, or the rest for a params array).
    private static List<ExpressionSyntax>?[] Bind(IMethodSymbol method, ArgumentListSyntax list)
    {
        var bound = new List<ExpressionSyntax>?[method.Parameters.Length];
        var position = 0;
        foreach (var argument in list.Arguments)
        {
            int index;
            if (argument.NameColon is { } name)
            {
                index = -1;
                for (var i = 0; i < method.Parameters.Length; i++)
                    if (method.Parameters[i].Name == name.Name.Identifier.ValueText) index = i;
            }
            else
            {
                index = position++;
                if (method.Parameters.Length > 0 && method.Parameters[method.Parameters.Length - 1].IsParams)
                    index = System.Math.Min(index, method.Parameters.Length - 1);
            }
            if (index < 0 || index >= bound.Length) continue;
            (bound[index] ??= []).Add(argument.Expression);
        }
        return bound;
    }

    // A params argument's elements: the arguments themselves, or the items of one array written in place; null if unknown.
    private static List<ExpressionSyntax>? Elements(List<ExpressionSyntax> expressions, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        if (expressions.Count != 1 || semanticModel.GetTypeInfo(expressions[0], cancellationToken).Type is not IArrayTypeSymbol) return expressions;
        return expressions[0] switch
        {
            ArrayCreationExpressionSyntax { Initializer: { } items } => [.. items.Expressions],
            ImplicitArrayCreationExpressionSyntax { Initializer: { } items } => [.. items.Expressions],
            CollectionExpressionSyntax collection when collection.Elements.All(e => e is ExpressionElementSyntax) =>
                [.. collection.Elements.OfType<ExpressionElementSyntax>().Select(e => e.Expression)],
            _ => null,
        };
    }

    private static SettingConstant Constant(ExpressionSyntax expression, SemanticModel semanticModel, SettingKind? kind, CancellationToken cancellationToken)
    {
        var constant = semanticModel.GetConstantValue(expression, cancellationToken);
        if (!constant.HasValue) return SettingConstant.Unknown;
        return SettingConstant.Of(constant.Value, semanticModel.GetTypeInfo(expression, cancellationToken).Type, kind);
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
            if (constant.HasValue && constant.Value is string shorthand && string.Equals(shorthand, PeftModuleMatch.AllLinear, System.StringComparison.OrdinalIgnoreCase))
            {
                // PEFT's "all-linear" is the AllLinear preset (LoraBuilder.Target maps it the same way).
                targets.Add(new TargetModel(TargetKind.Preset, "AllLinear", layers, layersUnknown, location, layersLocation, false));
            }
            else if (constant.HasValue && constant.Value is string name)
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

    // l.Exclude(names or handles): one entry each; l.RankPattern(key or handle, r) / l.AlphaPattern(key or handle, alpha): one entry.
    private static void AddSelection(
        List<SelectionEntry> entries, string method, SeparatedSyntaxList<ArgumentSyntax> arguments, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        if (method == "Exclude")
        {
            foreach (var argument in arguments)
                entries.Add(new SelectionEntry("lora.exclude_modules", SelectionKey(argument.Expression, false, semanticModel, cancellationToken), null, SourceLocation.From(argument.Expression)));
            return;
        }
        if (arguments.Count != 2) return;
        var constant = semanticModel.GetConstantValue(arguments[1].Expression, cancellationToken);
        double? value = constant is { HasValue: true, Value: int or double or float or long }
            ? System.Convert.ToDouble(constant.Value, System.Globalization.CultureInfo.InvariantCulture)
            : null;
        var option = method == "RankPattern" ? "lora.rank_pattern" : "lora.alpha_pattern";
        entries.Add(new SelectionEntry(option, SelectionKey(arguments[0].Expression, true, semanticModel, cancellationToken), value,
            SourceLocation.Spanning(arguments[0].Expression, arguments[1].Expression)));
    }

    // A string constant as written, or a typed handle's PEFT name (a pattern key when asked), as LoraBuilder makes it.
    private static string? SelectionKey(ExpressionSyntax expression, bool patternKey, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        if (semanticModel.GetConstantValue(expression, cancellationToken) is { HasValue: true, Value: string text }) return text;
        var symbol = semanticModel.GetSymbolInfo(expression, cancellationToken).Symbol;
        if (semanticModel.GetTypeInfo(expression, cancellationToken).Type?.ToDisplayString() != KnownNames.ArchitectureModule
            || symbol is not { ContainingType: { } owner }) return null;
        var module = ArchitectureParser.Parse(owner, cancellationToken)?.Modules.FirstOrDefault(m => m.HandleName == symbol.Name);
        if (module is null) return null;
        return patternKey ? PeftModuleMatch.PatternKeyFor(module.Name, module.PathTemplate) : PeftModuleMatch.EntryFor(module.Name, module.PathTemplate);
    }

    // A handle's module name, read from its architecture's own declaration ("QProj" → "q_proj").
    private static string? HandleModule(INamedTypeSymbol owner, string member, CancellationToken cancellationToken) =>
        ArchitectureParser.Parse(owner, cancellationToken)?.Modules.FirstOrDefault(m => m.HandleName == member)?.Name;
}
