using LoraDsl.Cli;
using LoraDsl.Data;
using LoraDsl.Distributed;
using LoraDsl.Recipes;
using LoraDsl.Training;
using Xunit;

namespace LoraDsl.Tests.Distributed;

/// <summary>training.data_parallel / training.processes, the global batch in the plan, and one stop request under mpirun.</summary>
public class DataParallelSettingsTests
{
    [Fact]
    public void A_recipe_that_requires_data_parallel_or_pins_a_process_count_refuses_one_process()
    {
        var training = new TrainingOptions();
        ProcessGroup.Single.Require(training, "r");
        ProcessGroup.Single.Require(training with { DataParallel = DataParallelMode.Off }, "r");
        ProcessGroup.Single.Require(training with { Processes = 1 }, "r");
        var required = Assert.Throws<RecipeValidationException>(() => ProcessGroup.Single.Require(training with { DataParallel = DataParallelMode.Required }, "r"));
        Assert.Contains("training.data_parallel=required", required.Message);
        Assert.Contains("mpirun", required.Message);
        var pinned = Assert.Throws<RecipeValidationException>(() => ProcessGroup.Single.Require(training with { Processes = 4 }, "r"));
        Assert.Contains("training.processes=4", pinned.Message);
    }

    [Fact]
    public void The_DSL_and_set_keys_reach_the_options()
    {
        var recipe = new RecipeBuilder("r", global::LoraDsl.Architectures.Llama.Descriptor)
            .Model(m => m.FromDirectory("models/llama"))
            .Lora(l => l.Rank(8).Target(global::LoraDsl.Architectures.Llama.QProj))
            .Data(d => d.JsonLines("data/train.jsonl").CausalLanguageModeling())
            .Training(t => t.DataParallel(4))
            .Build();
        Assert.Equal(DataParallelMode.Required, recipe.Training.DataParallel);
        Assert.Equal(4, recipe.Training.Processes);
        var overridden = recipe.WithOverrides([new("training.data_parallel", "off"), new("training.processes", "0")]);
        Assert.Equal(DataParallelMode.Off, overridden.Training.DataParallel);
        Assert.Equal(0, overridden.Training.Processes);
    }

    [Fact]
    public void A_step_takes_accumulation_times_processes_micro_batches()
    {
        var order = new EpochBatchOrder(exampleCount: 36, batchSize: 2, seed: 1); // 18 micro-batches
        var training = new TrainingOptions { GradientAccumulationSteps = 2 };
        Assert.Equal(4, TrainingPlan.MicroBatchesPerStep(training, 2));
        Assert.Equal(9, TrainingPlan.StepsPerEpochFor(training, order));
        Assert.Equal(5, TrainingPlan.StepsPerEpochFor(training, order, processes: 2)); // ceil(18 / 4)
        Assert.Equal(TrainingPlan.StepsPerEpochFor(training with { GradientAccumulationSteps = 4 }, order), TrainingPlan.StepsPerEpochFor(training, order, processes: 2));
    }

    [Fact]
    public void Under_mpirun_the_terminals_and_mpiruns_copies_of_one_request_are_one()
    {
        var messages = new StringWriter();
        using (var interruption = TrainingInterruption.Listen(messages, launchedByMpi: true))
        {
            Assert.False(interruption.OnSignal("SIGINT", 1_000));
            Assert.True(interruption.Token.IsCancellationRequested);
            Assert.False(interruption.OnSignal("SIGTERM", 3_000)); // mpirun's copy, later and as another signal
            Assert.True(interruption.OnSignal("SIGINT", 7_000)); // a real second request
        }
        Assert.Contains("aborting", messages.ToString());
        using var alone = TrainingInterruption.Listen(new StringWriter(), launchedByMpi: false);
        Assert.False(alone.OnSignal("SIGINT", 1_000));
        Assert.True(alone.OnSignal("SIGTERM", 1_500)); // without MPI another signal is a second request
    }
}
