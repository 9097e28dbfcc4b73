using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>
/// A checkpoint folder: adapter files (through <see cref="IAdapterStore"/>), optimizer state, torch RNG
/// state and trainer_state.json. Written to a temp folder and swapped in whole.
/// </summary>
public static class TrainingCheckpoint
{
    public const string LastName = "checkpoint-last";
    public const string BestName = "checkpoint-best";
    public const string CurveFile = "loss_curve.png";
    public const string StateFile = "trainer_state.json";
    public const string OptimizerFile = "optimizer.bin";
    public const string RngFile = "rng_state.bin";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Process 0 of <paramref name="processes"/> writes the checkpoint; every process returns the folder. Adapters and
    /// optimizer state are the same on all processes (they apply the same reduced gradients), so one copy is the run's.
    /// </summary>
    public static string Save(string directory, TrainerState state, TorchSharp.Modules.OptimizerHelper optimizer, IAdapterStore adapters, Distributed.ProcessGroup processes) =>
        processes.IsWriter ? Save(directory, state, optimizer, adapters) : directory;

    /// <summary>Writes the checkpoint into <paramref name="directory"/> (swapped in whole) and returns that folder.</summary>
    public static string Save(string directory, TrainerState state, TorchSharp.Modules.OptimizerHelper optimizer, IAdapterStore adapters)
    {
        AtomicFile.WriteDirectory(directory, temp =>
        {
            adapters.Save(temp);
            optimizer.save_state_dict(Path.Combine(temp, OptimizerFile));
            RngStateFile.Write(Path.Combine(temp, RngFile));
            File.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, Json));
        });
        return directory;
    }

    /// <summary>
    /// Restores a checkpoint for a resumed run and returns where the loop stood. A different data seed is refused:
    /// the batches would not be the ones the first run would have seen.
    /// </summary>
    public static TrainerState Resume(string directory, TorchSharp.Modules.OptimizerHelper optimizer, IAdapterStore adapters, long dataSeed)
    {
        var state = ReadState(directory);
        if (state.DataSeed != dataSeed)
            throw new TrainingCheckpointException(directory, $"checkpoint was trained with seed {state.DataSeed}, this run says {dataSeed}: resuming would change the data order.");
        return Load(directory, optimizer, adapters);
    }

    /// <summary>Reads trainer_state.json (recovering a folder left aside by an interrupted swap).</summary>
    public static TrainerState ReadState(string directory)
    {
        var folder = Locate(directory);
        var path = Path.Combine(folder, StateFile);
        if (!File.Exists(path)) throw new TrainingCheckpointException(path, "trainer_state.json is missing: this folder is not a training checkpoint.");
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Json)
                   ?? throw new TrainingCheckpointException(path, "trainer_state.json is empty.");
        }
        catch (JsonException e)
        {
            throw new TrainingCheckpointException(path, $"trainer_state.json is not valid: {e.Message}", e);
        }
    }

    /// <summary>Restores adapters, optimizer and RNG state; returns the trainer state.</summary>
    public static TrainerState Load(string directory, TorchSharp.Modules.OptimizerHelper optimizer, IAdapterStore adapters)
    {
        var folder = Locate(directory);
        var state = ReadState(folder);
        // Every file is checked before any is applied: a bad one leaves the model and optimizer as they were.
        var rngPath = Path.Combine(folder, RngFile);
        RngStateFile.Read(rngPath);
        var optimizerPath = Path.Combine(folder, OptimizerFile);
        if (!File.Exists(optimizerPath)) throw new TrainingCheckpointException(optimizerPath, "optimizer state is missing.");
        if (new FileInfo(optimizerPath).Length == 0) throw new TrainingCheckpointException(optimizerPath, "optimizer state is empty.");
        adapters.Load(folder);
        try
        {
            optimizer.load_state_dict(optimizerPath);
        }
        catch (Exception e) when (e is not TrainingCheckpointException)
        {
            throw new TrainingCheckpointException(optimizerPath, $"optimizer state cannot be read (truncated or corrupt, or written for other trainable parameters): {e.Message}", e);
        }
        RngStateFile.Restore(rngPath);
        return state;
    }

    static string Locate(string directory) =>
        AtomicFile.RecoverDirectory(directory)
        ?? throw new TrainingCheckpointException(directory, "checkpoint folder does not exist.");
}
