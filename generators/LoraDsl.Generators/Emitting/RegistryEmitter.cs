using System.Linq;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Emitting;

/// <summary>Writes <c>LoraDslRecipes.g.cs</c>: the assembly's recipes by name, sorted.</summary>
public static class RegistryEmitter
{
    public const string HintName = "LoraDslRecipes.g.cs";

    public static string Emit(EquatableArray<RecipeModel> recipes)
    {
        const string Entry = "global::LoraDsl.Recipes.RecipeEntry";
        var writer = new SourceWriter().Header();
        writer.Line("/// <summary>The recipes of this assembly, by name, for CLIs that list and run them.</summary>");
        writer.Open("internal static class LoraDslRecipes");
        writer.Line($"public static global::System.Collections.Generic.IReadOnlyDictionary<string, {Entry}> All {{ get; }} =");
        writer.Line($"    new global::System.Collections.Generic.SortedDictionary<string, {Entry}>(global::System.StringComparer.Ordinal)");
        writer.Line("    {");
        foreach (var recipe in recipes.OrderBy(r => r.Name, System.StringComparer.Ordinal).ThenBy(r => r.FullyQualifiedName, System.StringComparer.Ordinal))
        {
            var type = recipe.FullyQualifiedName;
            writer.Line($"        [{Literals.String(recipe.Name)}] = new({Literals.String(recipe.Name)}, {Literals.String(type.Replace("global::", ""))}, {type}.Build, {type}.Run),");
        }
        writer.Line("    };");
        writer.Close();
        return writer.ToString();
    }
}
