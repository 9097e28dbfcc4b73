using LoraDsl.Checkpoints;
using LoraDsl.Data;
using LoraDsl.Models;
using LoraDsl.Training;

namespace LoraDsl.Recipes;

/// <summary>Loads a recipe's base checkpoint: seeded, with a classification head sized to the data's labels, checked against the recipe's architecture.</summary>
internal static class RecipeModelLoader
{
    public static PretrainedModel Load(RecipeDefinition recipe, string checkpointDirectory, PreparedDataset data, string device)
    {
        // libtorch before the first torch call (manual_seed), so that a failed load says why (TorchNativeException).
        LoraDsl.Native.TorchNative.EnsureLoaded();
        // Freshly initialised weights (a classifier head, LoRA's A) come from the recipe's seed,
        // so two runs of one recipe give the same losses.
        TorchSharp.torch.manual_seed(recipe.Training.Seed);
        var model = ModelLoader.Load(checkpointDirectory, new ModelLoadOptions
        {
            Device = device,
            NumLabels = data.Task == DataTask.Classification ? data.Labels.Count : null,
            Quantization = recipe.EffectiveQuantization,
            ComputeDtype = recipe.Training.Precision.ComputeDtype(),
        });
        if (recipe.Training.GradientCheckpointing) model.GradientCheckpointing = true;
        if (!recipe.Architecture.Supports(model.Config.ModelType))
        {
            model.Dispose();
            throw new RecipeValidationException(
                $"Recipe '{recipe.Name}' is written for {recipe.Architecture.Name} ({string.Join(", ", recipe.Architecture.ModelTypes)}), " +
                $"but '{checkpointDirectory}' holds model_type '{model.Config.ModelType}'.");
        }
        var expected = data.Task == DataTask.Classification ? ModelTask.SequenceClassification : ModelTask.CausalLanguageModeling;
        if (model.Task != expected)
        {
            model.Dispose();
            throw new RecipeValidationException(
                $"Recipe '{recipe.Name}': data task {data.Task} needs a {expected} model, but '{checkpointDirectory}' loads as {model.Task}.");
        }
        return model;
    }
}
