using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Emitting;

/// <summary>Writes <c>{Recipe}.Recipe.g.cs</c>: the recipe's Build/Definition and a readable Run.</summary>
public static class RecipeEmitter
{
    private const string Recipes = "global::LoraDsl.Recipes.";
    private const string Overrides = "global::System.Collections.Generic.IEnumerable<global::System.Collections.Generic.KeyValuePair<string, string>>";

    public static string HintName(RecipeModel recipe) =>
        (recipe.Namespace is null ? "" : recipe.Namespace + ".") + recipe.ClassName + ".Recipe.g.cs";

    /// <summary>Whether code can be generated: a partial top-level class naming a real architecture.</summary>
    public static bool CanEmit(RecipeModel recipe) => recipe.IsPartial && !recipe.IsNested && recipe.ArchitectureIsDeclared && recipe.ArchitectureType is not null;

    public static string Emit(RecipeModel recipe)
    {
        var architecture = recipe.ArchitectureType!;
        var writer = new SourceWriter().Header();
        if (recipe.Namespace is not null) writer.Open("namespace " + recipe.Namespace);
        writer.Open($"partial class {recipe.ClassName} : {Recipes}IRecipe");

        writer.Line($"/// <summary>The name the registry and the CLI know this recipe by.</summary>");
        writer.Line($"public static string RecipeName => {Literals.String(recipe.Name)};");
        writer.Line();
        writer.Line("/// <summary>The recipe as written, without overrides.</summary>");
        writer.Line($"public static {Recipes}RecipeDefinition Definition => Build();");
        writer.Line();
        EmitBuild(writer, recipe, architecture);
        writer.Line();
        EmitRun(writer, architecture);

        writer.Close();
        if (recipe.Namespace is not null) writer.Close();
        return writer.ToString();
    }

    private static void EmitBuild(SourceWriter writer, RecipeModel recipe, string architecture)
    {
        writer.Line("/// <summary>Attributes first, then Configure, then <c>--set</c> overrides; validated.</summary>");
        writer.Line($"public static {Recipes}RecipeDefinition Build({Overrides}? overrides = null)");
        writer.Open();
        writer.Line($"var builder = new {Recipes}RecipeBuilder(RecipeName, {architecture}.Descriptor);");
        if (recipe.KnownDepth is { } depth) writer.Line($"builder.KnownDepth = {depth.ToString(CultureInfo.InvariantCulture)};");
        if (recipe.ModelDirectory is not null) writer.Line($"builder.Model(model => model.FromDirectory({Literals.String(recipe.ModelDirectory)}));");
        if (recipe.BuiltInModel is not null) writer.Line($"builder.Model(model => model.BuiltIn({Literals.String(recipe.BuiltInModel)}));");

        var calls = LoraCalls(recipe).ToList();
        if (calls.Count > 0)
        {
            writer.Line("builder.Lora(lora => lora");
            for (var i = 0; i < calls.Count; i++) writer.Line("    ." + calls[i] + (i == calls.Count - 1 ? ");" : ""));
        }
        if (recipe.HasConfigure) writer.Line($"{KnownNames.ConfigureMethod}(builder);");
        writer.Line("var definition = builder.Build();");
        writer.Line("return overrides is null ? definition : definition.WithOverrides(overrides);");
        writer.Close();
    }

    private static IEnumerable<string> LoraCalls(RecipeModel recipe)
    {
        foreach (var option in recipe.Options)
        {
            switch (option.Option)
            {
                case "Rank": yield return $"Rank({((int)option.Value).ToString(CultureInfo.InvariantCulture)})"; break;
                case "Alpha": yield return $"Alpha({Literals.Number(option.Value)})"; break;
                case "Dropout": yield return $"Dropout({Literals.Number(option.Value)})"; break;
                case "UseRsLora": yield return $"RsLora({(option.Value != 0 ? "true" : "false")})"; break;
                case "UseDora": yield return $"Dora({(option.Value != 0 ? "true" : "false")})"; break;
            }
        }
        foreach (var target in recipe.Targets)
        {
            var argument = target.Kind switch
            {
                TargetKind.Role => "global::LoraDsl.Dsl.ModuleRole." + target.Value,
                TargetKind.Preset => "global::LoraDsl.Dsl.Preset." + target.Value,
                _ => Literals.String(target.Value),
            };
            var method = target.Kind == TargetKind.Preset ? "Preset" : "Target";
            yield return target.Layers is null
                ? $"{method}({argument})"
                : $"{method}Layers({Literals.String(target.Layers)}, {argument})";
        }
    }

    private static void EmitRun(SourceWriter writer, string architecture)
    {
        writer.Line("/// <summary>Checkpoint → adapters → data → training, through the engine in <paramref name=\"context\"/>.</summary>");
        writer.Line($"public static {Recipes}RecipeReport Run({Recipes}RecipeRunContext context)");
        writer.Open();
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(context);");
        writer.Line("var recipe = Build(context.Overrides);");
        writer.Line("var engine = context.Engine;");
        writer.Line();
        writer.Line("// 1. The base checkpoint.");
        writer.Line("using var model = engine.LoadModel(recipe);");
        writer.Line();
        writer.Line("// 2. One adapter per selected module, placed by the architecture's generated loops.");
        writer.Line("var placer = engine.CreatePlacer(model, recipe.Lora);");
        writer.Line($"var placed = {architecture}.ApplyLora(model, recipe.Lora, recipe.Targets, placer);");
        writer.Line();
        writer.Line("// 3. The examples, tokenized for this model.");
        writer.Line("var data = engine.PrepareData(recipe, model);");
        writer.Line();
        writer.Line("// 4. Training.");
        writer.Line("var training = engine.Train(recipe, model, data);");
        writer.Line($"return new {Recipes}RecipeReport(RecipeName, placed, data.TrainingExamples, training);");
        writer.Close();
    }
}
