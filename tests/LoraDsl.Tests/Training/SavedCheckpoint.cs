using LoraDsl.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Training;

/// <summary>A training checkpoint of a tiny model written with the loop's primitives after one optimizer step, and what loads it back.</summary>
sealed class SavedCheckpoint : IDisposable
{
    public SavedCheckpoint(string directory)
    {
        Model = TrainingFixture.LanguageModel();
        Store = new TrainableParameterStore(Model);
        Optimizer = AdamWOptimizer.Create(Model, new TrainingOptions { LearningRate = 0.01 });
        using (NewDisposeScope())
        {
            var loss = TrainableParameters.Of(Model).Select(p => p.pow(2).sum()).Aggregate((a, b) => a + b);
            loss.backward();
            Optimizer.step();
        }
        Directory = TrainingCheckpoint.Save(Path.Combine(directory, TrainingCheckpoint.LastName), TrainerState.Start(7, 10), Optimizer, Store);
    }

    public string Directory { get; }
    public TinyCausalLm Model { get; }
    public TrainableParameterStore Store { get; }
    public AdamW Optimizer { get; }

    public string File(string name) => Path.Combine(Directory, name);

    public TrainerState Load() => TrainingCheckpoint.Load(Directory, Optimizer, Store);

    public void Dispose()
    {
        Optimizer.Dispose();
        Model.Dispose();
    }
}
