using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Models;

namespace LoraDsl.Recipes;

/// <summary>
/// The runtime a generated <c>Run</c> drives, step by step: checkpoint loading, adapter
/// placement, data, training. The real loader, injector, data pipeline and trainer implement it.
/// </summary>
public interface IRecipeEngine
{
    PretrainedModel LoadModel(RecipeDefinition recipe);

    IAdapterPlacer CreatePlacer(PretrainedModel model, LoraOptions options);

    IPreparedData PrepareData(RecipeDefinition recipe, PretrainedModel model);

    TrainingSummary Train(RecipeDefinition recipe, PretrainedModel model, IPreparedData data);
}
