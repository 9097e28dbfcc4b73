namespace LoraDsl.Training;

/// <summary>Optimiser, schedule and loop settings. Defaults follow PEFT/torchtune practice.</summary>
public sealed record TrainingOptions
{
    public double LearningRate { get; init; } = 2e-4;
    public double WeightDecay { get; init; } = 0.0;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Warmup as a fraction of total optimiser steps (ignored when <see cref="WarmupSteps"/> is set).</summary>
    public double WarmupFraction { get; init; } = 0.03;
    public int? WarmupSteps { get; init; }
    public LearningRateDecay Decay { get; init; } = LearningRateDecay.Linear;

    public int Epochs { get; init; } = 1;

    /// <summary>Stop after this many optimiser steps (overrides epochs when smaller).</summary>
    public int? MaxSteps { get; init; }
    public int BatchSize { get; init; } = 8;
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Clip the global gradient norm to this; null disables clipping.</summary>
    public double? MaxGradNorm { get; init; } = 1.0;

    /// <summary>Evaluate every N optimiser steps (and at the end); 0 = only at the end.</summary>
    public int EvalEvery { get; init; }

    /// <summary>Save a checkpoint every N optimiser steps; 0 = only best and last.</summary>
    public int SaveEvery { get; init; }
    public int LogEvery { get; init; } = 1;

    /// <summary>Data parallel over MPI processes: by the launcher (auto), required, or off.</summary>
    public Distributed.DataParallelMode DataParallel { get; init; } = Distributed.DataParallelMode.Auto;

    /// <summary>The process count the global batch is meant for (another is refused); 0 = any.</summary>
    public int Processes { get; init; }
    public int Seed { get; init; } = 42;

    /// <summary>Dtype of the frozen base and its matmuls; trainable weights stay fp32.</summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>Recompute each decoder layer's activations in backward.</summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>NEFTune's alpha (noise on the input embeddings while training); null = off.</summary>
    public double? NeftuneAlpha { get; init; }

    /// <summary>LoRA+: B's learning rate over A's; null = plain AdamW groups.</summary>
    public double? LoraPlusRatio { get; init; }

    /// <summary>LoRA+: the learning rate of LoRA on embeddings; null = PEFT's 1e-6.</summary>
    public double? LoraPlusEmbeddingLearningRate { get; init; }

    /// <summary>Where checkpoints, metrics, plots and run.json go.</summary>
    public string OutputDirectory { get; init; } = "runs/default";

    /// <summary>Throws <see cref="ArgumentException"/> naming the recipe setting (training.*) a value breaks.</summary>
    public void Validate()
    {
        static void Require(bool ok, string setting, string rule, object? value)
        {
            if (!ok) throw new ArgumentException($"{setting} {rule}, got {value}.");
        }
        Require(BatchSize > 0, "training.batch_size", "must be positive", BatchSize);
        Require(GradientAccumulationSteps > 0, "training.grad_accum", "must be positive", GradientAccumulationSteps);
        Require(Epochs > 0, "training.epochs", "must be positive", Epochs);
        Require(MaxSteps is null or > 0, "training.max_steps", "must be positive when set", MaxSteps);
        Require(LearningRate > 0, "training.lr", "must be positive", LearningRate);
        Require(WeightDecay >= 0, "training.weight_decay", "must be 0 or more", WeightDecay);
        Require(Beta1 is >= 0 and < 1, "training.beta1", "must be in [0, 1)", Beta1);
        Require(Beta2 is >= 0 and < 1, "training.beta2", "must be in [0, 1)", Beta2);
        Require(Epsilon > 0, "training.epsilon", "must be positive", Epsilon);
        Require(MaxGradNorm is null || MaxGradNorm > 0, "training.max_grad_norm", "must be positive when set", MaxGradNorm);
        Require(WarmupFraction is >= 0 and <= 1, "training.warmup_fraction", "must be in [0, 1]", WarmupFraction);
        Require(WarmupSteps is null or >= 0, "training.warmup_steps", "must be 0 or more", WarmupSteps);
        Require(EvalEvery >= 0, "training.eval_every", "must be 0 or more", EvalEvery);
        Require(SaveEvery >= 0, "training.save_every", "must be 0 or more", SaveEvery);
    }
}
