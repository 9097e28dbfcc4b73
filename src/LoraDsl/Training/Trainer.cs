using System.Diagnostics;
using LoraDsl.Data;
using LoraDsl.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>
/// The training loop: AdamW over the trainable parameters, warmup + decay schedule, gradient
/// accumulation and clipping, periodic evaluation, best/last checkpoints and exact resume.
/// </summary>
public sealed class Trainer : IDisposable
{
    public const string LastCheckpointName = "checkpoint-last";
    public const string BestCheckpointName = "checkpoint-best";
    public const string RunFile = "run.json";
    public const string CurveFile = "loss_curve.png";

    readonly PretrainedModel model;
    readonly PreparedDataset data;
    readonly TrainingOptions options;
    readonly IAdapterStore adapters;
    readonly List<ITrainingObserver> observers;
    readonly RunDescription run;
    readonly Device device;
    readonly AdamW optimizer;
    readonly List<Parameter> trainable;

    public Trainer(
        PretrainedModel model,
        PreparedDataset data,
        TrainingOptions options,
        IAdapterStore adapters,
        IEnumerable<ITrainingObserver>? observers = null,
        RunDescription? run = null)
    {
        Validate(options);
        var expected = data.Task == DataTask.Classification ? ModelTask.SequenceClassification : ModelTask.CausalLanguageModeling;
        if (model.Task != expected)
            throw new ArgumentException($"Data task {data.Task} needs a {expected} model, but model '{model.GetName()}' is {model.Task}.");
        if (data.Train.Count == 0) throw new ArgumentException("The training split is empty: add data or lower ValidationFraction.");
        this.model = model;
        this.data = data;
        this.options = options;
        this.adapters = adapters;
        this.observers = [.. observers ?? []];
        this.run = run ?? new RunDescription();
        // The optimiser must see a tied weight (GPT-2's lm_head and wte) once.
        var named = DistinctParameters.Of(model).Where(p => p.Parameter.requires_grad).Select(p => (name: p.Name, parameter: p.Parameter)).ToList();
        trainable = [.. named.Select(p => p.parameter)];
        if (trainable.Count == 0)
            throw new ArgumentException($"Model '{model.GetName()}' has no parameter with requires_grad: attach adapters (or unfreeze modules) before training.");
        device = trainable[0].device;
        // Like Hugging Face's Trainer, biases and norm weights are not decayed.
        var decayed = named.Where(p => !IsDecayExempt(p.name, p.parameter)).Select(p => p.parameter).ToList();
        var exempt = named.Where(p => IsDecayExempt(p.name, p.parameter)).Select(p => p.parameter).ToList();
        var groups = new List<AdamW.ParamGroup>(2);
        // TorchSharp's AdamW defaults weight_decay to 0, so it is always passed explicitly.
        if (decayed.Count > 0) groups.Add(new AdamW.ParamGroup(decayed, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay, false, false));
        if (exempt.Count > 0) groups.Add(new AdamW.ParamGroup(exempt, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, 0.0, false, false));
        optimizer = torch.optim.AdamW(groups, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
    }

    public TrainingOptions Options => options;

    /// <summary>Parameters the optimiser updates (requires_grad), in model order.</summary>
    public IReadOnlyList<Parameter> TrainableParameters => trainable;


    /// <summary>Steps, epochs and warmup this trainer's options give for its data.</summary>
    public TrainingPlan Plan(int startStep = 0)
    {
        var batchesPerEpoch = BatchOrder().BatchesPerEpoch;
        var stepsPerEpoch = (batchesPerEpoch + options.GradientAccumulationSteps - 1) / options.GradientAccumulationSteps;
        var total = stepsPerEpoch * options.Epochs;
        if (options.MaxSteps is { } max && max < total) total = max;
        var schedule = LearningRateSchedule.From(options, total);
        return new TrainingPlan(total, stepsPerEpoch, options.Epochs, schedule.WarmupSteps, startStep,
            trainable.Sum(p => p.numel()), Lora.TrainableParameterReport.Of(model).Total,
            data.Train.Count, data.Validation.Count, Path.GetFullPath(options.OutputDirectory));
    }

    /// <summary>
    /// Trains to the end of the plan, or until cancelled (a last checkpoint is written) or the loss
    /// diverges (the last good checkpoint is kept). <paramref name="resumeFrom"/> is a checkpoint folder;
    /// <paramref name="overwrite"/> lets a new run replace an earlier run in the output folder (see <see cref="Outputs.RunFolder"/>).
    /// </summary>
    public TrainingResult Train(string? resumeFrom = null, CancellationToken cancellation = default, bool overwrite = false)
    {
        var output = Outputs.RunFolder.Prepare(options.OutputDirectory, resumeFrom, overwrite);
        var order = BatchOrder();
        var plan0 = Plan();
        var schedule = LearningRateSchedule.From(options, plan0.TotalSteps);

        var step = 0;
        var epoch = 0;
        var batchInEpoch = 0;
        double? bestLoss = null;
        int? bestStep = null;
        long tokensSeen = 0;
        if (resumeFrom is not null)
        {
            var state = TrainingCheckpoint.Load(resumeFrom, optimizer, adapters);
            if (state.DataSeed != options.Seed)
                throw new TrainingCheckpointException(resumeFrom, $"checkpoint was trained with seed {state.DataSeed}, these options say {options.Seed}: resuming would change the data order.");
            (step, epoch, batchInEpoch, bestLoss, bestStep, tokensSeen) =
                (state.GlobalStep, state.Epoch, state.BatchInEpoch, state.BestEvalLoss, state.BestStep, state.TokensSeen);
        }
        else
        {
            torch.manual_seed(options.Seed);
        }

        RunManifest.Write(Path.Combine(output, RunFile), RunManifest.Build(run, options, data, device, resumeFrom));
        using var metricsWriter = new MetricsFileWriter(output, append: resumeFrom is not null);
        var all = new List<ITrainingObserver>(observers.Count + 1) { metricsWriter };
        all.AddRange(observers);

        var plan = plan0 with { StartStep = step };
        foreach (var o in all) o.OnStart(plan);

        var startStep = step;
        var steps = new List<StepMetrics>();
        var evaluations = new List<EvaluationMetrics>();
        EvaluationMetrics? best = null;
        string? lastCheckpoint = resumeFrom is not null ? AtomicFile.RecoverDirectory(Path.Combine(output, LastCheckpointName)) : null;
        string? bestCheckpoint = bestStep is not null ? AtomicFile.RecoverDirectory(Path.Combine(output, BestCheckpointName)) : null;
        var status = TrainingStatus.Completed;
        var message = "";
        long tokensThisCall = 0;
        var clock = Stopwatch.StartNew();
        var wasTraining = model.training;
        model.train();

        TrainerState State(double lr) => new()
        {
            GlobalStep = step, Epoch = epoch, BatchInEpoch = batchInEpoch, DataSeed = options.Seed,
            LearningRate = lr, BestEvalLoss = bestLoss, BestStep = bestStep, TokensSeen = tokensSeen, TotalSteps = plan.TotalSteps,
        };
        string Save(string name, double lr)
        {
            var dir = Path.Combine(output, name);
            TrainingCheckpoint.Save(dir, State(lr), optimizer, adapters);
            foreach (var o in all) o.OnCheckpoint(dir, step);
            return dir;
        }
        void EvaluateAndKeepBest(double lr)
        {
            if (this.Evaluate(step) is not { } metrics) return;
            evaluations.Add(metrics);
            foreach (var o in all) o.OnEvaluation(metrics);
            if (double.IsFinite(metrics.Loss) && (bestLoss is null || metrics.Loss < bestLoss))
            {
                (bestLoss, bestStep, best) = (metrics.Loss, step, metrics);
                bestCheckpoint = Save(BestCheckpointName, lr);
            }
        }

        var lastLr = schedule.At(Math.Min(step, plan.TotalSteps - 1));
        IReadOnlyList<int[]> batches = order.Batches(epoch);
        while (step < plan.TotalSteps)
        {
            if (batchInEpoch >= batches.Count)
            {
                epoch++;
                batchInEpoch = 0;
                batches = order.Batches(epoch);
                continue;
            }
            var lr = schedule.At(step);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
            var take = Math.Min(options.GradientAccumulationSteps, batches.Count - batchInEpoch);
            double loss;
            double gradNorm;
            var stepTokens = 0;
            using (var scope = torch.NewDisposeScope())
            {
                var micro = new List<Batch>(take);
                for (var i = 0; i < take; i++)
                {
                    var examples = batches[batchInEpoch + i].Select(index => data.Train[index]).ToList();
                    micro.Add(BatchCollator.Collate(examples, data.Task, data.PadId, device));
                }
                stepTokens = micro.Sum(b => b.TokenCount);
                loss = AccumulateGradients(micro);
                gradNorm = double.IsFinite(loss) ? ClipGradients() : double.NaN;
                if (double.IsFinite(loss) && double.IsFinite(gradNorm)) optimizer.step();
                foreach (var b in micro) b.Dispose();
            }
            if (!double.IsFinite(loss) || !double.IsFinite(gradNorm))
            {
                status = TrainingStatus.Diverged;
                var what = !double.IsFinite(loss) ? $"loss became {loss}" : $"gradient norm became {gradNorm}";
                message = $"Training diverged: {what} at step {step + 1} (epoch {epoch + 1}); no update was applied. " +
                          (lastCheckpoint is not null
                              ? $"The last good checkpoint is kept at {lastCheckpoint}."
                              : "No checkpoint had been written yet.") +
                          " Lower the learning rate or enable gradient clipping.";
                break;
            }
            step++;
            batchInEpoch += take;
            tokensSeen += stepTokens;
            tokensThisCall += stepTokens;
            lastLr = lr;
            var elapsed = clock.Elapsed;
            var done = step - startStep;
            var remaining = TimeSpan.FromTicks((long)(elapsed.Ticks / (double)done * (plan.TotalSteps - step)));
            var metrics = new StepMetrics(step, plan.TotalSteps, epoch + 1, loss, lr, gradNorm,
                elapsed.TotalSeconds > 0 ? tokensThisCall / elapsed.TotalSeconds : 0, elapsed, remaining);
            steps.Add(metrics);
            foreach (var o in all) o.OnStep(metrics);

            if (options.EvalEvery > 0 && step % options.EvalEvery == 0 && step < plan.TotalSteps) EvaluateAndKeepBest(lr);
            if (options.SaveEvery > 0 && step % options.SaveEvery == 0 && step < plan.TotalSteps) lastCheckpoint = Save(LastCheckpointName, lr);
            if (cancellation.IsCancellationRequested && step < plan.TotalSteps)
            {
                lastCheckpoint = Save(LastCheckpointName, lr);
                status = TrainingStatus.Cancelled;
                message = $"Stopped at step {step} of {plan.TotalSteps}; resume from {lastCheckpoint}.";
                break;
            }
        }

        if (status == TrainingStatus.Completed)
        {
            if (evaluations.Count == 0 || evaluations[^1].Step != step) EvaluateAndKeepBest(lastLr);
            lastCheckpoint = Save(LastCheckpointName, lastLr);
            message = $"Finished {step} steps" + (bestLoss is { } b ? $"; best eval loss {b:G5} at step {bestStep}." : ".");
        }
        if (!wasTraining) model.eval();

        if (steps.Count > 0 || evaluations.Count > 0)
            TrainingCurvePlot.Save(Path.Combine(output, CurveFile), steps, evaluations);
        var result = new TrainingResult(status, message, startStep, step, steps, evaluations, best ?? evaluations.FirstOrDefault(e => e.Step == bestStep),
            lastCheckpoint, bestCheckpoint, output);
        foreach (var o in all) o.OnEnd(result);
        return result;
    }

    /// <summary>
    /// Zeroes the gradients, then runs forward and backward on each micro-batch with its loss divided
    /// by their number, so the gradients equal those of one batch holding them all. Returns the mean loss.
    /// </summary>
    public double AccumulateGradients(IReadOnlyList<Batch> microBatches)
    {
        if (microBatches.Count == 0) throw new ArgumentException("No micro-batches to accumulate.", nameof(microBatches));
        optimizer.zero_grad();
        var total = 0.0;
        var share = 1.0 / microBatches.Count;
        foreach (var batch in microBatches)
        {
            using var scope = torch.NewDisposeScope();
            var loss = TrainingLoss.Compute(model, new ModelInputs(batch.InputIds) { AttentionMask = batch.AttentionMask }, batch.Labels);
            total += Native.HostMemory.Item<float>(loss);
            (loss * share).backward();
        }
        return total * share;
    }

    /// <summary>Clips the global gradient norm to <see cref="TrainingOptions.MaxGradNorm"/> (if set); returns the norm before clipping.</summary>
    public double ClipGradients()
    {
        var max = options.MaxGradNorm ?? double.PositiveInfinity;
        return nn.utils.clip_grad_norm_(trainable, max);
    }

    /// <summary>Validation loss (and perplexity or classification scores) at <paramref name="step"/>; null without a validation split.</summary>
    public EvaluationMetrics? Evaluate(int step) => Evaluator.Evaluate(model, data, options.BatchSize, step, device);

    public void Dispose() => optimizer.Dispose();

    /// <summary>Biases and the weights of normalisation layers (LayerNorm, RMSNorm, GPT-2's ln_*) get no weight decay.</summary>
    public static bool IsDecayExempt(string name, Parameter parameter)
    {
        var parts = name.Split('.');
        if (parts[^1] == "bias") return true;
        if (parameter.dim() != 1 || parts.Length < 2) return false;
        var module = parts[^2];
        return module.Contains("norm", StringComparison.OrdinalIgnoreCase) || module.StartsWith("ln", StringComparison.Ordinal);
    }

    EpochBatchOrder BatchOrder() => new(data.Train.Count, options.BatchSize, options.Seed);

    static void Validate(TrainingOptions o) => o.Validate();
}
