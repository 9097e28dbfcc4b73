using System.ComponentModel;
using LoraDsl.Adapters;
using LoraDsl.Adapters.Start;
using LoraDsl.Data;
using LoraDsl.Data.Chat;
using LoraDsl.Distributed;
using LoraDsl.Engine;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Recipes;
using LoraDsl.Training;
using static TorchSharp.torch;

namespace LoraDsl.Generated;

/// <summary>
/// The run steps a generated recipe's <c>Run</c> calls that no hand-written loop needs (System.Text.Json's
/// <c>JsonMetadataServices</c> is the model): one narrow entry, so the helpers behind it stay internal.
/// Not for hand-written code; the training primitives (<see cref="TrainingLoss"/>, <see cref="RunLog"/>, ...) are.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class RecipeRunSteps
{
    /// <summary>Refuses an override the generated loop has no code for (e.g. grad_accum on a loop compiled without accumulation).</summary>
    public static void RequireShape(RecipeDefinition recipe, string key, bool holds, string compiledWith) =>
        CompiledShape.Require(recipe, key, holds, compiledWith);

    /// <summary>Creates (or, resuming, checks) the run folder on process 0; every process gets its full path.</summary>
    public static string PrepareRunFolder(string outputDirectory, string? resumeFrom, bool overwrite, ProcessGroup processes) =>
        RunFolder.Prepare(outputDirectory, resumeFrom, overwrite, processes);

    /// <summary>The folder the final adapter is written to inside the run folder.</summary>
    public static string AdapterFolder(string runFolder) => Path.Combine(runFolder, RunFolder.AdapterName);

    /// <summary>The checkpoint folder on disk for the recipe's model source (a built-in is imported first).</summary>
    public static string ResolveCheckpoint(ModelSource source) => BuiltInModels.Resolve(source);

    /// <summary>Loads the recipe's base checkpoint: seeded, a classification head sized to the data's labels, checked against the recipe's architecture.</summary>
    public static PretrainedModel LoadModel(RecipeDefinition recipe, string checkpointDirectory, PreparedDataset data, string device) =>
        RecipeModelLoader.Load(recipe, checkpointDirectory, data, device);

    /// <summary>Chat data: logs a warning when the end-of-turn token's embedding row looks untrained (its norm far from the others').</summary>
    public static void CheckEndOfTurnEmbedding(PretrainedModel model, PreparedDataset data, Action<string> log) =>
        EndOfTurnEmbeddingCheck.Run(model, data, log);

    /// <summary>Fills the fresh adapters from the recipe's starting adapter(s) and returns the folder loaded; null (nothing done) without a start.</summary>
    public static string? ApplyStart(RecipeDefinition recipe, PretrainedModel model, LoraInjection adapters, PeftAdapterStore store,
        string? baseModelNameOrPath, string runFolder, IReadOnlyList<string> labels, Action<string> log) =>
        StartingPoint.Apply(recipe, model, adapters, store, baseModelNameOrPath, runFolder, labels, log);

    /// <summary>Writes run.json (recipe, overrides, data hashes, targets, versions) into the run folder.</summary>
    public static void WriteManifest(string runFolder, RecipeDefinition recipe, PreparedDataset data, string checkpointDirectory,
        IReadOnlyList<LoraTarget> targets, Device device, string? resumedFrom, ProcessGroup processes) =>
        RunManifest.Write(Path.Combine(runFolder, RunManifest.FileName),
            RunManifest.Build(recipe, data, checkpointDirectory, targets, device, resumedFrom, processes: processes));

    /// <summary>Seeds every generator for optimizer step <paramref name="globalStep"/> (the same run gives the same randomness).</summary>
    public static void SeedStep(Device device, long seed, int globalStep) => StepRandomSeed.Apply(device, seed, globalStep);

    /// <summary>Seeds the CPU generator for micro-batch <paramref name="microBatch"/> of the step, whichever process runs it.</summary>
    public static void SeedMicroBatch(long seed, int globalStep, int microBatch) => StepRandomSeed.ApplyMicroBatch(seed, globalStep, microBatch);

    /// <summary>Writes the classifier's labels (labels.json) beside the adapter; nothing for other tasks.</summary>
    public static void WriteLabels(string adapterDirectory, IReadOnlyList<string> labels) => LabelFile.WriteInto(adapterDirectory, labels);
}
