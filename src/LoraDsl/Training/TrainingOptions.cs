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
    public int Seed { get; init; } = 42;

    /// <summary>NEFTune's alpha (noise on the input embeddings while training); null = off.</summary>
    public double? NeftuneAlpha { get; init; }

    /// <summary>LoRA+: B's learning rate over A's; null = plain AdamW groups.</summary>
    public double? LoraPlusRatio { get; init; }

    /// <summary>LoRA+: the learning rate of LoRA on embeddings; null = PEFT's 1e-6.</summary>
    public double? LoraPlusEmbeddingLearningRate { get; init; }

    /// <summary>Where checkpoints, metrics, plots and run.json go.</summary>
    public string OutputDirectory { get; init; } = "runs/default";
}
