namespace LoraDsl.Outputs;

/// <summary>What LoraDsl wrote into a folder, as its marker file records it.</summary>
internal enum OutputKind
{
    /// <summary>A training run: run.json, metrics, checkpoints, adapter.</summary>
    Run,

    /// <summary>A Hugging Face checkpoint written by <c>merge</c>.</summary>
    MergedModel,
}
