using System.Linq;
using LoraDsl.Generators.Emitting;
using LoraDsl.Generators.Parsing;
using LoraDsl.Generators.Validation;
using Microsoft.CodeAnalysis;

namespace LoraDsl.Generators;

/// <summary>
/// Emits per architecture <c>X.Modules.g.cs</c>, per recipe <c>X.Recipe.g.cs</c> and one
/// <c>LoraDslRecipes.g.cs</c>. Reports nothing: <see cref="LoraDslAnalyzer"/> owns the diagnostics.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class LoraDslGenerator : IIncrementalGenerator
{
    public static class TrackingNames
    {
        public const string Architectures = nameof(Architectures);
        public const string Recipes = nameof(Recipes);
        public const string RecipeList = nameof(RecipeList);
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var architectures = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.ArchitectureAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                static (ctx, ct) => ctx.TargetSymbol is INamedTypeSymbol type ? ArchitectureParser.Parse(type, ct) : null)
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(TrackingNames.Architectures);

        var recipes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.RecipeAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                static (ctx, ct) => ctx.TargetSymbol is INamedTypeSymbol type ? RecipeParser.Parse(type, tree => SemanticModelOf(ctx.SemanticModel, tree), ct) : null)
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(TrackingNames.Recipes);

        var recipeList = recipes
            .Where(RecipeEmitter.CanEmit)
            .Collect()
            .Select(static (list, _) => new EquatableArray<RecipeModel>([.. list]))
            .WithTrackingName(TrackingNames.RecipeList);

        context.RegisterSourceOutput(architectures, static (spc, architecture) =>
        {
            // A malformed declaration would only add compiler errors to the analyzer's LORA011/012.
            if (ArchitectureValidator.Validate(architecture).Any()) return;
            spc.AddSource(ArchitectureEmitter.HintName(architecture), ArchitectureEmitter.Emit(architecture));
        });

        context.RegisterSourceOutput(recipes, static (spc, recipe) =>
        {
            if (RecipeEmitter.CanEmit(recipe)) spc.AddSource(RecipeEmitter.HintName(recipe), RecipeEmitter.Emit(recipe));
        });

        context.RegisterSourceOutput(recipeList, static (spc, list) =>
        {
            if (list.Count > 0) spc.AddSource(RegistryEmitter.HintName, RegistryEmitter.Emit(list));
        });
    }

    // A Configure body in another file of the partial class is read with that file's semantic model.
    private static SemanticModel SemanticModelOf(SemanticModel attributeModel, SyntaxTree tree) =>
        attributeModel.SyntaxTree == tree ? attributeModel : attributeModel.Compilation.GetSemanticModel(tree);
}
